/* vss-backup-job.h — a backup as `vss backup --to` makes it: the whole
 * lifecycle in one call.
 *
 * A backup job gathers the writers, selects the chosen components (with
 * what they depend on: a selection that leaves a dependency out is
 * refused before anything is frozen), builds the snapshot set from their
 * file sets and the extra trees given with add_path, checks the target
 * and the room, freezes and snapshots, copies every component from the
 * snapshot into a new backup set (leaving out the files each writer
 * excludes, adding the files a writer provided after the snapshot), marks
 * each component backed up or not, commits the set with the final
 * document and sends backup_complete.  A component whose writer failed,
 * or whose files could not be read, is marked failed and left out; the
 * others are still backed up.
 *
 * The steps can also be run one by one (plan, snapshot, then copy — or
 * anything else done with the snapshot, then mark — then complete), for
 * callers that hand the snapshot to another program instead of copying.
 *
 * Typical use:
 *   g_autoptr(VssBackupJob) job = vss_backup_job_new (VSS_BT_FULL, &error);
 *   vss_backup_job_select (job, "my-writer");               // optional
 *   vss_backup_job_add_path (job, "/etc", &error);          // optional
 *   vss_backup_job_set_target (job, "/backup/monday");
 *   if (!vss_backup_job_run (job, &error)) …
 *   for (i < vss_backup_job_get_result_count (job)) … */
#pragma once

#include <glib.h>
#include <vss/vss-backup-components.h>
#include <vss/vss-backup-set.h>
#include <vss/vss-writer-metadata.h>

G_BEGIN_DECLS

typedef struct _VssBackupJob VssBackupJob;

typedef struct {
  const char *component;          /* the set's key: "WRITER/LOGICAL/NAME" or "path:/abs" */
  gboolean succeeded;             /* in the set, and marked backup_succeeded */
  const char *message;            /* why its files are not in the set; NULL when they are or
                                   * when its writer failed (the writer's status says why) */
} VssBackupResult;

/* What a job tells while it runs; every member may be NULL. */
typedef struct {
  /* a lifecycle step ended: "gather", "prepare", "snapshot" (the set
   * exists, the writers are thawed), "status", "complete" */
  void (*phase_done) (const char *phase, double duration_ms, gboolean ok, gpointer user_data);
  /* bytes copied into the set; @total is the size of the trees to copy,
   * known before the first byte (files left out count as done: the last
   * call has @done == @total) */
  VssBackupSetProgress progress;
  /* a component or path tree is in the set, or not */
  void (*component_done) (const VssBackupResult *result, gpointer user_data);
  /* every writer's status after backup_complete */
  void (*writer_status) (const VssWriterStatus *status, gpointer user_data);
} VssBackupJobObserver;

/* A job making a backup of @type: full, copy, incremental, differential
 * or log (VSS_ERROR_INVALID_ARG for any other). */
VssBackupJob *vss_backup_job_new (VssBackupType type, GError **error);
void          vss_backup_job_free (VssBackupJob *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssBackupJob, vss_backup_job_free)

/* Backs up only what @spec names (repeatable; none: every selectable
 * component of every writer): a writer name, WRITER:LOGICAL/PATH/NAME or
 * WRITER:NAME.  Components the chosen ones depend on must be chosen too. */
void     vss_backup_job_select (VssBackupJob *self, const char *spec);
/* Also backs up the directory tree @path (repeatable), stored as
 * "path:/canonical/path". */
gboolean vss_backup_job_add_path (VssBackupJob *self, const char *path, GError **error);
/* Leaves out what matches the glob @pattern under the add_path trees: on
 * the path below the tree, or on a file name (repeatable). */
void     vss_backup_job_add_exclude (VssBackupJob *self, const char *pattern);
/* How the add_path trees no writer owns are read: "after-thaw" (default:
 * their own snapshot once the writers thawed), "freeze" (inside the
 * writers' freeze) or "crash" (no snapshot: read live). */
gboolean vss_backup_job_set_path_consistency (VssBackupJob *self, const char *mode, GError **error);
/* The set an incremental, differential or log backup builds on. */
void     vss_backup_job_set_base (VssBackupJob *self, const char *base_dir);
/* The snapshot provider ("btrfs", "reflink", "copy", "fsfreeze"; default
 * NULL: the cheapest that works). */
void     vss_backup_job_set_provider (VssBackupJob *self, const char *provider);
/* The longest snapshot commit the writers are held for (0: the default). */
void     vss_backup_job_set_hold_limit (VssBackupJob *self, guint hold_limit_ms);
/* The backup set to write (a directory that must not exist). */
void     vss_backup_job_set_target (VssBackupJob *self, const char *set_dir);
/* Where writer modules are found (default: VSS_WRITER_PATH or the
 * installed directory). */
void     vss_backup_job_set_writer_path (VssBackupJob *self, const char *path);
void     vss_backup_job_set_observer (VssBackupJob *self, const VssBackupJobObserver *observer,
                                      gpointer user_data);

/* plan, snapshot, copy and complete.  FALSE with @error when no set was
 * made; TRUE when the set was committed: the results then say which
 * components are in it.  A job runs once. */
gboolean vss_backup_job_run (VssBackupJob *self, GError **error);

/* No set is written (no target; a program reads the snapshot at the
 * original paths): the writers still serve their images in a full or
 * copy backup, and vss_backup_job_stage_images writes them as files
 * under @parent (NULL: <state dir>/staging), whose free space plan checks
 * before anything is frozen. */
void     vss_backup_job_set_image_staging (VssBackupJob *self, const char *parent);

/* ---- the steps of run ---- */
/* Everything decided before any writer holds its application: the target
 * and the base set checked, the writers gathered, the components selected
 * (VSS_ERROR_INVALID_ARG for a spec that matches nothing or a missing
 * dependency), the snapshot set built, the room checked. */
gboolean vss_backup_job_plan (VssBackupJob *self, GError **error);
/* prepare_for_backup and do_snapshot_set; then which writers failed. */
gboolean vss_backup_job_snapshot (VssBackupJob *self, GError **error);
/* Copies every selected component and path tree from the snapshot into
 * the target and commits it with the final document, marking each
 * component.  FALSE when no set was made (every component marked failed). */
gboolean vss_backup_job_copy (VssBackupJob *self, GError **error);
/* Marks every selected component whose writer did not fail with
 * @succeeded (the others failed): for callers that store the snapshot
 * themselves instead of copying it. */
gboolean vss_backup_job_mark (VssBackupJob *self, gboolean succeeded, GError **error);
/* backup_complete, then every writer's status (the observer's
 * writer_status). */
gboolean vss_backup_job_complete (VssBackupJob *self, GError **error);
/* After snapshot, with image staging: reads every image the writers
 * served (and the files they provided live) into a new directory under
 * the staging parent, in one tree at their original paths with the live
 * files' owner, mode and times (the observer hears phase "images").
 * Checks the free space first; FALSE with @error (nothing left staged)
 * when an image cannot be read or written.  A staging directory whose
 * process is gone (killed) is removed here too. */
gboolean vss_backup_job_stage_images (VssBackupJob *self, GError **error);
/* Removes the staged images (freeing the job does too). */
void     vss_backup_job_remove_staged_images (VssBackupJob *self);
/* The staged directories: @index's original path (an image component's
 * file-set directory) in *@original, and where it is staged (free it);
 * shown over the original, it holds what a set of the image holds. */
guint    vss_backup_job_get_image_root_count (const VssBackupJob *self);
char    *vss_backup_job_get_staged_image_root (const VssBackupJob *self, guint index,
                                               const char **original);

/* ---- what a planned job holds ---- */
/* The document and the writers (after plan), for what the job does not do. */
VssBackupComponents *vss_backup_job_get_backup_components (VssBackupJob *self);
/* The selected components, in order; *@metadata and *@key (the set's key)
 * when not NULL. */
guint                vss_backup_job_get_component_count (const VssBackupJob *self);
const VssWmComponent *vss_backup_job_get_component (const VssBackupJob *self, guint index,
                                                    const VssWriterMetadata **metadata,
                                                    const char **key);
/* Does component @index come as its writer's image in this backup (read
 * from the writer after the thaw, in no snapshot)? */
gboolean    vss_backup_job_component_is_image (const VssBackupJob *self, guint index);
/* Did the writer named @writer_name fail by the end of the snapshot? */
gboolean    vss_backup_job_writer_failed (const VssBackupJob *self, const char *writer_name);
/* The trees the backup reads (the components' file sets and the paths). */
guint       vss_backup_job_get_root_count (const VssBackupJob *self);
const char *vss_backup_job_get_root (const VssBackupJob *self, guint index);
/* The snapshots of the set (ids for vss_backup_components_get_snapshot_properties). */
guint       vss_backup_job_get_snapshot_count (const VssBackupJob *self);
const char *vss_backup_job_get_snapshot_id (const VssBackupJob *self, guint index);
/* Snapshot @index's properties (free with vss_snapshot_prop_free), or NULL
 * when the set no longer holds it. */
VssSnapshotProp *vss_backup_job_get_snapshot (VssBackupJob *self, guint index);
/* The path trees read live, with no snapshot ("crash" consistency). */
guint       vss_backup_job_get_live_root_count (const VssBackupJob *self);
const char *vss_backup_job_get_live_root (const VssBackupJob *self, guint index);
/* Where @original (a file-set path or an added path) is inside the
 * snapshot (or @original itself for a tree read live), after snapshot;
 * VSS_ERROR_OBJECT_NOT_FOUND when nothing covers it. */
char       *vss_backup_job_snapshot_path (VssBackupJob *self, const char *original, GError **error);
/* The room the roots take on disk (allocated sizes). */
guint64     vss_backup_job_estimate_bytes (VssBackupJob *self);

/* ---- the outcome ---- */
/* One result per selected component, then per path tree, after copy
 * (components only after mark). */
guint                  vss_backup_job_get_result_count (const VssBackupJob *self);
const VssBackupResult *vss_backup_job_get_result (const VssBackupJob *self, guint index);
/* Components marked succeeded and failed. */
guint                  vss_backup_job_get_components_ok (const VssBackupJob *self);
guint                  vss_backup_job_get_components_failed (const VssBackupJob *self);
/* Bytes and entries written into the set. */
guint64                vss_backup_job_get_bytes (const VssBackupJob *self);
guint                  vss_backup_job_get_entries (const VssBackupJob *self);
/* Writers whose failure changes the outcome, after complete: those that
 * owned a chosen component and, when every writer was asked for, those
 * that could not even say what they own. */
guint                  vss_backup_job_get_failed_writer_count (const VssBackupJob *self);

G_END_DECLS
