/* vss-writer-metadata.h — what a writer says about itself (the WMD).
 *
 * A writer fills it in on_identify (the add/set calls); afterwards it is
 * read-only and a requester reads it through the getters.  Logical paths
 * may be NULL; a component is identified by (logical path, name). */
#pragma once

#include <glib.h>
#include <vss/vss-types.h>

G_BEGIN_DECLS

typedef struct _VssWriterMetadata VssWriterMetadata;
typedef struct _VssWmComponent VssWmComponent;
typedef struct _VssWmFile VssWmFile;
typedef struct _VssWmDependency VssWmDependency;

/* ---- writer side: building it in on_identify ---- */

gboolean vss_writer_metadata_set_restore_method (VssWriterMetadata *self,
                                                 VssRestoreMethod method,
                                                 const char *service,
                                                 const char *user_procedure,
                                                 VssWriterRestore writer_restore,
                                                 gboolean reboot_required,
                                                 GError **error);
gboolean vss_writer_metadata_set_backup_schema (VssWriterMetadata *self,
                                                guint32 schema, /* VssBackupSchema bits */
                                                GError **error);
gboolean vss_writer_metadata_add_component (VssWriterMetadata *self,
                                            VssComponentType type,
                                            const char *logical_path,
                                            const char *name,
                                            const char *caption,
                                            gboolean selectable,
                                            gboolean selectable_for_restore,
                                            GError **error);
/* The component's files come as writer images (vss_writer_serve_image in
 * vss-writer.h) when the requester reads images: it then takes no
 * filesystem snapshot for them and stores only what the writer serves. */
gboolean vss_writer_metadata_set_component_image (VssWriterMetadata *self,
                                                  const char *logical_path,
                                                  const char *name,
                                                  GError **error);
/* The component's files may be copied after the writers thaw: the writer
 * keeps them recoverable without holding its application still (a
 * database in backup mode, which replays its log over a copy made while
 * it writes).  The requester then snapshots them after the thaw, at
 * background priority, and still before post_snapshot — so a writer that
 * ends its backup mode there covers the whole copy. */
gboolean vss_writer_metadata_set_component_after_thaw (VssWriterMetadata *self,
                                                       const char *logical_path,
                                                       const char *name,
                                                       GError **error);
gboolean vss_writer_metadata_add_files_to_file_group (VssWriterMetadata *self,
                                                      const char *logical_path,
                                                      const char *group_name,
                                                      const char *path,
                                                      const char *filespec,
                                                      gboolean recursive,
                                                      const char *alternate_path,
                                                      GError **error);
gboolean vss_writer_metadata_add_database_files (VssWriterMetadata *self,
                                                 const char *logical_path,
                                                 const char *database_name,
                                                 const char *path,
                                                 const char *filespec,
                                                 GError **error);
gboolean vss_writer_metadata_add_database_log_files (VssWriterMetadata *self,
                                                     const char *logical_path,
                                                     const char *database_name,
                                                     const char *path,
                                                     const char *filespec,
                                                     GError **error);
gboolean vss_writer_metadata_add_exclude_files (VssWriterMetadata *self,
                                                const char *path,
                                                const char *filespec,
                                                gboolean recursive,
                                                GError **error);
gboolean vss_writer_metadata_add_component_dependency (VssWriterMetadata *self,
                                                       const char *logical_path,
                                                       const char *name,
                                                       const char *on_writer_id,
                                                       const char *on_logical_path,
                                                       const char *on_name,
                                                       GError **error);
gboolean vss_writer_metadata_add_alternate_location_mapping (VssWriterMetadata *self,
                                                             const char *path,
                                                             const char *filespec,
                                                             gboolean recursive,
                                                             const char *destination,
                                                             GError **error);

/* ---- requester side: reading it ---- */

const char      *vss_writer_metadata_get_writer_id (const VssWriterMetadata *self);
const char      *vss_writer_metadata_get_instance_id (const VssWriterMetadata *self);
const char      *vss_writer_metadata_get_writer_name (const VssWriterMetadata *self);
VssUsageType     vss_writer_metadata_get_usage_type (const VssWriterMetadata *self);
guint32          vss_writer_metadata_get_backup_schema (const VssWriterMetadata *self);
VssRestoreMethod vss_writer_metadata_get_restore_method (const VssWriterMetadata *self,
                                                         const char **service,
                                                         const char **user_procedure,
                                                         VssWriterRestore *writer_restore,
                                                         gboolean *reboot_required);
guint            vss_writer_metadata_get_component_count (const VssWriterMetadata *self);
const VssWmComponent *vss_writer_metadata_get_component (const VssWriterMetadata *self, guint index);
const VssWmComponent *vss_writer_metadata_find_component (const VssWriterMetadata *self,
                                                          const char *logical_path,
                                                          const char *name);
guint            vss_writer_metadata_get_exclude_file_count (const VssWriterMetadata *self);
const VssWmFile *vss_writer_metadata_get_exclude_file (const VssWriterMetadata *self, guint index);
guint            vss_writer_metadata_get_alternate_location_mapping_count (const VssWriterMetadata *self);
const VssWmFile *vss_writer_metadata_get_alternate_location_mapping (const VssWriterMetadata *self, guint index);

/* The metadata as a JSON text (the format of docs/bcd.md "writer metadata"). */
char *vss_writer_metadata_to_json (const VssWriterMetadata *self);

VssComponentType vss_wm_component_get_type (const VssWmComponent *self);
const char      *vss_wm_component_get_logical_path (const VssWmComponent *self);
const char      *vss_wm_component_get_name (const VssWmComponent *self);
const char      *vss_wm_component_get_caption (const VssWmComponent *self);
gboolean         vss_wm_component_is_selectable (const VssWmComponent *self);
gboolean         vss_wm_component_is_selectable_for_restore (const VssWmComponent *self);
/* vss_writer_metadata_set_component_after_thaw was called for it. */
gboolean         vss_wm_component_is_after_thaw (const VssWmComponent *self);
/* vss_writer_metadata_set_component_image was called for it. */
gboolean         vss_wm_component_is_image (const VssWmComponent *self);
/* The file-group files (file-group components). */
guint            vss_wm_component_get_file_count (const VssWmComponent *self);
const VssWmFile *vss_wm_component_get_file (const VssWmComponent *self, guint index);
/* The database files and log files (database components). */
guint            vss_wm_component_get_database_file_count (const VssWmComponent *self);
const VssWmFile *vss_wm_component_get_database_file (const VssWmComponent *self, guint index);
guint            vss_wm_component_get_log_file_count (const VssWmComponent *self);
const VssWmFile *vss_wm_component_get_log_file (const VssWmComponent *self, guint index);
guint            vss_wm_component_get_dependency_count (const VssWmComponent *self);
const VssWmDependency *vss_wm_component_get_dependency (const VssWmComponent *self, guint index);

const char *vss_wm_file_get_path (const VssWmFile *self);
const char *vss_wm_file_get_filespec (const VssWmFile *self);
gboolean    vss_wm_file_get_recursive (const VssWmFile *self);
/* Backup-time alternate path for a file-group file, or the destination of
 * an alternate location mapping; NULL when none. */
const char *vss_wm_file_get_alternate_location (const VssWmFile *self);

const char *vss_wm_dependency_get_writer_id (const VssWmDependency *self);
const char *vss_wm_dependency_get_logical_path (const VssWmDependency *self);
const char *vss_wm_dependency_get_name (const VssWmDependency *self);

G_END_DECLS
