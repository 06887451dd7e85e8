/* pg-checkpoint.c — pg_backup_start with a spread checkpoint, bounded.
 *
 * pg_backup_start waits for a checkpoint.  A fast one writes every dirty
 * buffer at once, and the clients feel that burst (single transactions of
 * 66–122 ms on this machine's bench against a target of ~24 ms).  A spread
 * one is paced over checkpoint_completion_target × checkpoint_timeout,
 * minutes with PostgreSQL's defaults, which no requester's event timeout
 * allows.  So the writer asks for a spread checkpoint and, once
 * checkpoint_limit has passed, has a second session run CHECKPOINT: an
 * immediate request makes the running checkpoint finish at once (the
 * checkpointer stops pacing), and pg_backup_start returns with it. */
#include "pg-writer.h"

#include <errno.h>
#include <poll.h>

/* Waits until @conn's query has its answer or @deadline (monotonic µs,
 * G_MAXINT64: none) passes; FALSE at the deadline.  A lost connection
 * counts as answered: its error is the result. */
static gboolean
wait_for_answer (PGconn *conn, gint64 deadline)
{
  while (PQconsumeInput (conn) && PQisBusy (conn)) {
    int timeout_ms = -1;
    if (deadline != G_MAXINT64) {
      gint64 left = deadline - g_get_monotonic_time ();
      if (left <= 0)
        return FALSE;
      timeout_ms = (int) MIN ((left + 999) / 1000, G_MAXINT);
    }
    struct pollfd in = { PQsocket (conn), POLLIN, 0 };
    if (poll (&in, 1, timeout_ms) < 0 && errno != EINTR)
      return TRUE;   /* PQconsumeInput will say what is wrong */
  }
  return TRUE;
}

/* The answer of @conn's one query: its result, or NULL with the server's
 * message. */
static PGresult *
take_answer (PGconn *conn, const char *what, GError **error)
{
  PGresult *res = PQgetResult (conn);
  for (PGresult *more; (more = PQgetResult (conn)) != NULL;)
    PQclear (more);
  return pg_result_checked (conn, res, what, error);
}

/* A second session asks for an immediate checkpoint; it stays open until
 * pg_backup_start returns (its own checkpoint, after, is the server's
 * business).  NULL when it could not ask; why goes to the log. */
static PGconn *
hurry (const PgConfig *config)
{
  g_autoptr(GError) error = NULL;
  PGconn *conn = pg_connect (config, &error);
  if (conn == NULL || !PQsendQuery (conn, "CHECKPOINT")) {
    g_warning ("postgresql: cannot ask the spread checkpoint to finish at once (%s); "
               "waiting for it", conn == NULL ? error->message : PQerrorMessage (conn));
    if (conn != NULL)
      PQfinish (conn);
    return NULL;
  }
  return conn;
}

PGresult *
pg_checkpoint_backup_start (PGconn *conn, const PgConfig *config, const char *label,
                            char **out_note, GError **error)
{
  const char *sql = "SELECT pg_backup_start($1, $2::boolean)";
  const char *params[] = { label, config->fast_checkpoint ? "true" : "false" };
  gint64 start = g_get_monotonic_time ();
  if (!PQsendQueryParams (conn, sql, 2, NULL, params, NULL, NULL, 0)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "%s: %s", sql, PQerrorMessage (conn));
    return NULL;
  }
  gint64 deadline = config->fast_checkpoint ? G_MAXINT64
                                            : start + config->checkpoint_limit_ms * (gint64) 1000;
  PGconn *hurrying = NULL;
  if (!wait_for_answer (conn, deadline)) {
    hurrying = hurry (config);
    wait_for_answer (conn, G_MAXINT64);
  }
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  if (config->fast_checkpoint)
    *out_note = g_strdup_printf ("fast checkpoint took %.1f s", seconds);
  else if (hurrying != NULL)
    *out_note = g_strdup_printf ("spread checkpoint asked to finish at once after "
                                 "checkpoint_limit (%u s); done after %.1f s",
                                 config->checkpoint_limit_ms / 1000, seconds);
  else
    *out_note = g_strdup_printf ("spread checkpoint took %.1f s", seconds);
  if (hurrying != NULL)
    PQfinish (hurrying);
  return take_answer (conn, sql, error);
}
