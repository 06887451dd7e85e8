/* bench-transport-driver.c — one backup's writer events, timed.
 *
 *   bench-transport-driver TRANSPORT WRITER_DIR DATA_DIR REPS
 *
 * For each repetition: gather_writer_metadata (starts the helpers), then
 * prepare_for_backup + do_snapshot_set ("prepare → thaw": prepare_backup,
 * prepare_snapshot, freeze, the copy provider's commit of a tiny tree,
 * thaw, post_snapshot), then free (close).  Prints one line per rep:
 * "gather_ms prepare_to_thaw_ms freeze_to_thaw_window_ms". */
#include <stdio.h>
#include <stdlib.h>

#include <vss/vss.h>

static double
ms_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / 1000.0;
}

static void
check (gboolean ok, GError *error, const char *what)
{
  if (!ok) {
    fprintf (stderr, "%s: %s\n", what, error != NULL ? error->message : "failed");
    exit (1);
  }
}

static void
finish (VssAsync *async, const char *what)
{
  GError *error = NULL;
  check (vss_async_wait (async, 60000, &error) == VSS_ASYNC_FINISHED, error, what);
  vss_async_unref (async);
}

static void
one_run (const char *transport, const char *writer_dir, const char *data_dir)
{
  GError *error = NULL;
  VssAsync *async = NULL;
  VssBackupComponents *bc = vss_backup_components_new ();
  check (vss_backup_components_set_writer_path (bc, writer_dir, &error), error, "path");
  check (vss_backup_components_set_writer_transport (bc, transport, &error), error, "transport");
  check (vss_backup_components_initialize_for_backup (bc, NULL, &error), error, "init");
  check (vss_backup_components_set_backup_state (bc, FALSE, FALSE, VSS_BT_FULL, FALSE, &error),
         error, "state");
  gint64 t0 = g_get_monotonic_time ();
  check (vss_backup_components_gather_writer_metadata (bc, &async, &error), error, "gather");
  finish (async, "gather");
  double gather_ms = ms_since (t0);
  char *snapshot_id = NULL;
  check (vss_backup_components_start_snapshot_set (bc, NULL, &error), error, "start");
  check (vss_backup_components_add_to_snapshot_set (bc, data_dir, NULL, &snapshot_id, &error),
         error, "add");
  gint64 t1 = g_get_monotonic_time ();
  check (vss_backup_components_prepare_for_backup (bc, &async, &error), error, "prepare");
  finish (async, "prepare");
  check (vss_backup_components_do_snapshot_set (bc, &async, &error), error, "snapshot");
  finish (async, "snapshot");
  double prepare_to_thaw_ms = ms_since (t1);
  VssSnapshotTimings timings;
  check (vss_backup_components_get_snapshot_timings (bc, &timings, &error), error, "timings");
  printf ("%.2f %.2f %.2f\n", gather_ms, prepare_to_thaw_ms, timings.window_usec / 1000.0);
  g_free (snapshot_id);
  vss_backup_components_free (bc);
}

int
main (int argc, char **argv)
{
  if (argc != 5) {
    fprintf (stderr, "usage: %s inproc|helper WRITER_DIR DATA_DIR REPS\n", argv[0]);
    return 2;
  }
  int reps = atoi (argv[4]);
  for (int i = 0; i < reps; i++)
    one_run (argv[1], argv[2], argv[3]);
  return 0;
}
