/* backup-once.c — a minimal requester: one full backup of every selectable
 * component of every writer into a new backup set, with the library's
 * backup job (vss/vss-backup-job.h: what `vss backup --to` does), using
 * only the public API.
 *
 *   backup-once SET_DIR [PATH…]
 *
 * Each PATH is backed up too, as a tree no writer owns.  It prints where
 * each snapshot is while it exists, each component's outcome, each
 * writer's status, and the copy's progress on stderr.  Exit status: 0 on
 * success, 1 when no set was made, 2 when the set was made but a component
 * or a writer failed.  Build it out of tree:
 *   cc -o backup-once backup-once.c $(pkg-config --cflags --libs vss) */
#include <stdio.h>
#include <vss/vss.h>

/* The snapshot set exists and the writers are thawed: where each tree is. */
static void
on_phase_done (const char *phase, double duration_ms, gboolean ok, gpointer user_data)
{
  VssBackupJob *job = user_data;
  if (!ok || g_strcmp0 (phase, "snapshot") != 0)
    return;
  for (guint i = 0; i < vss_backup_job_get_snapshot_count (job); i++) {
    g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (
        vss_backup_job_get_backup_components (job), vss_backup_job_get_snapshot_id (job, i), NULL);
    if (prop != NULL)
      printf ("snapshot set %s: %s is at %s (provider %s)\n", prop->snapshot_set_id,
              prop->original_path, prop->snapshot_path, prop->provider);
  }
}

/* The total is known before the first byte is copied. */
static void
on_progress (guint64 done, guint64 total, const char *path, gpointer user_data)
{
  fprintf (stderr, "\rcopied %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes%s", done, total,
           done == total ? "\n" : "");
}

static void
on_component_done (const VssBackupResult *result, gpointer user_data)
{
  printf ("component: %s %s%s%s\n", result->component, result->succeeded ? "ok" : "failed",
          result->message != NULL ? ": " : "", result->message != NULL ? result->message : "");
}

static void
on_writer_status (const VssWriterStatus *st, gpointer user_data)
{
  printf ("writer %s: state %s, failure %s%s%s\n", st->writer_name,
          vss_writer_state_to_string (st->state), vss_writer_failure_to_string (st->failure),
          st->failure_message ? ": " : "", st->failure_message ? st->failure_message : "");
}

int
main (int argc, char **argv)
{
  const VssBackupJobObserver observer = {
    .phase_done = on_phase_done,
    .progress = on_progress,
    .component_done = on_component_done,
    .writer_status = on_writer_status,
  };
  g_autoptr(GError) error = NULL;

  if (argc < 2) {
    fprintf (stderr, "usage: %s SET_DIR [PATH…]\n", argv[0]);
    return 1;
  }
  g_autoptr(VssBackupJob) job = vss_backup_job_new (VSS_BT_FULL, &error);
  gboolean ok = job != NULL;
  if (ok) {
    vss_backup_job_set_observer (job, &observer, job);
    vss_backup_job_set_target (job, argv[1]);
  }
  for (int i = 2; ok && i < argc; i++)
    ok = vss_backup_job_add_path (job, argv[i], &error);
  /* gather, select, snapshot, copy into the set, backup_complete */
  if (!ok || !vss_backup_job_run (job, &error)) {
    fprintf (stderr, "backup-once: %s (%s)\n", error->message, vss_error_to_hresult_name (error));
    return 1;   /* freeing the job aborts the backup: writers thawed, snapshots deleted */
  }
  gboolean clean = vss_backup_job_get_components_failed (job) == 0 &&
                   vss_backup_job_get_failed_writer_count (job) == 0;
  printf ("backup %s\n", clean ? "succeeded" : "finished with failures");
  return clean ? 0 : 2;
}
