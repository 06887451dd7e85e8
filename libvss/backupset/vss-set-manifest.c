/* vss-set-manifest.c — the manifest model and its lines of JSON (the
 * format is docs/backup-set.md).  Each line is produced on its own, so a
 * writer never holds more than one entry's text. */
#include "vss-backup-set-private.h"

#include <string.h>

#include "document/vss-document-private.h"

void
vss_set_xattr_free (VssSetXattr *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_bytes_unref (self->value);
  g_free (self);
}

VssSetEntry *
vss_set_entry_new (guint component, const char *path, VssSetEntryType type)
{
  VssSetEntry *self = g_new0 (VssSetEntry, 1);
  self->component = component;
  self->path = g_strdup (path);
  self->type = type;
  return self;
}

gboolean
vss_set_entry_same_data (const VssSetEntry *a, const VssSetEntry *b)
{
  return a->size == b->size && a->sha256_tree == b->sha256_tree &&
         strcmp (a->sha256, b->sha256) == 0;
}

void
vss_set_entry_free (VssSetEntry *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->stored);
  g_free (self->in_base);
  g_free (self->hardlink);
  g_free (self->target);
  if (self->xattrs != NULL)
    g_ptr_array_unref (self->xattrs);
  g_free (self);
}

VssManifest *
vss_manifest_new (const char *set_id, const char *base_id, VssBackupType type)
{
  VssManifest *self = g_new0 (VssManifest, 1);
  self->set_id = g_strdup (set_id);
  self->base_id = g_strdup (base_id);
  self->backup_type = type;
  self->created_usec = g_get_real_time ();
  self->components = g_ptr_array_new_with_free_func (g_free);
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_set_entry_free);
  self->consistency = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->version = VSS_MANIFEST_VERSION;
  return self;
}

void
vss_manifest_free (VssManifest *self)
{
  if (self == NULL)
    return;
  g_free (self->set_id);
  g_free (self->base_id);
  g_free (self->base_manifest_sha256);
  g_ptr_array_unref (self->components);
  g_ptr_array_unref (self->entries);
  g_hash_table_unref (self->consistency);
  g_free (self);
}

guint
vss_manifest_component_index (VssManifest *self, const char *name)
{
  for (guint i = 0; i < self->components->len; i++) {
    if (strcmp (g_ptr_array_index (self->components, i), name) == 0)
      return i;
  }
  g_ptr_array_add (self->components, g_strdup (name));
  return self->components->len - 1;
}

/* ---- path rules ---- */

/* Every "/"-separated part of @path from @start must be a real name. */
static const char *
check_parts (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++) {
    if (parts[i][0] == '\0')
      return "has an empty part (\"//\" or a trailing \"/\")";
    if (strcmp (parts[i], ".") == 0)
      return "has a \".\" part";
    if (strcmp (parts[i], "..") == 0)
      return "has a \"..\" part, which would escape the target";
  }
  return NULL;
}

const char *
vss_set_check_absolute (const char *path)
{
  if (path == NULL || path[0] != '/')
    return "must be an absolute path";
  if (strlen (path) >= 4096)
    return "is longer than PATH_MAX";
  if (strcmp (path, "/") == 0)
    return NULL;
  return check_parts (path + 1);
}

const char *
vss_set_check_relative (const char *path)
{
  if (path == NULL || path[0] == '\0')
    return "must not be empty";
  if (path[0] == '/')
    return "must be a relative path inside the set, not an absolute one";
  if (strlen (path) >= 4096)
    return "is longer than PATH_MAX";
  return check_parts (path);
}

/* ---- writing ---- */

static const char *const entry_type_names[] = { "file", "dir", "symlink" };

static json_object *
xattrs_to_json (GPtrArray *xattrs)
{
  json_object *obj = json_object_new_object ();
  for (guint i = 0; xattrs != NULL && i < xattrs->len; i++) {
    VssSetXattr *x = g_ptr_array_index (xattrs, i);
    gsize len = 0;
    const guint8 *data = g_bytes_get_data (x->value, &len);
    g_autofree char *b64 = g_base64_encode (data, len);
    json_object_object_add (obj, x->name, json_object_new_string (b64));
  }
  return obj;
}

static json_object *
entry_to_json (const VssManifest *self, const VssSetEntry *e)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "component",
                          json_object_new_string (g_ptr_array_index (self->components, e->component)));
  json_object_object_add (obj, "path", json_object_new_string (e->path));
  vss_json_add_string (obj, "stored", e->stored);
  vss_json_add_string (obj, "in_base", e->in_base);
  vss_json_add_string (obj, "hardlink", e->hardlink);
  json_object_object_add (obj, "type", json_object_new_string (entry_type_names[e->type]));
  json_object_object_add (obj, "size", json_object_new_int64 ((gint64) e->size));
  json_object_object_add (obj, "mode", json_object_new_int64 (e->mode));
  json_object_object_add (obj, "uid", json_object_new_int64 (e->uid));
  json_object_object_add (obj, "gid", json_object_new_int64 (e->gid));
  json_object_object_add (obj, "mtime_nsec", json_object_new_int64 (e->mtime_nsec));
  if (e->has_atime)
    json_object_object_add (obj, "atime_nsec", json_object_new_int64 (e->atime_nsec));
  vss_json_add_string (obj, "target", e->target);
  if (e->xattrs != NULL)
    json_object_object_add (obj, "xattrs", xattrs_to_json (e->xattrs));
  if (e->type == VSS_SET_ENTRY_FILE)
    json_object_object_add (obj, e->sha256_tree ? "sha256_tree" : "sha256",
                            json_object_new_string (e->sha256));
  return obj;
}

static void
append_json (GString *out, json_object *obj)
{
  g_string_append (out, json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (obj);
}

gboolean
vss_set_consistency_is_valid (const char *consistency)
{
  static const char *const names[] = { "freeze", "after-thaw", "crash", NULL };
  return consistency != NULL && g_strv_contains (names, consistency);
}

/* In the order of the components, so that sets are reproducible. */
static json_object *
consistency_to_json (const VssManifest *self)
{
  json_object *obj = json_object_new_object ();
  for (guint i = 0; i < self->components->len; i++) {
    const char *name = g_ptr_array_index (self->components, i);
    const char *value = g_hash_table_lookup (self->consistency, name);
    if (value != NULL)
      json_object_object_add (obj, name, json_object_new_string (value));
  }
  return obj;
}

static json_object *
header_to_json (const VssManifest *self)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "version", json_object_new_int (VSS_MANIFEST_VERSION));
  json_object_object_add (obj, "set_id", json_object_new_string (self->set_id));
  vss_json_add_string (obj, "base_id", self->base_id);
  vss_json_add_string (obj, "base_manifest_sha256", self->base_manifest_sha256);
  json_object_object_add (obj, "backup_type",
      json_object_new_string (vss_enum_to_string (vss_backup_type_names, self->backup_type)));
  json_object_object_add (obj, "created_usec", json_object_new_int64 (self->created_usec));
  json_object *components = json_object_new_array ();
  for (guint i = 0; i < self->components->len; i++)
    json_object_array_add (components,
                           json_object_new_string (g_ptr_array_index (self->components, i)));
  json_object_object_add (obj, "components", components);
  if (g_hash_table_size (self->consistency) > 0)
    json_object_object_add (obj, "consistency", consistency_to_json (self));
  return obj;
}

void
vss_manifest_append_header (const VssManifest *self, GString *out)
{
  append_json (out, header_to_json (self));
  g_string_append_c (out, '\n');
}

void
vss_manifest_append_entry (const VssManifest *self, const VssSetEntry *e, GString *out)
{
  append_json (out, entry_to_json (self, e));
  g_string_append_c (out, '\n');
}

void
vss_manifest_append_end (guint64 entries, const char *sha256, GString *out)
{
  g_string_append_printf (out, "{\"end\":{\"entries\":%" G_GUINT64_FORMAT ",\"sha256\":\"%s\"}}\n",
                          entries, sha256);
}
