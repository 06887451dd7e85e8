/* bench-freeze-driver.c — one snapshot set of PATH with PROVIDER through
 * libvss, printing the timings as one line:
 *   provider=btrfs flush_ms=… window_ms=… commit_ms=… writer_ms=…
 * writer_ms is the freeze→thaw time the recorder test writer saw (its
 * own monotonic timestamps in $VSS_TEST_RECORD_DIR/recorder.events).
 * Usage: bench-freeze-driver PATH PROVIDER   (run by bench-freeze-window.sh) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vss/vss.h>

static gboolean
finish (VssAsync *async, GError **error)
{
  VssAsyncStatus status = vss_async_wait (async, 120000, error);
  vss_async_unref (async);
  return status == VSS_ASYNC_FINISHED;
}

/* freeze→thaw of the last set, from the recorder's own event times. */
static double
writer_window_ms (void)
{
  const char *dir = g_getenv ("VSS_TEST_RECORD_DIR");
  g_autofree char *path = dir != NULL ? g_build_filename (dir, "recorder.events", NULL) : NULL;
  g_autofree char *text = NULL;
  if (path == NULL || !g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  gint64 freeze = 0, thaw = 0;
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **line = lines; *line != NULL; line++) {
    g_auto(GStrv) f = g_strsplit (*line, " ", 3);
    if (g_strv_length (f) == 3 && g_str_equal (f[0], "freeze"))
      freeze = g_ascii_strtoll (f[2], NULL, 10);
    if (g_strv_length (f) == 3 && g_str_equal (f[0], "thaw"))
      thaw = g_ascii_strtoll (f[2], NULL, 10);
  }
  return freeze > 0 && thaw > 0 ? (double) (thaw - freeze) / 1000.0 : -1;
}

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: %s PATH PROVIDER\n", argv[0]);
    return 2;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  VssAsync *async = NULL;
  VssSnapshotTimings t = { 0 };
  gboolean ok = vss_backup_components_initialize_for_backup (bc, NULL, &error) &&
                vss_backup_components_set_backup_state (bc, FALSE, FALSE, VSS_BT_FULL, FALSE, &error) &&
                vss_backup_components_gather_writer_metadata (bc, &async, &error) &&
                finish (async, &error) &&
                vss_backup_components_start_snapshot_set (bc, NULL, &error) &&
                vss_backup_components_add_to_snapshot_set (bc, argv[1], argv[2], NULL, &error) &&
                vss_backup_components_prepare_for_backup (bc, &async, &error) &&
                finish (async, &error) &&
                vss_backup_components_do_snapshot_set (bc, &async, &error) &&
                finish (async, &error) &&
                vss_backup_components_get_snapshot_timings (bc, &t, &error);
  if (!ok) {
    fprintf (stderr, "bench-freeze-driver: %s\n", error->message);
    return 1;
  }
  printf ("provider=%s flush_ms=%.1f window_ms=%.1f commit_ms=%.1f writer_ms=%.1f\n", argv[2],
          t.flush_usec / 1000.0, t.window_usec / 1000.0, t.commit_usec / 1000.0,
          writer_window_ms ());
  return 0;
}
