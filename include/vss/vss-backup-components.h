/* vss-backup-components.h — the requester's side (IVssBackupComponents).
 *
 * One VssBackupComponents per backup, never reused.  The calls must come in
 * the order of docs/architecture.md; a call out of order fails with
 * VSS_ERROR_BAD_STATE and a message naming the call that must come first.
 *
 * The long calls return a VssAsync in @out_async (which must not be NULL);
 * the _async/_finish forms do the same work for GMainLoop applications. */
#pragma once

#include <gio/gio.h>
#include <vss/vss-types.h>
#include <vss/vss-async.h>
#include <vss/vss-writer-metadata.h>
#include <vss/vss-component.h>

G_BEGIN_DECLS

/* The directory libvss, its writers and `vss` read configuration from:
 * $VSS_CONFIG_DIR, else /etc/vss as root, else ~/.config/vss. */
const char *vss_get_config_dir (void);

typedef struct _VssBackupComponents VssBackupComponents;

/* A snapshot of one added path, as get_snapshot_properties reports it. */
typedef struct {
  char *snapshot_id;
  char *snapshot_set_id;
  char *original_path;      /* the path given to add_to_snapshot_set */
  char *snapshot_path;      /* where its frozen image can be read; NULL before commit */
  char *provider;           /* "copy", "btrfs", "reflink" … */
  VssSnapshotContext context;
  gint64 created_usec;      /* wall clock of the commit; 0 before */
} VssSnapshotProp;

void vss_snapshot_prop_free (VssSnapshotProp *prop);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSnapshotProp, vss_snapshot_prop_free)

/* One writer's status after gather_writer_status. */
typedef struct {
  char *instance_id;
  char *writer_id;
  char *writer_name;
  VssWriterState state;
  VssWriterFailure failure;     /* VSS_WF_NONE when it did not fail */
  char *failure_message;        /* "directory: freeze: LMDB write lock busy …" or NULL */
  char *host;                   /* where it runs: "helper", "inproc", or
                                 * "application pid 1234" (app-hosted) */
  char *not_configured;         /* installed but not configured (why), or NULL: such a
                                 * writer takes no part and is not failed */
} VssWriterStatus;

void vss_writer_status_free (VssWriterStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssWriterStatus, vss_writer_status_free)

/* Timings of the last do_snapshot_set, in microseconds. */
typedef struct {
  gint64 prepare_usec;      /* on_prepare_snapshot step */
  gint64 flush_usec;        /* pre-flush outside the window */
  gint64 freeze_usec;       /* on_freeze step */
  gint64 commit_usec;       /* provider commit inside the window */
  gint64 thaw_usec;         /* on_thaw step */
  gint64 window_usec;       /* first freeze sent → last thaw answered */
  gint64 total_usec;        /* whole do_snapshot_set */
} VssSnapshotTimings;

VssBackupComponents *vss_backup_components_new (void);
/* Ends the object: on_backup_shutdown to the writers, non-persistent
 * snapshots deleted, an unfinished snapshot set aborted. */
void vss_backup_components_free (VssBackupComponents *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssBackupComponents, vss_backup_components_free)

/* ---- settings (before gather_writer_metadata) ---- */
/* Deadline of one writer event, default 60000 ms. */
gboolean vss_backup_components_set_event_timeout (VssBackupComponents *self, guint timeout_ms, GError **error);
/* Flush-and-hold limit of the provider commit, default 10000 ms. */
gboolean vss_backup_components_set_hold_timeout (VssBackupComponents *self, guint timeout_ms, GError **error);
/* Colon-separated writer directories; replaces VSS_WRITER_PATH and the
 * compiled-in directory for this object. */
gboolean vss_backup_components_set_writer_path (VssBackupComponents *self, const char *path, GError **error);
/* How plug-in writers run: "helper" (the default: one vss-writer-host
 * process each, so a crash or hang cannot take this process down) or
 * "inproc" (a thread each in this process).  Replaces
 * VSS_WRITER_TRANSPORT for this object. */
gboolean vss_backup_components_set_writer_transport (VssBackupComponents *self, const char *name,
                                                     GError **error);

/* ---- backup, in order ---- */
gboolean vss_backup_components_initialize_for_backup (VssBackupComponents *self,
                                                      const char *bcd_json,
                                                      GError **error);
gboolean vss_backup_components_set_context (VssBackupComponents *self,
                                            VssSnapshotContext context,
                                            GError **error);
gboolean vss_backup_components_set_backup_state (VssBackupComponents *self,
                                                 gboolean select_components,
                                                 gboolean bootable_state,
                                                 VssBackupType backup_type,
                                                 gboolean partial_file_support,
                                                 GError **error);
/* This requester reads writer images (before prepare_for_backup; recorded
 * in the BCD as "writer_images"): a writer may then serve the components
 * it declared images (vss_writer_metadata_set_component_image) after the
 * thaw, and the requester needs no snapshot of their files.  It must then
 * read every image entry of their post-snapshot files before
 * backup_complete (a writer drops an image nobody reads after its pin
 * timeout). */
gboolean vss_backup_components_set_writer_images (VssBackupComponents *self,
                                                  gboolean read_images, GError **error);

gboolean vss_backup_components_gather_writer_metadata (VssBackupComponents *self,
                                                       VssAsync **out_async,
                                                       GError **error);
void     vss_backup_components_gather_writer_metadata_async (VssBackupComponents *self,
                                                             GCancellable *cancellable,
                                                             GAsyncReadyCallback callback,
                                                             gpointer user_data);
gboolean vss_backup_components_gather_writer_metadata_finish (VssBackupComponents *self,
                                                              GAsyncResult *result,
                                                              GError **error);

gboolean vss_backup_components_get_writer_metadata_count (VssBackupComponents *self,
                                                          guint *out_count,
                                                          GError **error);
/* Borrowed; valid as long as @self. */
const VssWriterMetadata *vss_backup_components_get_writer_metadata (VssBackupComponents *self,
                                                                    guint index,
                                                                    GError **error);

/* @instance_id may be NULL when the writer has one instance. */
gboolean vss_backup_components_add_component (VssBackupComponents *self,
                                              const char *instance_id,
                                              const char *writer_id,
                                              VssComponentType type,
                                              const char *logical_path,
                                              const char *name,
                                              GError **error);
gboolean vss_backup_components_set_previous_backup_stamp (VssBackupComponents *self,
                                                          const char *writer_id,
                                                          VssComponentType type,
                                                          const char *logical_path,
                                                          const char *name,
                                                          const char *stamp,
                                                          GError **error);
gboolean vss_backup_components_set_backup_options (VssBackupComponents *self,
                                                   const char *writer_id,
                                                   VssComponentType type,
                                                   const char *logical_path,
                                                   const char *name,
                                                   const char *options,
                                                   GError **error);

gboolean vss_backup_components_start_snapshot_set (VssBackupComponents *self,
                                                   char **out_snapshot_set_id,
                                                   GError **error);
/* @provider: a provider name, or NULL for the cheapest that supports @path. */
gboolean vss_backup_components_add_to_snapshot_set (VssBackupComponents *self,
                                                    const char *path,
                                                    const char *provider,
                                                    char **out_snapshot_id,
                                                    GError **error);

/* When a snapshot of the set is taken. */
typedef enum {
  VSS_SNAPSHOT_WINDOW_FREEZE = 0,     /* inside the writers' freeze (the default) */
  VSS_SNAPSHOT_WINDOW_AFTER_THAW = 1, /* after every writer thawed, before post_snapshot:
                                       * for a tree no writer owns, so that its copy (the
                                       * copy provider) holds no application; its image is
                                       * of a later instant than the writers' */
} VssSnapshotWindow;

/* Between add_to_snapshot_set and do_snapshot_set.  An after-thaw
 * snapshot is not bound by the hold limit (the copy provider does not
 * refuse it for its size); its failure still fails do_snapshot_set (the
 * writers then get abort).  Recorded in the BCD ("window"). */
gboolean vss_backup_components_set_snapshot_window (VssBackupComponents *self,
                                                    const char *snapshot_id,
                                                    VssSnapshotWindow window,
                                                    GError **error);

gboolean vss_backup_components_prepare_for_backup (VssBackupComponents *self,
                                                   VssAsync **out_async,
                                                   GError **error);
void     vss_backup_components_prepare_for_backup_async (VssBackupComponents *self,
                                                         GCancellable *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer user_data);
gboolean vss_backup_components_prepare_for_backup_finish (VssBackupComponents *self,
                                                          GAsyncResult *result,
                                                          GError **error);

gboolean vss_backup_components_do_snapshot_set (VssBackupComponents *self,
                                                VssAsync **out_async,
                                                GError **error);
void     vss_backup_components_do_snapshot_set_async (VssBackupComponents *self,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
gboolean vss_backup_components_do_snapshot_set_finish (VssBackupComponents *self,
                                                       GAsyncResult *result,
                                                       GError **error);

/* After do_snapshot_set: hands the image of @snapshot_id over to the
 * caller, writable, to be consumed — its files moved into a backup set
 * rather than copied a second time (vss_backup_set_writer_set_move_files).
 * Only for an image that is a private copy (the copy provider) of a
 * non-persistent context; VSS_ERROR_NOT_SUPPORTED otherwise (copy from
 * it).  The snapshot is still deleted at the end of the backup. */
gboolean vss_backup_components_take_snapshot_image (VssBackupComponents *self,
                                                    const char *snapshot_id,
                                                    GError **error);

VssSnapshotProp *vss_backup_components_get_snapshot_properties (VssBackupComponents *self,
                                                                const char *snapshot_id,
                                                                GError **error);
gboolean vss_backup_components_get_snapshot_timings (VssBackupComponents *self,
                                                     VssSnapshotTimings *out_timings,
                                                     GError **error);

gboolean vss_backup_components_set_backup_succeeded (VssBackupComponents *self,
                                                     const char *instance_id,
                                                     const char *writer_id,
                                                     VssComponentType type,
                                                     const char *logical_path,
                                                     const char *name,
                                                     gboolean succeeded,
                                                     GError **error);

gboolean vss_backup_components_backup_complete (VssBackupComponents *self,
                                                VssAsync **out_async,
                                                GError **error);
void     vss_backup_components_backup_complete_async (VssBackupComponents *self,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
gboolean vss_backup_components_backup_complete_finish (VssBackupComponents *self,
                                                       GAsyncResult *result,
                                                       GError **error);

/* ---- gates around the freeze window (cluster barriers) ----
 * Called on do_snapshot_set's worker thread at @point: FREEZE after
 * prepare_snapshot, the providers' prepare and the pre-flush, just before
 * freeze (nothing frozen; @deadline_usec is G_MAXINT64: the gate bounds
 * its own wait); then, while every active writer is frozen, COMMIT after
 * the freeze answers and before the providers commit, and THAW after the
 * commit and before the thaw, with @deadline_usec (monotonic) the
 * earliest end of a frozen writer's freeze window, by which the gate must
 * return.  It may block (say, on a barrier with other hosts).  FALSE
 * (with @error set) aborts the set: writers thawed and aborted, snapshots
 * deleted; do_snapshot_set fails with @error. */
typedef enum {
  VSS_WINDOW_GATE_COMMIT,
  VSS_WINDOW_GATE_THAW,
  VSS_WINDOW_GATE_FREEZE,
} VssWindowGatePoint;

typedef gboolean (*VssWindowGateFunc) (VssBackupComponents *self, VssWindowGatePoint point,
                                       gint64 deadline_usec, gpointer user_data, GError **error);

/* Before do_snapshot_set; @func NULL removes the gate. */
gboolean vss_backup_components_set_window_gate (VssBackupComponents *self, VssWindowGateFunc func,
                                                gpointer user_data, GError **error);

/* on_abort to every writer past prepare_for_backup; thaws anything frozen
 * and deletes the snapshot set.  Nothing to abort is not an error. */
gboolean vss_backup_components_abort_backup (VssBackupComponents *self, GError **error);

gboolean vss_backup_components_gather_writer_status (VssBackupComponents *self,
                                                     VssAsync **out_async,
                                                     GError **error);
void     vss_backup_components_gather_writer_status_async (VssBackupComponents *self,
                                                           GCancellable *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer user_data);
gboolean vss_backup_components_gather_writer_status_finish (VssBackupComponents *self,
                                                            GAsyncResult *result,
                                                            GError **error);
gboolean vss_backup_components_get_writer_status_count (VssBackupComponents *self,
                                                        guint *out_count,
                                                        GError **error);
VssWriterStatus *vss_backup_components_get_writer_status (VssBackupComponents *self,
                                                          guint index,
                                                          GError **error);

/* The Backup Components Document as JSON (docs/bcd.md); not before
 * prepare_for_backup. */
char *vss_backup_components_save_as_json (VssBackupComponents *self, GError **error);

/* ---- reading the document's components (backup and restore) ---- */

/* The components recorded in the document: added ones during a backup,
 * the saved ones during a restore. */
gboolean vss_backup_components_get_component_count (VssBackupComponents *self, guint *out_count,
                                                    GError **error);
/* Borrowed, valid until the next call on @self; *out_writer_id and
 * *out_writer_name (borrowed too) say whose component it is. */
const VssComponent *vss_backup_components_get_component (VssBackupComponents *self, guint index,
                                                         const char **out_writer_id,
                                                         const char **out_writer_name,
                                                         GError **error);

/* ---- restore, in order ----
 * initialize_for_restore (the saved document), gather_writer_metadata,
 * the selections and mappings, pre_restore, putting the files back and
 * set_file_restore_status, post_restore.  Backup calls are refused during
 * a restore, and a restore is never aborted. */
gboolean vss_backup_components_initialize_for_restore (VssBackupComponents *self,
                                                       const char *bcd_json, GError **error);
gboolean vss_backup_components_set_selected_for_restore (VssBackupComponents *self,
                                                        const char *writer_id,
                                                        VssComponentType type,
                                                        const char *logical_path,
                                                        const char *name,
                                                        gboolean selected, GError **error);
/* Tells the writer that more restores of the component follow this one
 * (VSS SetAdditionalRestores): a chain restored set by set. */
gboolean vss_backup_components_set_additional_restores (VssBackupComponents *self,
                                                        const char *writer_id,
                                                        VssComponentType type,
                                                        const char *logical_path,
                                                        const char *name,
                                                        gboolean additional, GError **error);
gboolean vss_backup_components_set_restore_options (VssBackupComponents *self,
                                                    const char *writer_id, VssComponentType type,
                                                    const char *logical_path, const char *name,
                                                    const char *options, GError **error);
/* The (path, filespec, recursive) triple must be one of the component's
 * file sets in the writer's metadata. */
gboolean vss_backup_components_add_alternative_location_mapping (VssBackupComponents *self,
                                                                 const char *writer_id,
                                                                 VssComponentType type,
                                                                 const char *logical_path,
                                                                 const char *name,
                                                                 const char *path,
                                                                 const char *filespec,
                                                                 gboolean recursive,
                                                                 const char *destination,
                                                                 GError **error);
gboolean vss_backup_components_add_new_target (VssBackupComponents *self, const char *writer_id,
                                               VssComponentType type, const char *logical_path,
                                               const char *name, const char *path,
                                               const char *filespec, gboolean recursive,
                                               const char *new_path, GError **error);

gboolean vss_backup_components_pre_restore (VssBackupComponents *self, VssAsync **out_async,
                                            GError **error);
void     vss_backup_components_pre_restore_async (VssBackupComponents *self,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
gboolean vss_backup_components_pre_restore_finish (VssBackupComponents *self,
                                                   GAsyncResult *result, GError **error);

/* After pre_restore and before post_restore. */
gboolean vss_backup_components_set_file_restore_status (VssBackupComponents *self,
                                                        const char *writer_id,
                                                        VssComponentType type,
                                                        const char *logical_path,
                                                        const char *name,
                                                        VssFileRestoreStatus status,
                                                        GError **error);

gboolean vss_backup_components_post_restore (VssBackupComponents *self, VssAsync **out_async,
                                             GError **error);
void     vss_backup_components_post_restore_async (VssBackupComponents *self,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer user_data);
gboolean vss_backup_components_post_restore_finish (VssBackupComponents *self,
                                                    GAsyncResult *result, GError **error);

G_END_DECLS
