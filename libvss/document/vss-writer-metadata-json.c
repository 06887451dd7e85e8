/* vss-writer-metadata-json.c — the JSON form of the writer metadata
 * (docs/bcd.md, "Writer metadata").  Loading applies the same rules as the
 * add functions and builds the whole object before returning it. */
#include "vss-json-internal.h"

/* backup_schema is written as a list of these names, in this order. */
static const VssEnumName schema_names[] = {
  { VSS_BS_DIFFERENTIAL, "differential" },
  { VSS_BS_INCREMENTAL, "incremental" },
  { VSS_BS_LOG, "log" },
  { VSS_BS_COPY, "copy" },
  { VSS_BS_TIMESTAMPED, "timestamped" },
  { VSS_BS_LAST_MODIFY, "last-modify" },
  { 0, NULL },
};

/* ---- writing ---- */

static json_object *
schema_to_json (guint32 schema)
{
  json_object *array = json_object_new_array ();
  for (const VssEnumName *n = schema_names; n->name != NULL; n++)
    if ((schema & (guint32) n->value) != 0)
      json_object_array_add (array, json_object_new_string (n->name));
  return array;
}

static json_object *
restore_method_to_json (const VssWriterMetadata *self)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "method",
                          vss_json_enum_value (vss_restore_method_names, self->restore_method));
  vss_json_add_string (obj, "service", self->restore_service);
  vss_json_add_string (obj, "user_procedure", self->restore_user_procedure);
  json_object_object_add (obj, "writer_restore",
                          vss_json_enum_value (vss_writer_restore_names, self->writer_restore));
  json_object_object_add (obj, "reboot_required",
                          json_object_new_boolean (self->reboot_required));
  return obj;
}

static json_object *
dependencies_to_json (GPtrArray *dependencies)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < dependencies->len; i++) {
    const VssWmDependency *d = g_ptr_array_index (dependencies, i);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "writer_id", json_object_new_string (d->writer_id));
    vss_json_add_string (obj, "logical_path", d->logical_path);
    json_object_object_add (obj, "name", json_object_new_string (d->name));
    json_object_array_add (array, obj);
  }
  return array;
}

static json_object *
wm_component_to_json (const VssWmComponent *c)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "type", vss_json_enum_value (vss_component_type_names,
                                                            c->type));
  vss_json_add_string (obj, "logical_path", c->logical_path);
  json_object_object_add (obj, "name", json_object_new_string (c->name));
  vss_json_add_string (obj, "caption", c->caption);
  json_object_object_add (obj, "selectable", json_object_new_boolean (c->selectable));
  json_object_object_add (obj, "selectable_for_restore",
                          json_object_new_boolean (c->selectable_for_restore));
  if (c->image)   /* absent in older metadata */
    json_object_object_add (obj, "image", json_object_new_boolean (TRUE));
  if (c->after_thaw)   /* absent in older metadata */
    json_object_object_add (obj, "after_thaw", json_object_new_boolean (TRUE));
  json_object_object_add (obj, "files", vss_wm_files_to_json_array (c->files, VSS_FILE_ALT_OPTIONAL));
  json_object_object_add (obj, "database_files",
                          vss_wm_files_to_json_array (c->database_files, VSS_FILE_ALT_NONE));
  json_object_object_add (obj, "log_files",
                          vss_wm_files_to_json_array (c->log_files, VSS_FILE_ALT_NONE));
  json_object_object_add (obj, "dependencies", dependencies_to_json (c->dependencies));
  return obj;
}

json_object *
vss_writer_metadata_to_json_object (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  json_object *obj = json_object_new_object ();
  json_object *components = json_object_new_array ();
  json_object_object_add (obj, "version", json_object_new_int (VSS_DOCUMENT_VERSION));
  json_object_object_add (obj, "writer_id", json_object_new_string (self->writer_id));
  json_object_object_add (obj, "instance_id", json_object_new_string (self->instance_id));
  json_object_object_add (obj, "writer_name", json_object_new_string (self->writer_name));
  json_object_object_add (obj, "usage_type",
                          vss_json_enum_value (vss_usage_type_names, self->usage_type));
  json_object_object_add (obj, "backup_schema", schema_to_json (self->backup_schema));
  json_object_object_add (obj, "restore_method", restore_method_to_json (self));
  for (guint i = 0; i < self->components->len; i++)
    json_object_array_add (components,
                           wm_component_to_json (g_ptr_array_index (self->components, i)));
  json_object_object_add (obj, "components", components);
  json_object_object_add (obj, "exclude_files",
                          vss_wm_files_to_json_array (self->exclude_files, VSS_FILE_ALT_NONE));
  json_object_object_add (obj, "alternate_location_mappings",
                          vss_wm_files_to_json_array (self->alternate_location_mappings,
                                                      VSS_FILE_ALT_DESTINATION));
  return obj;
}

char *
vss_writer_metadata_to_json (const VssWriterMetadata *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  json_object *obj = vss_writer_metadata_to_json_object (self);
  char *text = vss_json_to_text (obj);
  json_object_put (obj);
  return text;
}

/* ---- reading ---- */

static gboolean
schema_from_json (json_object *obj, const char *where, guint32 *out, GError **error)
{
  g_autofree char *path = vss_json_path_key (where, "backup_schema");
  json_object *array = NULL;
  guint32 schema = 0;

  if (!vss_json_read_array (obj, where, "backup_schema", FALSE, &array, error))
    return FALSE;
  for (guint i = 0; array != NULL && i < json_object_array_length (array); i++) {
    json_object *item = json_object_array_get_idx (array, i);
    g_autofree char *item_path = vss_json_path_index (path, NULL, i);
    int bit;

    if (!vss_json_get_enum (item, item_path, schema_names, &bit, error))
      return FALSE;
    schema |= (guint32) bit;
  }
  *out = schema;
  return TRUE;
}

static gboolean
restore_method_from_json (json_object *obj, const char *where, VssWriterMetadata *wm,
                          GError **error)
{
  static const char *const keys[] = { "method", "service", "user_procedure",
                                      "writer_restore", "reboot_required", NULL };
  g_autofree char *path = vss_json_path_key (where, "restore_method");
  json_object *rm = NULL;
  int method = VSS_RME_UNDEFINED, writer_restore = VSS_WRE_UNDEFINED;

  if (!vss_json_read_object (obj, where, "restore_method", TRUE, &rm, error) ||
      !vss_json_check_keys (rm, path, keys, error) ||
      !vss_json_read_enum (rm, path, "method", TRUE, vss_restore_method_names, &method, error) ||
      !vss_json_read_string (rm, path, "service", FALSE, &wm->restore_service, error) ||
      !vss_json_read_string (rm, path, "user_procedure", FALSE, &wm->restore_user_procedure,
                             error) ||
      !vss_json_read_enum (rm, path, "writer_restore", TRUE, vss_writer_restore_names,
                           &writer_restore, error) ||
      !vss_json_read_bool (rm, path, "reboot_required", TRUE, &wm->reboot_required, error))
    return FALSE;
  if ((method == VSS_RME_STOP_RESTORE_START || method == VSS_RME_RESTORE_STOP_START) &&
      (wm->restore_service == NULL || *wm->restore_service == '\0')) {
    vss_json_set_error (error, path, "service", "required by method %s",
                        vss_restore_method_to_string (method));
    return FALSE;
  }
  wm->restore_method = method;
  wm->writer_restore = writer_restore;
  return TRUE;
}

static gpointer
dependency_from_json (json_object *obj, const char *where, gpointer data, GError **error)
{
  static const char *const keys[] = { "writer_id", "logical_path", "name", NULL };
  g_autofree char *writer_id = NULL, *logical_path = NULL, *name = NULL;

  if (!vss_json_check_keys (obj, where, keys, error) ||
      !vss_json_read_uuid (obj, where, "writer_id", TRUE, &writer_id, error) ||
      !vss_json_read_string (obj, where, "logical_path", FALSE, &logical_path, error) ||
      !vss_json_read_checked (obj, where, "name", TRUE, vss_check_name, &name, error))
    return NULL;
  return vss_wm_dependency_new (writer_id, logical_path, name);
}

static gboolean
files_match_type (VssWmComponent *c, const char *where, GError **error)
{
  const char *wrong = NULL;

  if (c->type == VSS_CT_DATABASE && c->files->len > 0)
    wrong = "files";
  else if (c->type == VSS_CT_FILEGROUP && c->database_files->len > 0)
    wrong = "database_files";
  else if (c->type == VSS_CT_FILEGROUP && c->log_files->len > 0)
    wrong = "log_files";
  if (wrong == NULL)
    return TRUE;
  vss_json_set_error (error, where, wrong, "not allowed on a %s component (%s)",
                      vss_component_type_to_string (c->type),
                      c->type == VSS_CT_DATABASE ? "use database_files and log_files"
                                                 : "use files");
  return FALSE;
}

static VssWmComponent *
wm_component_from_json (json_object *obj, const char *where, GError **error)
{
  static const char *const keys[] = { "type", "logical_path", "name", "caption", "selectable",
                                      "selectable_for_restore", "files", "database_files",
                                      "log_files", "dependencies", "image", "after_thaw", NULL };
  g_autofree char *logical_path = NULL, *name = NULL, *caption = NULL;
  VssComponentType type = VSS_CT_UNDEFINED;
  gboolean selectable = FALSE, selectable_for_restore = FALSE;
  g_autoptr(VssWmComponent) c = NULL;

  if (!vss_json_check_keys (obj, where, keys, error) ||
      !vss_json_read_component_type (obj, where, &type, error) ||
      !vss_json_read_string (obj, where, "logical_path", FALSE, &logical_path, error) ||
      !vss_json_read_checked (obj, where, "name", TRUE, vss_check_name, &name, error) ||
      !vss_json_read_string (obj, where, "caption", FALSE, &caption, error) ||
      !vss_json_read_bool (obj, where, "selectable", TRUE, &selectable, error) ||
      !vss_json_read_bool (obj, where, "selectable_for_restore", TRUE, &selectable_for_restore,
                           error))
    return NULL;
  c = vss_wm_component_new (type, logical_path, name, caption, selectable,
                            selectable_for_restore);
  if (!vss_json_read_bool (obj, where, "image", FALSE, &c->image, error) ||
      !vss_json_read_bool (obj, where, "after_thaw", FALSE, &c->after_thaw, error) ||
      !vss_wm_files_read_into (obj, where, "files", VSS_FILE_ALT_OPTIONAL, &c->files, error) ||
      !vss_wm_files_read_into (obj, where, "database_files", VSS_FILE_ALT_NONE, &c->database_files,
                        error) ||
      !vss_wm_files_read_into (obj, where, "log_files", VSS_FILE_ALT_NONE, &c->log_files, error) ||
      !files_match_type (c, where, error) ||
      !vss_json_read_items (obj, where, "dependencies", dependency_from_json, NULL,
                            c->dependencies, error))
    return NULL;
  return g_steal_pointer (&c);
}

/* A VssJsonItemReader: a component whose identity is not in @seen yet. */
static gpointer
unique_wm_component_from_json (json_object *obj, const char *where, gpointer seen,
                               GError **error)
{
  g_autoptr(VssWmComponent) c = wm_component_from_json (obj, where, error);

  if (c == NULL ||
      !vss_json_check_component_unique (seen, c->logical_path, c->name, where, error))
    return NULL;
  return g_steal_pointer (&c);
}

static VssWriterMetadata *
identity_from_json (json_object *obj, const char *where, GError **error)
{
  g_autofree char *writer_id = NULL, *instance_id = NULL, *writer_name = NULL;
  int usage = VSS_UT_UNDEFINED;

  if (!vss_json_read_uuid (obj, where, "writer_id", TRUE, &writer_id, error) ||
      !vss_json_read_uuid (obj, where, "instance_id", TRUE, &instance_id, error) ||
      !vss_json_read_checked (obj, where, "writer_name", TRUE, NULL, &writer_name, error) ||
      !vss_json_read_enum (obj, where, "usage_type", TRUE, vss_usage_type_names, &usage, error))
    return NULL;
  return vss_writer_metadata_new (writer_id, instance_id, writer_name, usage);
}

VssWriterMetadata *
vss_writer_metadata_from_json_object (json_object *obj, const char *where, GError **error)
{
  static const char *const keys[] = { "version", "writer_id", "instance_id", "writer_name",
                                      "usage_type", "backup_schema", "restore_method",
                                      "components", "exclude_files",
                                      "alternate_location_mappings", NULL };
  g_autoptr(VssWriterMetadata) wm = NULL;
  g_autoptr(GHashTable) seen = vss_json_seen_new ();

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (!json_object_is_type (obj, json_type_object)) {
    vss_json_set_error (error, where, NULL, "expected an object, got %s",
                        vss_json_type_name (obj));
    return NULL;
  }
  if (!vss_json_read_version (obj, where, error) ||
      !vss_json_check_keys (obj, where, keys, error))
    return NULL;
  wm = identity_from_json (obj, where, error);
  if (wm == NULL ||
      !schema_from_json (obj, where, &wm->backup_schema, error) ||
      !restore_method_from_json (obj, where, wm, error) ||
      !vss_json_read_items (obj, where, "components", unique_wm_component_from_json, seen,
                            wm->components, error) ||
      !vss_wm_files_read_into (obj, where, "exclude_files", VSS_FILE_ALT_NONE, &wm->exclude_files,
                        error) ||
      !vss_wm_files_read_into (obj, where, "alternate_location_mappings", VSS_FILE_ALT_DESTINATION,
                        &wm->alternate_location_mappings, error))
    return NULL;
  /* What was loaded was described by a writer that has finished identify. */
  wm->sealed = TRUE;
  return g_steal_pointer (&wm);
}

VssWriterMetadata *
vss_writer_metadata_from_json (const char *text, GError **error)
{
  g_return_val_if_fail (text != NULL, NULL);

  json_object *obj = vss_json_parse (text, (gsize) -1, error);
  VssWriterMetadata *wm;

  if (obj == NULL)
    return NULL;
  wm = vss_writer_metadata_from_json_object (obj, NULL, error);
  json_object_put (obj);
  return wm;
}
