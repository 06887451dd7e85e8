/* bench-ds-driver.c — the libvss side of bench-directory.sh.
 *   stream-fd OUTDIR      vss_ds_* full backup of the configured directory
 *                         into OUTDIR/data.mdb through
 *                         vss_ds_backup_read_to_fd (no caller buffer)
 *   stream OUTDIR         the same through vss_ds_backup_read (16 MiB reads)
 *   snapshot DIR PROVIDER a VSS backup of the directory writer's component
 *                         with a snapshot of DIR by PROVIDER; prints the
 *                         freeze window and provider commit in ms
 * The stream modes time themselves from prepare to end and print seconds;
 * the script times the whole process too, as it times mdb_copy. */
#define _GNU_SOURCE 1   /* O_DIRECT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vss/vss.h>

/* Large reads, as mdb_copy writes its copy in one call: with O_DIRECT the
 * device sees big requests either way. */
#ifndef DRIVER_CHUNK
#define DRIVER_CHUNK (16 << 20)
#endif

/* Copies the open file to @fd: through a buffer, or straight to the fd. */
static VssHResult
copy_out (VssDsHandle *h, int fd, gboolean to_fd)
{
  VssHResult hr;
  if (to_fd) {
    guint64 written = 0;
    while ((hr = vss_ds_backup_read_to_fd (h, fd, 0, &written)) == VSS_S_OK)
      ;
    return hr;
  }
  void *buffer = NULL;
  guint32 got = 0;
  if (posix_memalign (&buffer, 4096, DRIVER_CHUNK) != 0)
    return VSS_DS_HR_ERROR;
  while ((hr = vss_ds_backup_read (h, buffer, DRIVER_CHUNK, &got)) == VSS_S_OK)
    if (write (fd, buffer, got) != (ssize_t) got) {
      hr = VSS_DS_HR_ERROR;
      break;
    }
  free (buffer);
  return hr;
}

static int
stream (const char *outdir, gboolean to_fd)
{
  void *token = NULL;
  guint32 token_size = 0, size = 0;
  VssDsHandle *h = NULL;
  char *names = NULL;
  guint64 total = 0;
  gint64 start = g_get_monotonic_time ();
  if (vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_FULL, &token, &token_size, &h) != 0 ||
      vss_ds_backup_get_database_names (h, &names, &size) != 0 ||
      vss_ds_backup_open_file (h, names + 1, 0, &total) != 0) {
    fprintf (stderr, "stream: %s\n", vss_ds_get_last_error_message ());
    return 1;
  }
  g_autofree char *path = g_build_filename (outdir, "data.mdb", NULL);
  /* O_DIRECT, as mdb_copy writes its output: the same target, the same way.
   * Every piece is whole pages, so the writes stay aligned. */
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0600);
  if (fd < 0)
    fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    return 1;
  VssHResult hr = copy_out (h, fd, to_fd);
  close (fd);
  if (hr != VSS_WIN32_ERROR_HANDLE_EOF)
    fprintf (stderr, "stream: 0x%08X %s\n", hr, vss_ds_get_last_error_message ());
  vss_ds_backup_close (h);
  vss_ds_backup_end (h);
  vss_ds_backup_free (names);
  vss_ds_backup_free (token);
  if (hr != VSS_WIN32_ERROR_HANDLE_EOF)
    return 1;
  printf ("%.3f\n", (g_get_monotonic_time () - start) / 1e6);
  return 0;
}

static gboolean
finish (VssAsync *async)
{
  VssAsyncStatus status = vss_async_wait (async, -1, NULL);
  vss_async_unref (async);
  return status == VSS_ASYNC_FINISHED;
}

static int
snapshot (const char *dir, const char *provider)
{
  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  g_autoptr(GError) error = NULL;
  VssAsync *async = NULL;
  guint count = 0;
  g_autofree char *set = NULL, *snap = NULL;
  if (!vss_backup_components_initialize_for_backup (bc, NULL, &error) ||
      !vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, &error) ||
      !vss_backup_components_gather_writer_metadata (bc, &async, &error) || !finish (async) ||
      !vss_backup_components_get_writer_metadata_count (bc, &count, &error))
    goto fail;
  gboolean found = FALSE;
  for (guint i = 0; i < count; i++) {
    const VssWriterMetadata *wm = vss_backup_components_get_writer_metadata (bc, i, NULL);
    if (g_strcmp0 (vss_writer_metadata_get_writer_name (wm), "directory") != 0)
      continue;
    const VssWmComponent *c = vss_writer_metadata_get_component (wm, 0);
    found = TRUE;
    if (!vss_backup_components_add_component (bc, NULL, vss_writer_metadata_get_writer_id (wm),
                                              VSS_CT_DATABASE, vss_wm_component_get_logical_path (c),
                                              vss_wm_component_get_name (c), &error))
      goto fail;
  }
  if (!found) {                 /* a window without the writer measures nothing */
    fprintf (stderr, "snapshot: the directory writer did not answer identify\n");
    return 1;
  }
  VssSnapshotTimings t;
  if (!vss_backup_components_start_snapshot_set (bc, &set, &error) ||
      !vss_backup_components_add_to_snapshot_set (bc, dir, provider, &snap, &error) ||
      !vss_backup_components_prepare_for_backup (bc, &async, &error) || !finish (async) ||
      !vss_backup_components_do_snapshot_set (bc, &async, &error) || !finish (async) ||
      !vss_backup_components_get_snapshot_timings (bc, &t, &error))
    goto fail;
  printf ("%.1f %.1f\n", t.window_usec / 1000.0, t.commit_usec / 1000.0);
  vss_backup_components_abort_backup (bc, NULL);
  return 0;
fail:
  fprintf (stderr, "snapshot: %s\n", error ? error->message : "an async step failed");
  return 1;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "stream") == 0)
    return stream (argv[2], FALSE);
  if (argc == 3 && strcmp (argv[1], "stream-fd") == 0)
    return stream (argv[2], TRUE);
  if (argc == 4 && strcmp (argv[1], "snapshot") == 0)
    return snapshot (argv[2], argv[3]);
  fprintf (stderr, "usage: %s stream-fd OUTDIR | stream OUTDIR | snapshot DIR PROVIDER\n",
           argv[0]);
  return 2;
}
