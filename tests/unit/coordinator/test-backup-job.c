/* The backup job (vss-backup-job.h) through the public API: a backup of a
 * test writer's component and a path tree into a set, with honest
 * progress; a selection that leaves out a dependency refused before
 * anything is frozen; a writer that fails marks its components failed. */
#include "lifecycle-fixture.h"

#include <string.h>

TestSuite (backup_job, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

typedef struct {
  guint calls;
  guint64 first_total;
  guint64 last_done;
  guint64 last_total;
  gboolean total_changed;
  gboolean done_beyond_total;
  GPtrArray *phases;          /* char*: the phases that ended, in order */
} Seen;

static void
on_progress (guint64 done, guint64 total, const char *path, gpointer user_data)
{
  Seen *seen = user_data;
  if (seen->calls++ == 0)
    seen->first_total = total;
  seen->total_changed |= total != seen->first_total;
  seen->done_beyond_total |= done > total;
  seen->last_done = done;
  seen->last_total = total;
}

static void
on_phase_done (const char *phase, double duration_ms, gboolean ok, gpointer user_data)
{
  Seen *seen = user_data;
  g_ptr_array_add (seen->phases, g_strdup (phase));
}

/* A job whose writers are those in @writers (fx_writer_dir; taken). */
static VssBackupJob *
new_job (Seen *seen, char *writers)
{
  static const VssBackupJobObserver observer = {
    .phase_done = on_phase_done,
    .progress = on_progress,
  };
  g_autofree char *owned = writers;
  g_autoptr(GError) error = NULL;
  VssBackupJob *job = vss_backup_job_new (VSS_BT_FULL, &error);
  cr_assert_not_null (job, "%s", error ? error->message : "");
  vss_backup_job_set_writer_path (job, writers);
  seen->phases = g_ptr_array_new_with_free_func (g_free);
  vss_backup_job_set_observer (job, &observer, seen);
  return job;
}

static const VssBackupResult *
result_of (VssBackupJob *job, const char *key)
{
  for (guint i = 0; i < vss_backup_job_get_result_count (job); i++)
    if (g_str_equal (vss_backup_job_get_result (job, i)->component, key))
      return vss_backup_job_get_result (job, i);
  cr_assert_fail ("no result for %s", key);
  return NULL;
}

/* A tree no writer owns, with @size bytes in one file. */
static char *
make_tree (guint size)
{
  char *dir = g_build_filename (fx.tmpdir, "tree", NULL);
  g_autofree char *sub = g_build_filename (dir, "deep", NULL);
  g_mkdir_with_parents (sub, 0755);
  g_autofree char *blob = g_build_filename (sub, "blob.bin", NULL);
  g_autofree char *data = g_malloc0 (size);
  cr_assert (g_file_set_contents (blob, data, size, NULL));
  return dir;
}

Test (backup_job, backs_up_a_component_and_a_path_with_honest_progress)
{
  Seen seen = { 0 };
  g_setenv ("VSS_TEST_VETO_EVENT", "none", TRUE);
  g_autoptr(VssBackupJob) job = new_job (&seen, fx_writer_dir ("veto", NULL));
  g_autofree char *tree = make_tree (200000);
  g_autofree char *set_dir = g_build_filename (fx.tmpdir, "set", NULL);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_job_add_path (job, tree, &error), "%s", error ? error->message : "");
  vss_backup_job_set_target (job, set_dir);

  cr_assert (vss_backup_job_run (job, &error), "%s", error ? error->message : "");

  /* the total was known before the first byte, never changed, and the
   * last call says all of it is done */
  cr_assert_gt (seen.calls, 1);
  cr_assert_geq (seen.first_total, 200000 + strlen ("alpha\n") + strlen ("bravo\n"));
  cr_assert_not (seen.total_changed);
  cr_assert_not (seen.done_beyond_total);
  cr_assert_eq (seen.last_done, seen.last_total, "last done %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT,
                seen.last_done, seen.last_total);
  cr_assert_eq (vss_backup_job_get_result_count (job), 2);
  const VssBackupResult *data = result_of (job, "veto/data");
  cr_assert (data->succeeded, "%s", data->message ? data->message : "");
  g_autofree char *key = g_strdup_printf ("path:%s", tree);
  cr_assert (result_of (job, key)->succeeded);
  cr_assert_eq (vss_backup_job_get_components_ok (job), 1);
  cr_assert_eq (vss_backup_job_get_components_failed (job), 0);
  cr_assert_eq (vss_backup_job_get_failed_writer_count (job), 0);
  cr_assert_geq (vss_backup_job_get_bytes (job), 200000);

  /* a set that opens, with the writer's file and the tree's */
  g_autoptr(VssBackupSet) set = vss_backup_set_open (set_dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  g_autofree char *bcd = g_strdup (vss_backup_set_get_bcd (set));
  cr_assert (strstr (bcd, "\"backup_succeeded\": true") != NULL, "%s", bcd);
  g_autofree char *events = fx_events_string ("veto");
  cr_assert (strstr (events, "freeze thaw post_snapshot backup_complete") != NULL, "%s", events);
  g_ptr_array_add (seen.phases, NULL);
  g_autofree char *phases = g_strjoinv (" ", (char **) seen.phases->pdata);
  cr_assert_str_eq (phases, "gather prepare snapshot status complete status");
  g_ptr_array_unref (seen.phases);
}

Test (backup_job, refuses_a_selection_without_its_dependency_before_freezing)
{
  Seen seen = { 0 };
  g_autoptr(VssBackupJob) job = new_job (&seen, fx_writer_dir ("contract", NULL));
  g_autofree char *logs = g_build_filename (fx.data_dir, "logs", NULL);
  g_mkdir_with_parents (logs, 0755);
  g_autofree char *set_dir = g_build_filename (fx.tmpdir, "set", NULL);
  vss_backup_job_set_target (job, set_dir);
  vss_backup_job_select (job, "contract:data");
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_backup_job_run (job, &error));
  fx_assert_error (error, VSS_ERROR_INVALID_ARG, "depends on contract:logs");
  cr_assert_not (g_file_test (set_dir, G_FILE_TEST_EXISTS), "a set was made");
  cr_assert_eq (vss_backup_job_get_component_count (job), 0);
  g_ptr_array_unref (seen.phases);
}

Test (backup_job, a_failed_writer_marks_its_components_failed)
{
  Seen seen = { 0 };
  /* veto fails after the snapshot; recorder is fine */
  g_setenv ("VSS_TEST_VETO_EVENT", "post_snapshot", TRUE);
  g_autoptr(VssBackupJob) job = new_job (&seen, fx_writer_dir ("veto", "recorder", NULL));
  g_autofree char *set_dir = g_build_filename (fx.tmpdir, "set", NULL);
  vss_backup_job_set_target (job, set_dir);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_job_run (job, &error), "%s", error ? error->message : "");
  cr_assert (vss_backup_job_writer_failed (job, "veto"));
  cr_assert_not (vss_backup_job_writer_failed (job, "recorder"));
  const VssBackupResult *vetoed = result_of (job, "veto/data");
  cr_assert_not (vetoed->succeeded);
  cr_assert (result_of (job, "recorder/data")->succeeded);
  cr_assert_geq (vss_backup_job_get_components_failed (job), 1);
  cr_assert_eq (vss_backup_job_get_failed_writer_count (job), 1);
  g_autoptr(VssBackupSet) set = vss_backup_set_open (set_dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  g_ptr_array_unref (seen.phases);
}

Test (backup_job, refuses_to_run_without_a_target_before_gathering)
{
  Seen seen = { 0 };
  g_setenv ("VSS_TEST_VETO_EVENT", "none", TRUE);
  g_autoptr(VssBackupJob) job = new_job (&seen, fx_writer_dir ("veto", NULL));
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_backup_job_run (job, &error));
  fx_assert_error (error, VSS_ERROR_INVALID_ARG, "vss_backup_job_set_target");
  cr_assert_eq (seen.phases->len, 0, "a phase ran: %s", (char *) g_ptr_array_index (seen.phases, 0));
  g_ptr_array_unref (seen.phases);
}
