/* vss-component.h — one component as recorded in the Backup Components
 * Document (IVssComponent).
 *
 * Writers reach their own components through vss_writer_get_component()
 * during an event; the setters work while the document is writable
 * (from prepare_for_backup until backup_complete, and during a restore
 * until post_restore) and fail with VSS_ERROR_BAD_STATE otherwise. */
#pragma once

#include <glib.h>
#include <vss/vss-types.h>

G_BEGIN_DECLS

typedef struct _VssComponent VssComponent;
typedef struct _VssWmFile VssWmFile;   /* vss-writer-metadata.h reads it */

VssComponentType vss_component_get_type (const VssComponent *self);
const char      *vss_component_get_logical_path (const VssComponent *self);
const char      *vss_component_get_name (const VssComponent *self);

/* ---- backup ---- */
gboolean    vss_component_get_backup_succeeded (const VssComponent *self);
const char *vss_component_get_backup_options (const VssComponent *self);
const char *vss_component_get_backup_stamp (const VssComponent *self);
const char *vss_component_get_previous_backup_stamp (const VssComponent *self);
const char *vss_component_get_backup_metadata (const VssComponent *self);
gboolean    vss_component_set_backup_stamp (VssComponent *self, const char *stamp, GError **error);
gboolean    vss_component_set_backup_metadata (VssComponent *self, const char *metadata, GError **error);
gboolean    vss_component_add_differenced_files_by_last_modify_time (VssComponent *self,
                                                                     const char *path,
                                                                     const char *filespec,
                                                                     gboolean recursive,
                                                                     gint64 last_modify_time_usec,
                                                                     GError **error);
gboolean    vss_component_add_partial_file (VssComponent *self,
                                            const char *path,
                                            const char *filename,
                                            const char *ranges,
                                            const char *metadata,
                                            GError **error);
/* Data the writer provides after the snapshot, such as a database's log
 * up to the end of its backup mode (post_snapshot, or earlier while the
 * document is writable): after post_snapshot returned and before
 * backup_complete, the requester reads the regular file @path (absolute,
 * inside one of the component's file sets) from the live filesystem and
 * stores it in the component in place of the snapshot's copy of @path.
 * Keep it there until backup_complete or backup_shutdown.  Restore puts
 * it back with the component's other files. */
gboolean    vss_component_add_post_snapshot_file (VssComponent *self, const char *path,
                                                  GError **error);
/* The same for an image the writer serves (vss_writer_serve_image makes
 * the entry): the requester stores, as @path, exactly @size bytes read
 * from the socket @source; fewer, more, or none fail the component. */
gboolean    vss_component_add_post_snapshot_image (VssComponent *self, const char *path,
                                                   const char *source, guint64 size,
                                                   GError **error);
guint       vss_component_get_post_snapshot_file_count (const VssComponent *self);
/* The path in the set of entry @index. */
const char *vss_component_get_post_snapshot_file (const VssComponent *self, guint index);
/* The socket an image entry is served on (and its size), or NULL for a
 * file read live. */
const char *vss_component_get_post_snapshot_source (const VssComponent *self, guint index,
                                                    guint64 *out_size);
guint       vss_component_get_differenced_files_count (const VssComponent *self);
guint       vss_component_get_partial_file_count (const VssComponent *self);

/* ---- restore ---- */
gboolean             vss_component_is_selected_for_restore (const VssComponent *self);
/* TRUE when the requester restores more of this component after this
 * restore (the next sets of a log chain): apply what was restored, keep
 * the store closed to service until the last one. */
gboolean             vss_component_get_additional_restores (const VssComponent *self);
const char          *vss_component_get_restore_options (const VssComponent *self);
VssRestoreTarget     vss_component_get_restore_target (const VssComponent *self);
gboolean             vss_component_set_restore_target (VssComponent *self, VssRestoreTarget target, GError **error);
const char          *vss_component_get_restore_metadata (const VssComponent *self);
gboolean             vss_component_set_restore_metadata (VssComponent *self, const char *metadata, GError **error);
VssFileRestoreStatus vss_component_get_file_restore_status (const VssComponent *self);
const char          *vss_component_get_pre_restore_failure_msg (const VssComponent *self);
const char          *vss_component_get_post_restore_failure_msg (const VssComponent *self);
gboolean             vss_component_set_pre_restore_failure_msg (VssComponent *self, const char *msg, GError **error);
gboolean             vss_component_set_post_restore_failure_msg (VssComponent *self, const char *msg, GError **error);
guint                vss_component_get_alternate_location_mapping_count (const VssComponent *self);
guint                vss_component_get_new_target_count (const VssComponent *self);
/* Where the requester puts the component's files instead of their place
 * (VSS AddAlternativeLocationMapping / AddNewTarget): path, filespec and
 * recursive name the file set, vss_wm_file_get_alternate_location the
 * destination directory. */
const VssWmFile     *vss_component_get_alternate_location_mapping (const VssComponent *self, guint index);
const VssWmFile     *vss_component_get_new_target (const VssComponent *self, guint index);
/* Where the file or directory @path (an original path of the component)
 * is restored: moved by the new target or alternate location mapping
 * whose path covers it (the longest wins), or @path itself.  A new
 * string.  Writers act on this path in pre_restore and post_restore, so
 * a restore elsewhere never touches the live store. */
char                *vss_component_get_restore_path (const VssComponent *self, const char *path);
/* TRUE when no file of the component goes elsewhere. */
gboolean             vss_component_is_restored_in_place (const VssComponent *self);

G_END_DECLS
