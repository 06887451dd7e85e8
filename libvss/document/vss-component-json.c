/* vss-component-json.c — the JSON form of a BCD component (docs/bcd.md,
 * "Component").  `writable` is run-time state and is not written; a loaded
 * component starts read-only. */
#include "vss-json-internal.h"

/* ---- writing ---- */

static json_object *
partial_files_to_json (GPtrArray *files)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < files->len; i++) {
    const VssPartialFile *f = g_ptr_array_index (files, i);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "path", json_object_new_string (f->path));
    json_object_object_add (obj, "filename", json_object_new_string (f->filename));
    vss_json_add_string (obj, "ranges", f->ranges);
    vss_json_add_string (obj, "metadata", f->metadata);
    json_object_array_add (array, obj);
  }
  return array;
}

static json_object *
differenced_files_to_json (GPtrArray *files)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < files->len; i++) {
    const VssDifferencedFile *f = g_ptr_array_index (files, i);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "path", json_object_new_string (f->path));
    json_object_object_add (obj, "filespec", json_object_new_string (f->filespec));
    json_object_object_add (obj, "recursive", json_object_new_boolean (f->recursive));
    json_object_object_add (obj, "last_modify_time_usec",
                            json_object_new_int64 (f->last_modify_time_usec));
    json_object_array_add (array, obj);
  }
  return array;
}

static json_object *
directed_targets_to_json (GPtrArray *targets)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < targets->len; i++) {
    const VssDirectedTarget *t = g_ptr_array_index (targets, i);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "source_path", json_object_new_string (t->source_path));
    json_object_object_add (obj, "source_filename", json_object_new_string (t->source_filename));
    vss_json_add_string (obj, "source_ranges", t->source_ranges);
    json_object_object_add (obj, "destination_path",
                            json_object_new_string (t->destination_path));
    json_object_object_add (obj, "destination_filename",
                            json_object_new_string (t->destination_filename));
    vss_json_add_string (obj, "destination_ranges", t->destination_ranges);
    json_object_array_add (array, obj);
  }
  return array;
}

/* A live file is its path, as older writers wrote it; an image an object. */
static json_object *
post_snapshot_file_to_json (const VssPostSnapshotFile *f)
{
  if (f->source == NULL)
    return json_object_new_string (f->path);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "path", json_object_new_string (f->path));
  json_object_object_add (obj, "source", json_object_new_string (f->source));
  json_object_object_add (obj, "size", json_object_new_int64 ((gint64) f->size));
  return obj;
}

static void
add_backup_part (json_object *obj, const VssComponent *self)
{
  json_object_object_add (obj, "backup_succeeded", json_object_new_boolean (self->backup_succeeded));
  vss_json_add_string (obj, "backup_options", self->backup_options);
  vss_json_add_string (obj, "backup_stamp", self->backup_stamp);
  vss_json_add_string (obj, "previous_backup_stamp", self->previous_backup_stamp);
  vss_json_add_string (obj, "backup_metadata", self->backup_metadata);
  json_object_object_add (obj, "partial_files", partial_files_to_json (self->partial_files));
  json_object_object_add (obj, "differenced_files",
                          differenced_files_to_json (self->differenced_files));
  if (self->post_snapshot_files->len > 0) {   /* absent in documents of older writers */
    json_object *array = json_object_new_array ();
    for (guint i = 0; i < self->post_snapshot_files->len; i++)
      json_object_array_add (array, post_snapshot_file_to_json (g_ptr_array_index (self->post_snapshot_files, i)));
    json_object_object_add (obj, "post_snapshot_files", array);
  }
}

static void
add_restore_part (json_object *obj, const VssComponent *self)
{
  json_object_object_add (obj, "selected_for_restore",
                          json_object_new_boolean (self->selected_for_restore));
  json_object_object_add (obj, "additional_restores",
                          json_object_new_boolean (self->additional_restores));
  vss_json_add_string (obj, "restore_options", self->restore_options);
  json_object_object_add (obj, "restore_target",
                          vss_json_enum_value (vss_restore_target_names,
                                               self->restore_target));
  vss_json_add_string (obj, "restore_metadata", self->restore_metadata);
  json_object_object_add (obj, "directed_targets", directed_targets_to_json (self->directed_targets));
  json_object_object_add (obj, "new_targets",
                          vss_wm_files_to_json_array (self->new_targets, VSS_FILE_ALT_NEW_PATH));
  json_object_object_add (obj, "alternate_location_mappings",
                          vss_wm_files_to_json_array (self->alternate_location_mappings,
                                                      VSS_FILE_ALT_DESTINATION));
  json_object_object_add (obj, "file_restore_status",
                          vss_json_enum_value (vss_file_restore_status_names,
                                               self->file_restore_status));
  vss_json_add_string (obj, "pre_restore_failure_msg", self->pre_restore_failure_msg);
  vss_json_add_string (obj, "post_restore_failure_msg", self->post_restore_failure_msg);
}

json_object *
vss_component_to_json_object (const VssComponent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "type",
                          vss_json_enum_value (vss_component_type_names, self->type));
  vss_json_add_string (obj, "logical_path", self->logical_path);
  json_object_object_add (obj, "name", json_object_new_string (self->name));
  add_backup_part (obj, self);
  add_restore_part (obj, self);
  return obj;
}

json_object *
vss_components_to_json_array (GPtrArray *components)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; components != NULL && i < components->len; i++)
    json_object_array_add (array, vss_component_to_json_object (g_ptr_array_index (components, i)));
  return array;
}

/* ---- reading ---- */

static gpointer
partial_file_from_json (json_object *obj, const char *where, gpointer data,
                        GError **error)
{
  static const char *const keys[] = { "path", "filename", "ranges", "metadata", NULL };
  VssPartialFile *f = g_new0 (VssPartialFile, 1);

  if (!vss_json_check_keys (obj, where, keys, error) ||
      !vss_json_read_checked (obj, where, "path", TRUE, vss_check_path, &f->path, error) ||
      !vss_json_read_checked (obj, where, "filename", TRUE, vss_check_filespec, &f->filename,
                              error) ||
      !vss_json_read_string (obj, where, "ranges", FALSE, &f->ranges, error) ||
      !vss_json_read_string (obj, where, "metadata", FALSE, &f->metadata, error)) {
    vss_partial_file_free (f);
    return NULL;
  }
  return f;
}

static gpointer
differenced_file_from_json (json_object *obj, const char *where, gpointer data,
                            GError **error)
{
  static const char *const keys[] = { "path", "filespec", "recursive", "last_modify_time_usec",
                                      NULL };
  VssDifferencedFile *f = g_new0 (VssDifferencedFile, 1);

  if (!vss_json_check_keys (obj, where, keys, error) ||
      !vss_json_read_checked (obj, where, "path", TRUE, vss_check_path, &f->path, error) ||
      !vss_json_read_checked (obj, where, "filespec", TRUE, vss_check_filespec, &f->filespec,
                              error) ||
      !vss_json_read_bool (obj, where, "recursive", TRUE, &f->recursive, error) ||
      !vss_json_read_int64 (obj, where, "last_modify_time_usec", TRUE,
                            &f->last_modify_time_usec, error)) {
    vss_differenced_file_free (f);
    return NULL;
  }
  return f;
}

static gpointer
directed_target_from_json (json_object *obj, const char *where, gpointer data,
                           GError **error)
{
  static const char *const keys[] = { "source_path", "source_filename", "source_ranges",
                                      "destination_path", "destination_filename",
                                      "destination_ranges", NULL };
  VssDirectedTarget *t = g_new0 (VssDirectedTarget, 1);

  if (!vss_json_check_keys (obj, where, keys, error) ||
      !vss_json_read_checked (obj, where, "source_path", TRUE, vss_check_path,
                              &t->source_path, error) ||
      !vss_json_read_checked (obj, where, "source_filename", TRUE, vss_check_filespec,
                              &t->source_filename, error) ||
      !vss_json_read_string (obj, where, "source_ranges", FALSE, &t->source_ranges, error) ||
      !vss_json_read_checked (obj, where, "destination_path", TRUE, vss_check_path,
                              &t->destination_path, error) ||
      !vss_json_read_checked (obj, where, "destination_filename", TRUE, vss_check_filespec,
                              &t->destination_filename, error) ||
      !vss_json_read_string (obj, where, "destination_ranges", FALSE, &t->destination_ranges,
                             error)) {
    vss_directed_target_free (t);
    return NULL;
  }
  return t;
}

/* An image entry: {"path", "source", "size"}, both paths absolute. */
static VssPostSnapshotFile *
post_snapshot_image_from_json (json_object *item, const char *where, GError **error)
{
  json_object *path = NULL, *source = NULL, *size = NULL;
  if (!json_object_object_get_ex (item, "path", &path) ||
      !json_object_object_get_ex (item, "source", &source) ||
      !json_object_object_get_ex (item, "size", &size) ||
      !json_object_is_type (path, json_type_string) || !json_object_is_type (source, json_type_string) ||
      !json_object_is_type (size, json_type_int) || json_object_get_int64 (size) < 0 ||
      vss_check_path (json_object_get_string (path)) != NULL ||
      vss_check_path (json_object_get_string (source)) != NULL) {
    vss_json_set_error (error, where, NULL, "an image needs an absolute path and source and a size");
    return NULL;
  }
  return vss_post_snapshot_file_new (json_object_get_string (path), json_object_get_string (source),
                                     (guint64) json_object_get_int64 (size));
}

/* "post_snapshot_files": absolute paths (files read live) or images,
 * optional. */
static gboolean
post_snapshot_files_from_json (json_object *obj, const char *where, VssComponent *c,
                               GError **error)
{
  json_object *array = NULL;
  if (!vss_json_read_array (obj, where, "post_snapshot_files", FALSE, &array, error))
    return FALSE;
  size_t n = array != NULL ? json_object_array_length (array) : 0;
  for (size_t i = 0; i < n; i++) {
    json_object *item = json_object_array_get_idx (array, i);
    if (json_object_is_type (item, json_type_object)) {
      g_autofree char *at = vss_json_path_index (where, "post_snapshot_files", (guint) i);
      VssPostSnapshotFile *image = post_snapshot_image_from_json (item, at, error);
      if (image == NULL)
        return FALSE;
      g_ptr_array_add (c->post_snapshot_files, image);
      continue;
    }
    const char *path = json_object_is_type (item, json_type_string) ? json_object_get_string (item) : NULL;
    if (path == NULL || vss_check_path (path) != NULL) {
      vss_json_set_error (error, where, "post_snapshot_files", "element %zu is not an absolute path", i);
      return FALSE;
    }
    g_ptr_array_add (c->post_snapshot_files, vss_post_snapshot_file_new (path, NULL, 0));
  }
  return TRUE;
}

static gboolean
backup_part_from_json (json_object *obj, const char *where, VssComponent *c, GError **error)
{
  return vss_json_read_bool (obj, where, "backup_succeeded", TRUE, &c->backup_succeeded, error) &&
         vss_json_read_string (obj, where, "backup_options", FALSE, &c->backup_options, error) &&
         vss_json_read_string (obj, where, "backup_stamp", FALSE, &c->backup_stamp, error) &&
         vss_json_read_string (obj, where, "previous_backup_stamp", FALSE,
                               &c->previous_backup_stamp, error) &&
         vss_json_read_string (obj, where, "backup_metadata", FALSE, &c->backup_metadata,
                               error) &&
         vss_json_read_items (obj, where, "partial_files", partial_file_from_json, NULL,
                              c->partial_files, error) &&
         vss_json_read_items (obj, where, "differenced_files", differenced_file_from_json, NULL,
                              c->differenced_files, error) &&
         post_snapshot_files_from_json (obj, where, c, error);
}

static gboolean
restore_part_from_json (json_object *obj, const char *where, VssComponent *c, GError **error)
{
  int target = VSS_RT_UNDEFINED, status = VSS_RS_UNDEFINED;

  if (!vss_json_read_bool (obj, where, "selected_for_restore", TRUE, &c->selected_for_restore,
                           error) ||
      !vss_json_read_bool (obj, where, "additional_restores", FALSE, &c->additional_restores,
                           error) ||
      !vss_json_read_string (obj, where, "restore_options", FALSE, &c->restore_options, error) ||
      !vss_json_read_enum (obj, where, "restore_target", TRUE, vss_restore_target_names,
                           &target, error) ||
      !vss_json_read_string (obj, where, "restore_metadata", FALSE, &c->restore_metadata,
                             error) ||
      !vss_json_read_items (obj, where, "directed_targets", directed_target_from_json, NULL,
                           c->directed_targets, error) ||
      !vss_wm_files_read_into (obj, where, "new_targets", VSS_FILE_ALT_NEW_PATH, &c->new_targets, error) ||
      !vss_wm_files_read_into (obj, where, "alternate_location_mappings", VSS_FILE_ALT_DESTINATION,
                   &c->alternate_location_mappings, error) ||
      !vss_json_read_enum (obj, where, "file_restore_status", TRUE,
                           vss_file_restore_status_names, &status, error) ||
      !vss_json_read_string (obj, where, "pre_restore_failure_msg", FALSE,
                             &c->pre_restore_failure_msg, error) ||
      !vss_json_read_string (obj, where, "post_restore_failure_msg", FALSE,
                             &c->post_restore_failure_msg, error))
    return FALSE;
  c->restore_target = target;
  c->file_restore_status = status;
  return TRUE;
}

static const char *const component_keys[] = {
  "type", "logical_path", "name",
  "backup_succeeded", "backup_options", "backup_stamp", "previous_backup_stamp",
  "backup_metadata", "partial_files", "differenced_files", "post_snapshot_files",
  "selected_for_restore", "additional_restores", "restore_options", "restore_target", "restore_metadata",
  "directed_targets", "new_targets", "alternate_location_mappings", "file_restore_status",
  "pre_restore_failure_msg", "post_restore_failure_msg",
  NULL
};

VssComponent *
vss_component_from_json_object (json_object *obj, const char *where, GError **error)
{
  g_autofree char *logical_path = NULL, *name = NULL;
  g_autoptr(VssComponent) c = NULL;
  VssComponentType type = VSS_CT_UNDEFINED;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (!json_object_is_type (obj, json_type_object)) {
    vss_json_set_error (error, where, NULL, "expected an object, got %s",
                        vss_json_type_name (obj));
    return NULL;
  }
  if (!vss_json_check_keys (obj, where, component_keys, error) ||
      !vss_json_read_component_type (obj, where, &type, error) ||
      !vss_json_read_string (obj, where, "logical_path", FALSE, &logical_path, error) ||
      !vss_json_read_checked (obj, where, "name", TRUE, vss_check_name, &name, error))
    return NULL;
  c = vss_component_new (type, logical_path, name);
  if (!backup_part_from_json (obj, where, c, error) ||
      !restore_part_from_json (obj, where, c, error))
    return NULL;
  return g_steal_pointer (&c);
}

/* A VssJsonItemReader: a component whose identity is not in @seen yet. */
static gpointer
unique_component_from_json (json_object *obj, const char *where, gpointer seen,
                            GError **error)
{
  g_autoptr(VssComponent) c = vss_component_from_json_object (obj, where, error);

  if (c == NULL ||
      !vss_json_check_component_unique (seen, c->logical_path, c->name, where, error))
    return NULL;
  return g_steal_pointer (&c);
}

GPtrArray *
vss_components_from_json_array (json_object *array, const char *where, GError **error)
{
  g_autoptr(GPtrArray) components =
      g_ptr_array_new_with_free_func ((GDestroyNotify) vss_component_free);
  g_autoptr(GHashTable) seen = vss_json_seen_new ();

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (!json_object_is_type (array, json_type_array)) {
    vss_json_set_error (error, where, NULL, "expected an array, got %s",
                        vss_json_type_name (array));
    return NULL;
  }
  if (!vss_json_read_array_items (array, where, unique_component_from_json, seen, components,
                                  error))
    return NULL;
  return g_steal_pointer (&components);
}
