/* pg-switch.c — timing the WAL switches that backup mode forces.
 *
 * pg_backup_start and pg_backup_stop each end the current WAL segment
 * (RequestXLogSwitch): PostgreSQL writes and flushes the rest of the
 * segment before any client can commit again, so the clients' stall
 * grows with what is left of the segment (here ~15 ms plus ~1 ms a MiB:
 * a median ~29–36 ms with a 16 MiB segment almost whole, what the peer
 * tools pay, ~18–22 ms with 2 MiB left; bench/postgresql/bench-switch.sh).
 * Called when the insert position is near the segment's end, the switch
 * writes almost nothing.  The wait is bounded (wal_switch_wait) and
 * skipped when the WAL's pace says the end will not come within it. */
#include "pg-writer.h"

#define NEAR_END_MAX (2u << 20)     /* what may be left: ~2 ms of flush */
#define POLL_MIN_MS 2
#define POLL_MAX_MS 200
#define IDLE_US (1000 * 1000)      /* no WAL for this long: nobody commits */
#define PACE_US (1000 * 1000)      /* the pace is judged over at least this long */

/* What may be left of a segment at its switch: 2 MiB of a 16 MiB one,
 * an eighth of a smaller one (initdb --wal-segsize). */
static guint64
near_end (guint64 segment_bytes)
{
  return MIN (NEAR_END_MAX, segment_bytes / 8);
}

/* Bytes from @lsn to its segment's end. */
static guint64
left_in_segment (guint64 lsn, guint64 segment_bytes)
{
  return segment_bytes - lsn % segment_bytes;
}

/* The next poll: a fraction of the time the WAL's pace says the near
 * zone is away, so a fast WAL is not overshot. */
static guint
poll_ms (guint64 left, guint64 near, double bytes_per_ms)
{
  if (bytes_per_ms <= 0)
    return POLL_MAX_MS;
  double eta = (double) (left - near) / bytes_per_ms;
  return (guint) CLAMP (eta / 2, POLL_MIN_MS, POLL_MAX_MS);
}

/* Whether to keep waiting: the WAL moved lately (idle: nobody to stall),
 * and the end comes within the budget at the WAL's pace since the start
 * (judged once a second of it is seen: a shorter pace is a hiccup's). */
static gboolean
worth_waiting (guint64 left, guint64 near, double bytes_per_ms, gint64 now, gint64 start,
               gint64 deadline, gint64 last_move)
{
  if (now - last_move > IDLE_US)
    return FALSE;
  if (now - start < PACE_US)
    return now < deadline;
  return bytes_per_ms > 0 &&
         now + (gint64) ((double) (left - near) / bytes_per_ms * 1000) <= deadline;
}

PgSwitchWait
pg_switch_wait_for_segment_end (PgSession *session, guint64 segment_bytes, guint budget_ms)
{
  PgSwitchWait out = { 0 };
  guint64 first = 0, lsn = 0, last = 0, near = near_end (segment_bytes);
  if (budget_ms == 0 || near == 0 || !pg_session_insert_lsn (session, &first))
    return out;   /* off, or a standby (which forces no switch) */
  gint64 start = g_get_monotonic_time (), last_move = start;
  gint64 deadline = start + (gint64) budget_ms * 1000;
  out.left = left_in_segment (first, segment_bytes);
  last = first;
  g_usleep (POLL_MAX_MS * 1000 / 2);   /* a first pace */
  while (out.left > near && pg_session_insert_lsn (session, &lsn)) {
    gint64 now = g_get_monotonic_time ();
    if (lsn != last)
      last_move = now, last = lsn;
    out.left = left_in_segment (lsn, segment_bytes);
    double pace = (double) (lsn - first) / ((double) (now - start) / 1000);   /* bytes/ms */
    if (out.left <= near)
      break;
    if (!worth_waiting (out.left, near, pace, now, start, deadline, last_move)) {
      out.gave_up = TRUE;
      break;
    }
    g_usleep (poll_ms (out.left, near, pace) * 1000);
  }
  out.waited_ms = (guint) ((g_get_monotonic_time () - start) / 1000);
  return out;
}

char *
pg_switch_wait_describe (const PgSwitchWait *wait, guint budget_ms)
{
  if (budget_ms == 0)
    return g_strdup ("switched at once (wal_switch_wait=0)");
  return g_strdup_printf ("switched with %" G_GUINT64_FORMAT " KiB left in the segment after "
                          "%.1f s%s", wait->left / 1024, wait->waited_ms / 1000.0,
                          wait->gave_up ? " (its end was beyond wal_switch_wait or the WAL "
                                          "was idle)" : "");
}
