/* vss-restore-job.h — restoring a backup set as VSS restores: the whole
 * lifecycle in one call, with every writer's answer enforced.
 *
 * A restore job opens a set and the sets it builds on, gathers the
 * writers, selects the chosen components (telling each writer where its
 * files go when they go elsewhere), sends pre_restore, puts back the
 * files of every component whose writer is still stable, records each
 * component's file restore status, and sends post_restore.  A component
 * whose writer failed pre_restore, or that its writer marked with a
 * pre-restore failure message, gets none of its files written: it is
 * reported REFUSED with the writer's own message and its files are left
 * byte-identical.  A component whose writer rejects the restored files in
 * post_restore is reported FAILED.
 *
 * A log set is restored with its chain, set by set, oldest first, each in
 * its own session, all but the last telling the writers that more
 * restores follow; the job stops at the first set that is not restored
 * whole.  Any other set is one session; its base sets lend it the data of
 * unchanged files.
 *
 * Typical use:
 *   g_autoptr(VssRestoreJob) job = vss_restore_job_new ("/backup/incr1", &error);
 *   vss_restore_job_set_root (job, "/tmp/look", &error);     // optional
 *   vss_restore_job_run (job, &error);
 *   for (i < vss_restore_job_get_result_count (job)) … */
#pragma once

#include <glib.h>
#include <vss/vss-backup-components.h>
#include <vss/vss-backup-set.h>

G_BEGIN_DECLS

typedef struct _VssRestoreJob VssRestoreJob;

typedef enum {
  VSS_RESTORE_OUTCOME_RESTORED,   /* in place (or at its target) and accepted by its writer */
  VSS_RESTORE_OUTCOME_REFUSED,    /* its writer said no in pre_restore: nothing was written */
  VSS_RESTORE_OUTCOME_FAILED,     /* its writer is missing, its files could not be put back,
                                   * or its writer's post_restore rejected them */
} VssRestoreOutcome;

const char *vss_restore_outcome_to_string (VssRestoreOutcome outcome);

typedef struct {
  const char *component;          /* the set's key: "WRITER/LOGICAL/NAME" or "path:/abs" */
  VssRestoreOutcome outcome;
  const char *message;            /* why, when not restored; NULL otherwise */
  guint entries;                  /* entries written */
  const char *set_dir;            /* the set of the chain it came from */
} VssRestoreResult;

/* What a job tells while it runs; every member may be NULL. */
typedef struct {
  /* a restore session starts: set @index (from 0) of @count */
  void (*set_started) (const char *set_dir, VssBackupType type, guint index, guint count,
                       gpointer user_data);
  /* a lifecycle step ended ("gather", "pre-restore", "post-restore", "status") */
  void (*phase_done) (const char *phase, double duration_ms, gboolean ok, gpointer user_data);
  /* bytes of file data put back */
  VssBackupSetProgress progress;
  /* a component's outcome, once its writer has had its say */
  void (*component_done) (const VssRestoreResult *result, gpointer user_data);
  /* every writer's status after post_restore */
  void (*writer_status) (const VssWriterStatus *status, gpointer user_data);
} VssRestoreJobObserver;

/* Opens the set at @set_dir and finds its chain next to it
 * (vss_backup_set_find_chain); errors as those. */
VssRestoreJob *vss_restore_job_new (const char *set_dir, GError **error);
void           vss_restore_job_free (VssRestoreJob *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssRestoreJob, vss_restore_job_free)

/* Restores only what @spec names (repeatable; none: everything in the
 * set): a writer name, WRITER:LOGICAL/PATH[/NAME], a component key, or
 * path:/abs. */
void     vss_restore_job_select (VssRestoreJob *self, const char *spec);
/* Puts everything under the absolute directory @root instead of in place
 * (the writers get new targets).  Not with mappings. */
gboolean vss_restore_job_set_root (VssRestoreJob *self, const char *root, GError **error);
/* Puts what was under the absolute path @old under @new_path (the
 * writers get alternative location mappings).  Repeatable; not with a
 * root. */
gboolean vss_restore_job_add_mapping (VssRestoreJob *self, const char *old, const char *new_path,
                                      GError **error);
/* Where writer modules are found (default: VSS_WRITER_PATH or the
 * installed directory). */
void     vss_restore_job_set_writer_path (VssRestoreJob *self, const char *path);
void     vss_restore_job_set_observer (VssRestoreJob *self, const VssRestoreJobObserver *observer,
                                       gpointer user_data);

/* Runs the restore.  FALSE with @error when it could not run or stopped:
 * no component matched the selection (VSS_ERROR_OBJECT_NOT_FOUND), the
 * writers could not be gathered, or a set of a log chain was not
 * restored whole (the later ones were not applied).  TRUE when it ran to
 * the end: the results then say which components were restored,
 * refused or failed.  A job runs once. */
gboolean vss_restore_job_run (VssRestoreJob *self, GError **error);

/* The outcome of every component the last session chose (for a chain
 * that stopped, of the session that stopped it). */
guint                   vss_restore_job_get_result_count (const VssRestoreJob *self);
const VssRestoreResult *vss_restore_job_get_result (const VssRestoreJob *self, guint index);
/* How many sets of the chain were (or were being) restored. */
guint                   vss_restore_job_get_set_count (const VssRestoreJob *self);
/* Entries written over all sessions. */
guint                   vss_restore_job_get_entries (const VssRestoreJob *self);

G_END_DECLS
