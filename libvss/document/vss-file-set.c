/* vss-file-set.c — file sets (VssWmFile): path, filespec, recursive and an
 * optional fourth string whose JSON name depends on where the set is used
 * (alternate_location, destination, new_path); life cycle, getters and the
 * JSON form. */
#include "vss-json-internal.h"

VssWmFile *
vss_wm_file_new (const char *path, const char *filespec, gboolean recursive,
                 const char *alternate_location)
{
  VssWmFile *self = g_new0 (VssWmFile, 1);
  self->path = g_strdup (path);
  self->filespec = g_strdup (filespec);
  self->recursive = recursive;
  self->alternate_location = g_strdup (alternate_location);
  return self;
}

void
vss_wm_file_free (VssWmFile *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->filespec);
  g_free (self->alternate_location);
  g_free (self);
}

/* ---- getters ---- */

const char *
vss_wm_file_get_path (const VssWmFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

const char *
vss_wm_file_get_filespec (const VssWmFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->filespec;
}

gboolean
vss_wm_file_get_recursive (const VssWmFile *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->recursive;
}

const char *
vss_wm_file_get_alternate_location (const VssWmFile *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->alternate_location;
}

/* ---- JSON ---- */

static const char *
alt_key (VssFileAlt alt)
{
  switch (alt) {
  case VSS_FILE_ALT_OPTIONAL: return "alternate_location";
  case VSS_FILE_ALT_DESTINATION: return "destination";
  case VSS_FILE_ALT_NEW_PATH: return "new_path";
  case VSS_FILE_ALT_NONE:
  default: return NULL;
  }
}

static json_object *
file_to_json (const VssWmFile *file, VssFileAlt alt)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "path", json_object_new_string (file->path));
  json_object_object_add (obj, "filespec", json_object_new_string (file->filespec));
  json_object_object_add (obj, "recursive", json_object_new_boolean (file->recursive));
  if (alt != VSS_FILE_ALT_NONE)
    vss_json_add_string (obj, alt_key (alt), file->alternate_location);
  return obj;
}

json_object *
vss_wm_files_to_json_array (GPtrArray *files, VssFileAlt alt)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; files != NULL && i < files->len; i++)
    json_object_array_add (array, file_to_json (g_ptr_array_index (files, i), alt));
  return array;
}

/* A VssJsonItemReader; @alt is the VssFileAlt. */
static gpointer
file_from_json (json_object *obj, const char *where, gpointer alt_ptr, GError **error)
{
  VssFileAlt alt = GPOINTER_TO_INT (alt_ptr);
  const char *keys[] = { "path", "filespec", "recursive", alt_key (alt), NULL };
  g_autofree char *path = NULL;
  g_autofree char *filespec = NULL;
  g_autofree char *alternate = NULL;
  gboolean recursive = FALSE;

  if (!vss_json_check_keys (obj, where, keys, error) ||
      !vss_json_read_checked (obj, where, "path", TRUE, vss_check_path, &path, error) ||
      !vss_json_read_checked (obj, where, "filespec", TRUE, vss_check_filespec,
                              &filespec, error) ||
      !vss_json_read_bool (obj, where, "recursive", TRUE, &recursive, error))
    return NULL;
  if (alt != VSS_FILE_ALT_NONE &&
      !vss_json_read_checked (obj, where, alt_key (alt), alt != VSS_FILE_ALT_OPTIONAL,
                              vss_check_path, &alternate, error))
    return NULL;
  return vss_wm_file_new (path, filespec, recursive, alternate);
}

GPtrArray *
vss_wm_files_from_json (json_object *obj, const char *where, const char *key,
                        VssFileAlt alt, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_wm_file_free);

  if (!vss_json_read_items (obj, where, key, file_from_json, GINT_TO_POINTER (alt), files,
                            error))
    return NULL;
  return g_steal_pointer (&files);
}

gboolean
vss_wm_files_read_into (json_object *obj, const char *where, const char *key, VssFileAlt alt,
                        GPtrArray **slot, GError **error)
{
  GPtrArray *files = vss_wm_files_from_json (obj, where, key, alt, error);
  if (files == NULL)
    return FALSE;
  g_ptr_array_unref (*slot);
  *slot = files;
  return TRUE;
}
