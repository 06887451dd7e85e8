/* test-snapshot-store.c — the snapshot set records: list, delete and
 * clean_stale across processes, with hand-written records of copy-provider
 * snapshots whose creators are dead (a reaped child) or alive (us). */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vss/vss-snapshots.h>

#include "providers/vss-snapshot-record.h"
#include "util/vss-paths.h"
#include "vss-test.h"

VSS_TEST_ENV_FIXTURE (setup, teardown);

TestSuite (store, .init = setup, .fini = teardown);

/* The pid of a process that has exited and been reaped. */
static gint64
dead_pid (void)
{
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    _exit (0);
  waitpid (pid, NULL, 0);
  return pid;
}

/* Writes a record of one copy snapshot (with its storage made) and
 * returns the storage path. */
static char *
fake_set (const char *set_id, const char *snap_id, VssSnapshotContext context, gint64 pid,
          gboolean committed)
{
  g_autoptr(VssSetRecord) record = vss_set_record_new_here (set_id, context);
  record->pid = pid;
  record->start_time = pid == getpid () ? vss_process_start_time (pid) : 12345;
  VssSnapshot *snap = vss_snapshot_new (set_id, "/srv/data", &vss_provider_copy, context);
  g_free (snap->snapshot_id);
  snap->snapshot_id = g_strdup (snap_id);
  snap->storage_path = g_build_filename (vss_paths_state_dir (), "snapshots", set_id, snap_id, NULL);
  snap->snapshot_path = g_build_filename (snap->storage_path, "image", NULL);
  snap->committed = committed;
  cr_assert_eq (g_mkdir_with_parents (snap->snapshot_path, 0700), 0);
  char *storage = g_strdup (snap->storage_path);
  g_ptr_array_add (record->snapshots, snap);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_set_record_save (record, &error), "%s", error ? error->message : "");
  return storage;
}

static gboolean
exists (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

Test (store, list_shows_every_recorded_snapshot)
{
  g_autofree char *a = fake_set ("set-a", "snap-a", VSS_CTX_APP_ROLLBACK, dead_pid (), TRUE);
  g_autofree char *b = fake_set ("set-b", "snap-b", VSS_CTX_BACKUP, getpid (), FALSE);
  g_autoptr(GPtrArray) list = vss_snapshots_list (NULL);
  cr_assert_eq (list->len, 2);
  for (guint i = 0; i < list->len; i++) {
    const VssSnapshotProp *prop = g_ptr_array_index (list, i);
    cr_assert_str_eq (prop->provider, "copy");
    cr_assert_str_eq (prop->original_path, "/srv/data");
    if (g_str_equal (prop->snapshot_id, "snap-a"))
      cr_assert_not_null (prop->snapshot_path);
    else
      cr_assert_null (prop->snapshot_path, "an uncommitted snapshot has no path yet");
  }
}

Test (store, clean_stale_removes_only_what_dead_requesters_left)
{
  g_autofree char *dead_backup = fake_set ("s1", "p1", VSS_CTX_BACKUP, dead_pid (), TRUE);
  g_autofree char *dead_half = fake_set ("s2", "p2", VSS_CTX_APP_ROLLBACK, dead_pid (), FALSE);
  g_autofree char *dead_kept = fake_set ("s3", "p3", VSS_CTX_APP_ROLLBACK, dead_pid (), TRUE);
  g_autofree char *live = fake_set ("s4", "p4", VSS_CTX_BACKUP, getpid (), TRUE);
  g_autoptr(GError) error = NULL;
  cr_assert_eq (vss_snapshots_clean_stale (&error), 2, "%s", error ? error->message : "");
  cr_assert_null (error);
  cr_assert_not (exists (dead_backup), "non-persistent snapshot of a dead requester kept");
  cr_assert_not (exists (dead_half), "half-made persistent snapshot of a dead requester kept");
  cr_assert (exists (dead_kept), "a finished persistent snapshot was removed");
  cr_assert (exists (live), "a live requester's snapshot was removed");
  g_autofree char *r1 = vss_set_record_path ("s1");
  cr_assert_not (exists (r1), "the emptied record remains");
  g_autoptr(GPtrArray) list = vss_snapshots_list (NULL);
  cr_assert_eq (list->len, 2);
  cr_assert_eq (vss_snapshots_clean_stale (NULL), 0, "a second clean-up found more");
}

Test (store, a_reused_pid_is_not_the_creator)
{
  /* Our own pid, but another start time: the creator is gone. */
  g_autofree char *storage = fake_set ("s1", "p1", VSS_CTX_BACKUP, getpid (), TRUE);
  g_autofree char *path = vss_set_record_path ("s1");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSetRecord) record = vss_set_record_load (path, &error);
  cr_assert_not_null (record, "%s", error ? error->message : "");
  record->start_time += 1;
  cr_assert (vss_set_record_save (record, &error));
  cr_assert_eq (vss_snapshots_clean_stale (NULL), 1);
  cr_assert_not (exists (storage));
}

Test (store, delete_by_snapshot_id_or_set_id)
{
  g_autofree char *a = fake_set ("set-a", "snap-a", VSS_CTX_APP_ROLLBACK, dead_pid (), TRUE);
  g_autofree char *b = fake_set ("set-b", "snap-b", VSS_CTX_CLIENT_ACCESSIBLE, getpid (), TRUE);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_snapshots_delete ("snap-a", &error), "%s", error ? error->message : "");
  cr_assert_not (exists (a));
  /* A finished persistent set of a live process can be deleted too. */
  cr_assert (vss_snapshots_delete ("set-b", &error), "%s", error ? error->message : "");
  cr_assert_not (exists (b));
  g_autoptr(GPtrArray) list = vss_snapshots_list (NULL);
  cr_assert_eq (list->len, 0);
}

Test (store, delete_refuses_unknown_ids_and_sets_in_use)
{
  g_autofree char *live = fake_set ("set-live", "snap-live", VSS_CTX_BACKUP, getpid (), TRUE);
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_snapshots_delete ("nope", &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND), "%s", error->message);
  cr_assert (strstr (error->message, "nope") != NULL, "%s", error->message);
  g_clear_error (&error);
  cr_assert_not (vss_snapshots_delete ("snap-live", &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS), "%s",
             error->message);
  g_autofree char *pid = g_strdup_printf ("pid %d", (int) getpid ());
  cr_assert (strstr (error->message, pid) != NULL, "%s", error->message);
  cr_assert (exists (live), "a refused delete removed the snapshot");
}

Test (store, a_damaged_record_is_skipped_and_named)
{
  g_autofree char *good = fake_set ("good", "snap-good", VSS_CTX_APP_ROLLBACK, dead_pid (), TRUE);
  g_autofree char *bad = vss_set_record_path ("bad");
  cr_assert (g_file_set_contents (bad, "{\"snapshot_set_id\": 3}", -1, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSetRecord) record = vss_set_record_load (bad, &error);
  cr_assert_null (record);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT));
  cr_assert (strstr (error->message, bad) != NULL, "%s", error->message);
  g_autoptr(GPtrArray) list = vss_snapshots_list (NULL);
  cr_assert_eq (list->len, 1, "the good record is hidden by the bad one");
  cr_assert (exists (bad), "a damaged record was deleted: it may name real snapshots");
}

Test (store, an_unknown_provider_is_a_clear_error)
{
  g_autofree char *path = vss_set_record_path ("x");
  g_autofree char *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  const char *text = "{\"snapshot_set_id\": \"x\", \"context\": \"backup\", \"pid\": 1, "
                     "\"snapshots\": [{\"snapshot_id\": \"s\", \"original_path\": \"/a\", "
                     "\"snapshot_path\": null, \"storage_path\": null, \"provider\": \"zfs\"}]}";
  cr_assert (g_file_set_contents (path, text, -1, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSetRecord) record = vss_set_record_load (path, &error);
  cr_assert_null (record);
  cr_assert (strstr (error->message, "unknown provider \"zfs\"") != NULL, "%s", error->message);
}

/* "program" is optional in a record: one without it is cleaned and saved
 * again (it crashed there), and a set id that would name a file outside
 * the records' directory is refused. */
Test (store, a_record_without_a_program_is_cleaned)
{
  g_autofree char *storage = fake_set ("s1", "p1", VSS_CTX_BACKUP, dead_pid (), TRUE);
  g_autofree char *kept = fake_set ("s1", "p2", VSS_CTX_APP_ROLLBACK, dead_pid (), TRUE);
  g_autofree char *path = vss_set_record_path ("s1");
  /* One record: p2 kept (finished, persistent), p0 stale (never
   * committed); then "program" dropped from it. */
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSetRecord) record = vss_set_record_load (path, &error);
  cr_assert_not_null (record, "%s", error ? error->message : "");
  VssSnapshot *other = vss_snapshot_new ("s1", "/srv/data", &vss_provider_copy, VSS_CTX_BACKUP);
  g_free (other->snapshot_id);
  other->snapshot_id = g_strdup ("p0");
  other->storage_path = g_strdup (storage);
  other->snapshot_path = g_build_filename (storage, "image", NULL);
  g_ptr_array_add (record->snapshots, other);
  cr_assert (vss_set_record_save (record, &error), "%s", error ? error->message : "");
  g_autofree char *saved = vss_test_read_file (path);
  g_autoptr(GRegex) program = g_regex_new ("\"program\"\\s*:\\s*\"[^\"]*\",?", 0, 0, NULL);
  g_autofree char *without = g_regex_replace_literal (program, saved, -1, 0, "", 0, NULL);
  cr_assert (strstr (without, "\"program\"") == NULL);
  cr_assert (g_file_set_contents (path, without, -1, NULL));
  cr_assert_eq (vss_snapshots_clean_stale (&error), 1, "%s", error ? error->message : "");
  cr_assert_not (exists (storage));
  g_autoptr(VssSetRecord) again = vss_set_record_load (path, &error);
  cr_assert_not_null (again, "%s", error ? error->message : "");
  cr_assert_eq (again->snapshots->len, 1);
  cr_assert_str_eq (again->program, "unknown");
}

Test (store, a_set_id_that_is_not_a_file_name_is_refused)
{
  g_autofree char *path = vss_set_record_path ("x");
  g_autofree char *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  const char *text = "{\"snapshot_set_id\": \"../../escape\", \"context\": \"backup\", "
                     "\"pid\": 1, \"snapshots\": []}";
  cr_assert (g_file_set_contents (path, text, -1, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSetRecord) record = vss_set_record_load (path, &error);
  cr_assert_null (record);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT));
  cr_assert (strstr (error->message, "snapshot_set_id") != NULL, "%s", error->message);
}
