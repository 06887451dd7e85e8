/* vss-writer-metadata.c — the writer metadata (WMD): built by a writer in
 * on_identify through the add/set calls, sealed afterwards, read by the
 * requester through the getters.  The JSON form is in
 * vss-writer-metadata-json.c. */
#include "vss-json-internal.h"

#include <string.h>

#define SCHEMA_KNOWN_BITS                                                     \
  (VSS_BS_DIFFERENTIAL | VSS_BS_INCREMENTAL | VSS_BS_LOG | VSS_BS_COPY |     \
   VSS_BS_TIMESTAMPED | VSS_BS_LAST_MODIFY)

/* ---- life cycle ---- */

VssWriterMetadata *
vss_writer_metadata_new (const char *writer_id, const char *instance_id,
                         const char *writer_name, VssUsageType usage_type)
{
  g_return_val_if_fail (writer_id != NULL, NULL);
  g_return_val_if_fail (instance_id != NULL, NULL);
  g_return_val_if_fail (writer_name != NULL, NULL);

  VssWriterMetadata *self = g_new0 (VssWriterMetadata, 1);
  self->writer_id = g_strdup (writer_id);
  self->instance_id = g_strdup (instance_id);
  self->writer_name = g_strdup (writer_name);
  self->usage_type = usage_type;
  self->backup_schema = VSS_BS_UNDEFINED;
  self->restore_method = VSS_RME_UNDEFINED;
  self->writer_restore = VSS_WRE_UNDEFINED;
  self->components = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_component_free);
  self->component_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->exclude_files = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_file_free);
  self->alternate_location_mappings =
      g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_file_free);
  return self;
}

void
vss_writer_metadata_free (VssWriterMetadata *self)
{
  if (self == NULL)
    return;
  g_free (self->writer_id);
  g_free (self->instance_id);
  g_free (self->writer_name);
  g_free (self->restore_service);
  g_free (self->restore_user_procedure);
  g_ptr_array_unref (self->components);
  g_hash_table_unref (self->component_index);
  g_ptr_array_unref (self->exclude_files);
  g_ptr_array_unref (self->alternate_location_mappings);
  g_free (self);
}

void
vss_writer_metadata_seal (VssWriterMetadata *self)
{
  g_return_if_fail (self != NULL);
  self->sealed = TRUE;
}

/* ---- checks shared by the adds ---- */

static gboolean
check_writable (const VssWriterMetadata *self, GError **error)
{
  if (!self->sealed)
    return TRUE;
  g_set_error_literal (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                       "writer metadata is read-only once on_identify has returned: "
                       "describe components and files from on_identify");
  return FALSE;
}

static gboolean
check_file_set (const char *path, const char *filespec, GError **error)
{
  return vss_check_report ("path", path, vss_check_path (path), error) &&
         vss_check_report ("filespec", filespec, vss_check_filespec (filespec), error);
}

static char *
component_key (const char *logical_path, const char *name)
{
  return g_strconcat (logical_path != NULL ? logical_path : "", "\n", name, NULL);
}

/* By (logical path, name) in constant time: a writer may declare tens of
 * thousands of components, each looked up as its files are added.  The
 * index catches up with components appended without it (the JSON reader). */
static VssWmComponent *
find_component (const VssWriterMetadata *self, const char *logical_path, const char *name)
{
  const char *lp = logical_path != NULL && *logical_path != '\0' ? logical_path : NULL;
  for (guint i = g_hash_table_size (self->component_index); i < self->components->len; i++) {
    VssWmComponent *c = g_ptr_array_index (self->components, i);
    g_hash_table_insert (self->component_index, component_key (c->logical_path, c->name), c);
  }
  g_autofree char *key = component_key (lp, name);
  return g_hash_table_lookup (self->component_index, key);
}

static char *
describe_component (const char *logical_path, const char *name)
{
  g_autofree char *qname = vss_json_quote (name);
  if (logical_path == NULL || *logical_path == '\0')
    return g_strdup_printf ("component %s (no logical path)", qname);
  g_autofree char *qpath = vss_json_quote (logical_path);
  return g_strdup_printf ("component %s at logical path %s", qname, qpath);
}

/* A component that must already be described. */
static VssWmComponent *
existing_component (VssWriterMetadata *self, const char *logical_path, const char *name,
                    GError **error)
{
  VssWmComponent *c = find_component (self, logical_path, name);

  if (c == NULL) {
    g_autofree char *desc = describe_component (logical_path, name);
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s is not in this writer's metadata: add it with "
                 "vss_writer_metadata_add_component() first", desc);
  }
  return c;
}

/* The component files are added to: it must exist and be of @type. */
static VssWmComponent *
component_for_files (VssWriterMetadata *self, const char *logical_path, const char *name,
                     VssComponentType type, const char *what, GError **error)
{
  VssWmComponent *c = existing_component (self, logical_path, name, error);

  if (c == NULL)
    return NULL;
  if (c->type != type) {
    g_autofree char *desc = describe_component (logical_path, name);
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "%s is a %s component; %s belong to %s components", desc,
                 vss_component_type_to_string (c->type), what,
                 vss_component_type_to_string (type));
    return NULL;
  }
  return c;
}

/* ---- writer side ---- */

gboolean
vss_writer_metadata_set_restore_method (VssWriterMetadata *self, VssRestoreMethod method,
                                        const char *service, const char *user_procedure,
                                        VssWriterRestore writer_restore,
                                        gboolean reboot_required, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, error))
    return FALSE;
  if (vss_enum_to_string (vss_restore_method_names, method) == NULL ||
      vss_enum_to_string (vss_writer_restore_names, writer_restore) == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "restore method %d / writer restore %d: not a VssRestoreMethod / "
                 "VssWriterRestore value", (int) method, (int) writer_restore);
    return FALSE;
  }
  if ((method == VSS_RME_STOP_RESTORE_START || method == VSS_RME_RESTORE_STOP_START) &&
      (service == NULL || *service == '\0')) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "restore method %s stops a service: pass the service's name",
                 vss_restore_method_to_string (method));
    return FALSE;
  }
  self->restore_method = method;
  g_free (self->restore_service);
  self->restore_service = g_strdup (service);
  g_free (self->restore_user_procedure);
  self->restore_user_procedure = g_strdup (user_procedure);
  self->writer_restore = writer_restore;
  self->reboot_required = reboot_required;
  return TRUE;
}

gboolean
vss_writer_metadata_set_backup_schema (VssWriterMetadata *self, guint32 schema, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, error))
    return FALSE;
  if ((schema & ~(guint32) SCHEMA_KNOWN_BITS) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "backup schema 0x%x has unknown bits 0x%x: combine VssBackupSchema values",
                 schema, schema & ~(guint32) SCHEMA_KNOWN_BITS);
    return FALSE;
  }
  self->backup_schema = schema;
  return TRUE;
}

gboolean
vss_writer_metadata_add_component (VssWriterMetadata *self, VssComponentType type,
                                   const char *logical_path, const char *name,
                                   const char *caption, gboolean selectable,
                                   gboolean selectable_for_restore, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, error))
    return FALSE;
  if (!vss_check_component_identity (type, name, error))
    return FALSE;
  if (find_component (self, logical_path, name) != NULL) {
    g_autofree char *desc = describe_component (logical_path, name);
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                 "%s is already in this writer's metadata: (logical path, name) "
                 "must be unique", desc);
    return FALSE;
  }
  g_ptr_array_add (self->components,
                   vss_wm_component_new (type, logical_path, name, caption, selectable,
                                         selectable_for_restore));
  return TRUE;
}

/* A component of metadata still being written, or NULL with @error. */
static VssWmComponent *
writable_component (VssWriterMetadata *self, const char *logical_path, const char *name,
                    GError **error)
{
  return check_writable (self, error) ? existing_component (self, logical_path, name, error)
                                      : NULL;
}

gboolean
vss_writer_metadata_set_component_image (VssWriterMetadata *self, const char *logical_path,
                                         const char *name, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  VssWmComponent *c = writable_component (self, logical_path, name, error);
  if (c != NULL)
    c->image = TRUE;
  return c != NULL;
}

gboolean
vss_writer_metadata_set_component_after_thaw (VssWriterMetadata *self, const char *logical_path,
                                              const char *name, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  VssWmComponent *c = writable_component (self, logical_path, name, error);
  if (c != NULL)
    c->after_thaw = TRUE;
  return c != NULL;
}

gboolean
vss_writer_metadata_add_files_to_file_group (VssWriterMetadata *self, const char *logical_path,
                                             const char *group_name, const char *path,
                                             const char *filespec, gboolean recursive,
                                             const char *alternate_path, GError **error)
{
  VssWmComponent *c;

  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, error))
    return FALSE;
  c = component_for_files (self, logical_path, group_name, VSS_CT_FILEGROUP,
                           "file-group files", error);
  if (c == NULL || !check_file_set (path, filespec, error))
    return FALSE;
  if (alternate_path != NULL &&
      !vss_check_report ("alternate path", alternate_path, vss_check_path (alternate_path), error))
    return FALSE;
  g_ptr_array_add (c->files, vss_wm_file_new (path, filespec, recursive, alternate_path));
  return TRUE;
}

static gboolean
add_database_file (VssWriterMetadata *self, const char *logical_path, const char *name,
                   const char *path, const char *filespec, gboolean log, GError **error)
{
  VssWmComponent *c;

  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, error))
    return FALSE;
  c = component_for_files (self, logical_path, name, VSS_CT_DATABASE,
                           log ? "log files" : "database files", error);
  if (c == NULL || !check_file_set (path, filespec, error))
    return FALSE;
  g_ptr_array_add (log ? c->log_files : c->database_files,
                   vss_wm_file_new (path, filespec, FALSE, NULL));
  return TRUE;
}

gboolean
vss_writer_metadata_add_database_files (VssWriterMetadata *self, const char *logical_path,
                                        const char *database_name, const char *path,
                                        const char *filespec, GError **error)
{
  return add_database_file (self, logical_path, database_name, path, filespec, FALSE, error);
}

gboolean
vss_writer_metadata_add_database_log_files (VssWriterMetadata *self, const char *logical_path,
                                            const char *database_name, const char *path,
                                            const char *filespec, GError **error)
{
  return add_database_file (self, logical_path, database_name, path, filespec, TRUE, error);
}

gboolean
vss_writer_metadata_add_exclude_files (VssWriterMetadata *self, const char *path,
                                       const char *filespec, gboolean recursive,
                                       GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, error) || !check_file_set (path, filespec, error))
    return FALSE;
  g_ptr_array_add (self->exclude_files, vss_wm_file_new (path, filespec, recursive, NULL));
  return TRUE;
}

gboolean
vss_writer_metadata_add_component_dependency (VssWriterMetadata *self,
                                              const char *logical_path, const char *name,
                                              const char *on_writer_id,
                                              const char *on_logical_path,
                                              const char *on_name, GError **error)
{
  VssWmComponent *c;

  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, error))
    return FALSE;
  c = existing_component (self, logical_path, name, error);
  if (c == NULL)
    return FALSE;
  if (!vss_check_report ("writer id", on_writer_id, vss_check_uuid (on_writer_id), error) ||
      !vss_check_report ("component name", on_name, vss_check_name (on_name), error))
    return FALSE;
  g_ptr_array_add (c->dependencies, vss_wm_dependency_new (on_writer_id, on_logical_path, on_name));
  return TRUE;
}

gboolean
vss_writer_metadata_add_alternate_location_mapping (VssWriterMetadata *self, const char *path,
                                                    const char *filespec, gboolean recursive,
                                                    const char *destination, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_writable (self, error) || !check_file_set (path, filespec, error) ||
      !vss_check_report ("destination", destination, vss_check_path (destination), error))
    return FALSE;
  g_ptr_array_add (self->alternate_location_mappings,
                   vss_wm_file_new (path, filespec, recursive, destination));
  return TRUE;
}

/* ---- requester side ---- */

const char *
vss_writer_metadata_get_writer_id (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->writer_id;
}

const char *
vss_writer_metadata_get_instance_id (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->instance_id;
}

const char *
vss_writer_metadata_get_writer_name (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->writer_name;
}

VssUsageType
vss_writer_metadata_get_usage_type (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, VSS_UT_UNDEFINED);
  return self->usage_type;
}

guint32
vss_writer_metadata_get_backup_schema (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, VSS_BS_UNDEFINED);
  return self->backup_schema;
}

VssRestoreMethod
vss_writer_metadata_get_restore_method (const VssWriterMetadata *self, const char **service,
                                        const char **user_procedure,
                                        VssWriterRestore *writer_restore,
                                        gboolean *reboot_required)
{
  g_return_val_if_fail (self != NULL, VSS_RME_UNDEFINED);
  if (service != NULL)
    *service = self->restore_service;
  if (user_procedure != NULL)
    *user_procedure = self->restore_user_procedure;
  if (writer_restore != NULL)
    *writer_restore = self->writer_restore;
  if (reboot_required != NULL)
    *reboot_required = self->reboot_required;
  return self->restore_method;
}

guint
vss_writer_metadata_get_component_count (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->components->len;
}

const VssWmComponent *
vss_writer_metadata_get_component (const VssWriterMetadata *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->components->len, NULL);
  return g_ptr_array_index (self->components, index);
}

const VssWmComponent *
vss_writer_metadata_find_component (const VssWriterMetadata *self, const char *logical_path,
                                    const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return find_component (self, logical_path, name);
}

guint
vss_writer_metadata_get_exclude_file_count (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->exclude_files->len;
}

const VssWmFile *
vss_writer_metadata_get_exclude_file (const VssWriterMetadata *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->exclude_files->len, NULL);
  return g_ptr_array_index (self->exclude_files, index);
}

guint
vss_writer_metadata_get_alternate_location_mapping_count (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->alternate_location_mappings->len;
}

const VssWmFile *
vss_writer_metadata_get_alternate_location_mapping (const VssWriterMetadata *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->alternate_location_mappings->len, NULL);
  return g_ptr_array_index (self->alternate_location_mappings, index);
}
