/* backup-once.c — a minimal requester: one full, component-mode backup of PATH
 * with every selectable component of every writer, using only the public API.
 *
 *   backup-once PATH [BCD.json]
 *
 * It prints where the snapshot of PATH is and the files it holds (a real
 * backup tool would copy them into its backup set at that point), then each
 * writer's status, and the Backup Components Document (to BCD.json when given,
 * else to stdout).  Exit status: 0 on success, 1 when a call failed (the
 * backup was aborted), 2 when the backup finished but a writer reported a
 * failure.  Build it out of tree:
 *   cc -o backup-once backup-once.c $(pkg-config --cflags --libs vss) */
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/stat.h>
#include <vss/vss.h>

/* Waits for a long call; FALSE with @error when it did not finish well. */
static gboolean
wait_for (VssAsync *async, const char *call, GError **error)
{
  g_autoptr(VssAsync) owned = async;
  VssAsyncStatus status = vss_async_wait (owned, -1, error);
  if (status == VSS_ASYNC_FINISHED)
    return TRUE;
  if (error != NULL && *error == NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_CANCELLED, "%s did not finish", call);
  g_prefix_error (error, "%s: ", call);
  return FALSE;
}

/* Adds every selectable component, or (@mark) marks each one backed up. */
static gboolean
for_each_component (VssBackupComponents *bc, gboolean mark, GError **error)
{
  guint n_writers = 0;
  if (!vss_backup_components_get_writer_metadata_count (bc, &n_writers, error))
    return FALSE;
  for (guint w = 0; w < n_writers; w++) {
    const VssWriterMetadata *wmd = vss_backup_components_get_writer_metadata (bc, w, error);
    if (wmd == NULL)
      return FALSE;
    for (guint c = 0; c < vss_writer_metadata_get_component_count (wmd); c++) {
      const VssWmComponent *comp = vss_writer_metadata_get_component (wmd, c);
      const char *instance = vss_writer_metadata_get_instance_id (wmd);
      const char *writer = vss_writer_metadata_get_writer_id (wmd);
      if (!vss_wm_component_is_selectable (comp))
        continue;
      gboolean ok = mark
        ? vss_backup_components_set_backup_succeeded (bc, instance, writer,
              vss_wm_component_get_type (comp), vss_wm_component_get_logical_path (comp),
              vss_wm_component_get_name (comp), TRUE, error)
        : vss_backup_components_add_component (bc, instance, writer,
              vss_wm_component_get_type (comp), vss_wm_component_get_logical_path (comp),
              vss_wm_component_get_name (comp), error);
      if (!ok)
        return FALSE;
      if (!mark)
        printf ("component: %s / %s\n", vss_writer_metadata_get_writer_name (wmd),
                vss_wm_component_get_name (comp));
    }
  }
  return TRUE;
}

/* Lists the files of the snapshot, the way a backup tool would walk it. */
static void
list_files (const char *root, const char *relative)
{
  g_autofree char *dir_path = g_build_filename (root, relative, NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *rel = *relative ? g_build_filename (relative, name, NULL) : g_strdup (name);
    g_autofree char *path = g_build_filename (root, rel, NULL);
    GStatBuf st;
    if (g_lstat (path, &st) != 0)
      continue;
    if (S_ISDIR (st.st_mode))
      list_files (root, rel);
    else
      printf ("  file: %s (%lld bytes)\n", rel, (long long) st.st_size);
  }
}

/* The backup itself; @out_failed_writers counts the writers that failed. */
static gboolean
backup_once (const char *path, const char *bcd_file, guint *out_failed_writers, GError **error)
{
  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  g_autofree char *set_id = NULL, *snapshot_id = NULL, *json = NULL;
  VssAsync *async = NULL;
  guint n_status = 0;

  if (!vss_backup_components_initialize_for_backup (bc, NULL, error) ||
      !vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, error) ||
      !vss_backup_components_gather_writer_metadata (bc, &async, error) ||
      !wait_for (async, "gather_writer_metadata", error) ||
      !for_each_component (bc, FALSE, error) ||
      !vss_backup_components_start_snapshot_set (bc, &set_id, error) ||
      !vss_backup_components_add_to_snapshot_set (bc, path, NULL, &snapshot_id, error) ||
      !vss_backup_components_prepare_for_backup (bc, &async, error) ||
      !wait_for (async, "prepare_for_backup", error) ||
      !vss_backup_components_do_snapshot_set (bc, &async, error) ||
      !wait_for (async, "do_snapshot_set", error))
    return FALSE;   /* freeing @bc aborts the backup: writers thawed, snapshot deleted */

  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, snapshot_id, error);
  if (prop == NULL)
    return FALSE;
  printf ("snapshot set %s: %s is at %s (provider %s)\n", set_id, prop->original_path,
          prop->snapshot_path, prop->provider);
  list_files (prop->snapshot_path, "");

  if (!for_each_component (bc, TRUE, error) ||
      !vss_backup_components_backup_complete (bc, &async, error) ||
      !wait_for (async, "backup_complete", error) ||
      !vss_backup_components_gather_writer_status (bc, &async, error) ||
      !wait_for (async, "gather_writer_status", error) ||
      !vss_backup_components_get_writer_status_count (bc, &n_status, error))
    return FALSE;
  for (guint i = 0; i < n_status; i++) {
    g_autoptr(VssWriterStatus) st = vss_backup_components_get_writer_status (bc, i, error);
    if (st == NULL)
      return FALSE;
    printf ("writer %s: state %s, failure %s%s%s\n", st->writer_name,
            vss_writer_state_to_string (st->state), vss_writer_failure_to_string (st->failure),
            st->failure_message ? ": " : "", st->failure_message ? st->failure_message : "");
    *out_failed_writers += st->failure != VSS_WF_NONE;
  }

  json = vss_backup_components_save_as_json (bc, error);
  if (json == NULL)
    return FALSE;
  if (bcd_file == NULL)
    printf ("%s\n", json);
  else if (!g_file_set_contents (bcd_file, json, -1, error))
    return FALSE;
  return TRUE;   /* freeing @bc ends the backup (on_backup_shutdown) and deletes the snapshot */
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  guint failed_writers = 0;

  if (argc < 2 || argc > 3) {
    fprintf (stderr, "usage: %s PATH [BCD.json]\n", argv[0]);
    return 1;
  }
  if (!backup_once (argv[1], argc > 2 ? argv[2] : NULL, &failed_writers, &error)) {
    fprintf (stderr, "backup-once: %s (%s)\n", error->message, vss_error_to_hresult_name (error));
    return 1;
  }
  printf ("backup %s\n", failed_writers == 0 ? "succeeded" : "finished with writer failures");
  return failed_writers == 0 ? 0 : 2;
}
