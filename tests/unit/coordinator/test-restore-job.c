/* The restore job (vss-restore-job.h): the writers' answers decide what
 * is written.  A set of the veto test writer's "data" component (the
 * fixture's data dir) is restored over a changed copy of that dir. */
#include "lifecycle-fixture.h"

#include "coordinator/vss-snapshot-lock.h"

#include <string.h>

TestSuite (restore_job, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

/* A committed set of veto/data holding the data dir as it is now. */
static char *
make_set (void)
{
  g_setenv ("VSS_TEST_VETO_EVENT", "none", TRUE);
  VssBackupComponents *bc = fx_new ("veto", NULL);
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  g_autofree char *bcd = vss_backup_components_save_as_json (bc, NULL);
  const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, 0, NULL);
  g_autofree char *metadata = vss_writer_metadata_to_json (md);
  vss_backup_components_free (bc);
  cr_assert_not_null (bcd);
  char *dir = g_build_filename (fx.tmpdir, "set", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (w, "%s", error ? error->message : "");
  cr_assert (vss_backup_set_writer_add_files (w, "veto/data", fx.data_dir, fx.data_dir, "*", TRUE,
                                              NULL, NULL, NULL, &error), "%s", error ? error->message : "");
  cr_assert (vss_backup_set_writer_add_writer_metadata (w, "veto", metadata, &error));
  cr_assert (vss_backup_set_writer_commit (w, bcd, &error), "%s", error ? error->message : "");
  return dir;
}

static char *
live_file (void)
{
  return g_build_filename (fx.data_dir, "a.txt", NULL);
}

/* The live data changed since the backup. */
static void
change_live (void)
{
  g_autofree char *path = live_file ();
  vss_test_put_file (path, "changed since the backup\n", 0644);
}

static VssRestoreJob *
new_job (const char *set_dir, const char *veto_event)
{
  g_setenv ("VSS_TEST_VETO_EVENT", veto_event, TRUE);
  g_autoptr(GError) error = NULL;
  VssRestoreJob *job = vss_restore_job_new (set_dir, &error);
  cr_assert_not_null (job, "%s", error ? error->message : "");
  g_autofree char *writers = vss_test_writer_dir (fx.tmpdir, "veto", NULL);
  vss_restore_job_set_writer_path (job, writers);
  return job;
}

static void
assert_live_is (const char *contents)
{
  g_autofree char *path = live_file ();
  g_autofree char *now = vss_test_read_file (path);
  cr_assert_str_eq (now, contents);
}

Test (restore_job, writer_that_refuses_at_pre_restore_gets_nothing_written)
{
  g_autofree char *set = make_set ();
  change_live ();
  g_autoptr(VssRestoreJob) job = new_job (set, "pre_restore");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_restore_job_run (job, &error), "%s", error ? error->message : "");
  cr_assert_eq (vss_restore_job_get_result_count (job), 1);
  const VssRestoreResult *r = vss_restore_job_get_result (job, 0);
  cr_assert_str_eq (r->component, "veto/data");
  cr_assert_eq (r->outcome, VSS_RESTORE_OUTCOME_REFUSED, "%s", vss_restore_outcome_to_string (r->outcome));
  cr_assert (strstr (r->message, "vetoed at pre_restore") != NULL, "%s", r->message);
  cr_assert_eq (r->entries, 0);
  assert_live_is ("changed since the backup\n");
  g_autofree char *events = fx_events_string ("veto");
  cr_assert (strstr (events, "pre_restore") != NULL, "%s", events);
}

Test (restore_job, writer_that_agrees_gets_its_files_back)
{
  g_autofree char *set = make_set ();
  change_live ();
  g_autoptr(VssRestoreJob) job = new_job (set, "none");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_restore_job_run (job, &error), "%s", error ? error->message : "");
  const VssRestoreResult *r = vss_restore_job_get_result (job, 0);
  cr_assert_eq (r->outcome, VSS_RESTORE_OUTCOME_RESTORED, "%s", r->message);
  cr_assert_gt (r->entries, 0);
  assert_live_is ("alpha\n");
  g_autofree char *events = fx_events_string ("veto");
  cr_assert (strstr (events, "pre_restore post_restore") != NULL, "%s", events);
}

Test (restore_job, writer_that_rejects_at_post_restore_fails_the_component)
{
  g_autofree char *set = make_set ();
  change_live ();
  g_autoptr(VssRestoreJob) job = new_job (set, "post_restore");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_restore_job_run (job, &error), "%s", error ? error->message : "");
  const VssRestoreResult *r = vss_restore_job_get_result (job, 0);
  cr_assert_eq (r->outcome, VSS_RESTORE_OUTCOME_FAILED);
  cr_assert (strstr (r->message, "vetoed at post_restore") != NULL, "%s", r->message);
}

Test (restore_job, missing_writer_fails_and_writes_nothing)
{
  g_autofree char *set = make_set ();
  change_live ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VssRestoreJob) job = vss_restore_job_new (set, &error);
  g_autofree char *empty = g_build_filename (fx.tmpdir, "no-writers", NULL);
  g_mkdir_with_parents (empty, 0755);
  vss_restore_job_set_writer_path (job, empty);
  cr_assert (vss_restore_job_run (job, &error), "%s", error ? error->message : "");
  const VssRestoreResult *r = vss_restore_job_get_result (job, 0);
  cr_assert_eq (r->outcome, VSS_RESTORE_OUTCOME_FAILED);
  cr_assert (strstr (r->message, "not installed") != NULL, "%s", r->message);
  assert_live_is ("changed since the backup\n");
}

Test (restore_job, elsewhere_the_writer_is_told_the_new_target)
{
  g_autofree char *set = make_set ();
  change_live ();
  g_autoptr(VssRestoreJob) job = new_job (set, "none");
  g_autofree char *root = g_build_filename (fx.tmpdir, "elsewhere", NULL);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_restore_job_set_root (job, root, &error));
  cr_assert_not (vss_restore_job_add_mapping (job, "/a", "/b", &error), "root and mappings mix");
  g_clear_error (&error);
  cr_assert (vss_restore_job_run (job, &error), "%s", error ? error->message : "");
  cr_assert_eq (vss_restore_job_get_result (job, 0)->outcome, VSS_RESTORE_OUTCOME_RESTORED);
  assert_live_is ("changed since the backup\n");
  g_autofree char *copy = g_build_filename (root, fx.data_dir, "a.txt", NULL);
  g_autofree char *text = vss_test_read_file (copy);
  cr_assert_str_eq (text, "alpha\n");
  cr_assert_not (vss_restore_job_run (job, &error), "a job runs once");
}

/* "/" however spelled is in place: it takes the snapshot-set lock (so it
 * waits for no backup's freeze) and the writer is asked like any other
 * restore in place.  Before, a root of "/tmp/.." ran beside a backup. */
Test (restore_job, a_root_of_slash_is_in_place_and_asks_the_writer)
{
  g_autofree char *set = make_set ();
  change_live ();
  g_autoptr(GError) error = NULL;
  {
    g_autoptr(VssSnapshotLock) backup = vss_snapshot_lock_acquire ("a backup", &error);
    cr_assert_not_null (backup, "%s", error ? error->message : "");
    g_autoptr(VssRestoreJob) job = new_job (set, "none");
    cr_assert (vss_restore_job_set_root (job, "/tmp/../", &error));
    cr_assert_not (vss_restore_job_run (job, &error), "a restore in place ran beside a backup");
    cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS), "%s",
               error->message);
    assert_live_is ("changed since the backup\n");
    g_clear_error (&error);
  }
  g_autoptr(VssRestoreJob) job = new_job (set, "pre_restore");
  cr_assert (vss_restore_job_set_root (job, "/tmp/../", &error));
  cr_assert (vss_restore_job_run (job, &error), "%s", error ? error->message : "");
  cr_assert_eq (vss_restore_job_get_result (job, 0)->outcome, VSS_RESTORE_OUTCOME_REFUSED);
  assert_live_is ("changed since the backup\n");
}

Test (restore_job, selection_that_matches_nothing_is_an_error)
{
  g_autofree char *set = make_set ();
  g_autoptr(VssRestoreJob) job = new_job (set, "none");
  vss_restore_job_select (job, "no-such-writer");
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_restore_job_run (job, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND), "%s", error->message);
  cr_assert_eq (vss_restore_job_get_result_count (job), 0);
}

Test (restore_job, files_only_restore_refuses_a_writers_component_in_place)
{
  g_autofree char *dir = make_set ();
  change_live ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not (vss_backup_set_restore_component (set, NULL, "veto/data", NULL, NULL,
                                                   VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED), "%s", error->message);
  g_clear_error (&error);
  cr_assert_not (vss_backup_set_restore_component (set, NULL, "veto/data", "/", NULL,
                                                   VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error),
                 "\"/\" is in place too");
  assert_live_is ("changed since the backup\n");
}
