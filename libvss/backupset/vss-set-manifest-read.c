/* vss-set-manifest-read.c — loading a manifest, which is untrusted input:
 * every member is typed, every path checked, and a problem is named by its
 * place ("entries[12].stored: has a \"..\" part …").  Nothing half-loads. */
#include "vss-backup-set-private.h"

#include <string.h>

#include "document/vss-document-private.h"

/* The manifest nests 3 levels; deeper text is refused while parsing. */
#define MANIFEST_MAX_DEPTH 8

static gboolean
fail (GError **error, const char *where, const char *key, const char *message)
{
  g_autofree char *path = key != NULL ? vss_json_path_key (where, key) : g_strdup (where);
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "manifest.json: %s: %s",
               path, message);
  return FALSE;
}

/* The manifest name in front of the shared readers' messages. */
static gboolean
prefixed (gboolean ok, GError **error)
{
  if (!ok && error != NULL && *error != NULL)
    g_prefix_error (error, "manifest.json: ");
  return ok;
}

/* A member of an object and the manifest version that added it. */
typedef struct {
  const char *key;
  gint64 since;
} ManifestKey;

static gboolean
key_allowed (const ManifestKey *keys, const char *key, gint64 version)
{
  for (; keys->key != NULL; keys++)
    if (strcmp (keys->key, key) == 0)
      return version >= keys->since;
  return FALSE;
}

/* Only the members of @keys (NULL-terminated) as of @version. */
static gboolean
check_keys (json_object *obj, const char *where, const ManifestKey *keys, gint64 version,
            GError **error)
{
  json_object_object_foreach (obj, key, value) {
    (void) value;
    if (key_allowed (keys, key, version))
      continue;
    g_autofree char *msg = g_strdup_printf ("unknown member \"%s\" for version %" G_GINT64_FORMAT
                                            " (a newer format? this libvss reads up to "
                                            "version %d)", key, version, VSS_MANIFEST_VERSION);
    return fail (error, where, NULL, msg);
  }
  return TRUE;
}

static gboolean
is_sha256_hex (const char *sha)
{
  gboolean hex = sha != NULL && strlen (sha) == 64;
  for (guint i = 0; hex && i < 64; i++)
    hex = g_ascii_isxdigit (sha[i]) && !g_ascii_isupper (sha[i]);
  return hex;
}

static gboolean
read_ranged (json_object *obj, const char *where, const char *key, gboolean required,
             gint64 min, gint64 max, gint64 *out, GError **error)
{
  if (!prefixed (vss_json_read_int64 (obj, where, key, required, out, error), error))
    return FALSE;
  if (*out < min || *out > max) {
    g_autofree char *msg = g_strdup_printf ("%" G_GINT64_FORMAT " is out of range "
                                            "(%" G_GINT64_FORMAT "…%" G_GINT64_FORMAT ")",
                                            *out, min, max);
    return fail (error, where, key, msg);
  }
  return TRUE;
}

static gboolean
read_path (json_object *obj, const char *where, const char *key, gboolean required,
           gboolean absolute, char **out, GError **error)
{
  if (!prefixed (vss_json_read_string (obj, where, key, required, out, error), error))
    return FALSE;
  if (*out == NULL)
    return TRUE;
  const char *problem = absolute ? vss_set_check_absolute (*out) : vss_set_check_relative (*out);
  if (problem == NULL && !absolute && !g_str_has_prefix (*out, VSS_SET_FILES "/"))
    problem = "must be under files/";
  return problem == NULL || fail (error, where, key, problem);
}

static gboolean
read_xattrs (json_object *obj, const char *where, VssSetEntry *e, GError **error)
{
  json_object *xobj = NULL;
  if (!prefixed (vss_json_read_object (obj, where, "xattrs", FALSE, &xobj, error), error))
    return FALSE;
  if (xobj == NULL)
    return TRUE;
  g_autofree char *xwhere = vss_json_path_key (where, "xattrs");
  e->xattrs = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_set_xattr_free);
  json_object_object_foreach (xobj, name, value) {
    (void) value;
    g_autofree char *b64 = NULL;
    if (!prefixed (vss_json_read_string (xobj, xwhere, name, TRUE, &b64, error), error))
      return FALSE;
    if (name[0] == '\0' || strchr (name, '.') == NULL)
      return fail (error, xwhere, name, "an xattr name needs a namespace (\"user.…\")");
    VssSetXattr *x = g_new0 (VssSetXattr, 1);
    gsize len = 0;
    guchar *data = g_base64_decode (b64, &len);
    x->name = g_strdup (name);
    x->value = g_bytes_new_take (data, len);
    g_ptr_array_add (e->xattrs, x);
  }
  return TRUE;
}

/* A file has "sha256" (the SHA-256 of its bytes) or, from version 5 and
 * above one 4 MiB piece only, "sha256_tree" (its piece digest,
 * util/vss-digest.h): never both, so each file has one digest. */
static gboolean
read_sha256 (json_object *obj, const char *where, VssSetEntry *e, GError **error)
{
  e->sha256_tree = json_object_object_get_ex (obj, "sha256_tree", NULL);
  const char *key = e->sha256_tree ? "sha256_tree" : "sha256";
  g_autofree char *sha = NULL;
  if (!prefixed (vss_json_read_string (obj, where, key, e->type == VSS_SET_ENTRY_FILE,
                                       &sha, error), error))
    return FALSE;
  if (sha == NULL)
    return TRUE;
  if (e->type != VSS_SET_ENTRY_FILE)
    return fail (error, where, key, "only files have a checksum");
  if (e->sha256_tree && json_object_object_get_ex (obj, "sha256", NULL))
    return fail (error, where, key, "a file has \"sha256\" or \"sha256_tree\", not both");
  if (e->sha256_tree && e->size <= VSS_DIGEST_PIECE)
    return fail (error, where, key, "a file of at most one 4 MiB piece has a \"sha256\"");
  if (!is_sha256_hex (sha))
    return fail (error, where, key, "must be 64 lower-case hex digits");
  memcpy (e->sha256, sha, 65);
  return TRUE;
}

/* Where a file's data are: exactly one of "stored", "in_base" and
 * "hardlink" (an earlier entry's path: vss-backup-set.c checks it names
 * one); other types have none. */
static gboolean
read_location (json_object *obj, const char *where, VssSetEntry *e, GError **error)
{
  if (!read_path (obj, where, "stored", FALSE, FALSE, &e->stored, error) ||
      !prefixed (vss_json_read_string (obj, where, "in_base", FALSE, &e->in_base, error), error) ||
      !read_path (obj, where, "hardlink", FALSE, TRUE, &e->hardlink, error))
    return FALSE;
  if (e->in_base != NULL && !vss_uuid_is_valid (e->in_base))
    return fail (error, where, "in_base", "must be a set id (a UUID)");
  guint places = (e->stored != NULL) + (e->in_base != NULL) + (e->hardlink != NULL);
  if (e->type != VSS_SET_ENTRY_FILE && places > 0)
    return fail (error, where, NULL, "only files have \"stored\", \"in_base\" or \"hardlink\"");
  if (e->type == VSS_SET_ENTRY_FILE && places != 1)
    return fail (error, where, NULL,
                 "a file needs exactly one of \"stored\", \"in_base\" and \"hardlink\"");
  return TRUE;
}

static gboolean
read_type (json_object *obj, const char *where, VssSetEntry *e, GError **error)
{
  static const VssEnumName names[] = {
    { VSS_SET_ENTRY_FILE, "file" }, { VSS_SET_ENTRY_DIR, "dir" },
    { VSS_SET_ENTRY_SYMLINK, "symlink" }, { 0, NULL },
  };
  int type = 0;
  if (!prefixed (vss_json_read_enum (obj, where, "type", TRUE, names, &type, error), error))
    return FALSE;
  e->type = type;
  if (!prefixed (vss_json_read_string (obj, where, "target", FALSE, &e->target, error), error))
    return FALSE;
  if ((e->type == VSS_SET_ENTRY_SYMLINK) != (e->target != NULL))
    return fail (error, where, "target", "symlinks, and only symlinks, have a target");
  if (e->target != NULL && (e->target[0] == '\0' || strlen (e->target) >= 4096))
    return fail (error, where, "target", "must be 1 to 4095 bytes");
  return TRUE;
}

static gboolean
read_numbers (json_object *obj, const char *where, VssSetEntry *e, GError **error)
{
  gint64 size = 0, mode = 0, uid = 0, gid = 0;
  if (!read_ranged (obj, where, "size", TRUE, 0, G_MAXINT64, &size, error) ||
      !read_ranged (obj, where, "mode", TRUE, 0, 07777, &mode, error) ||
      !read_ranged (obj, where, "uid", TRUE, 0, G_MAXUINT32, &uid, error) ||
      !read_ranged (obj, where, "gid", TRUE, 0, G_MAXUINT32, &gid, error) ||
      !prefixed (vss_json_read_int64 (obj, where, "mtime_nsec", TRUE, &e->mtime_nsec, error), error))
    return FALSE;
  e->size = (guint64) size;
  e->mode = (guint32) mode;
  e->uid = (guint32) uid;
  e->gid = (guint32) gid;
  e->has_atime = json_object_object_get_ex (obj, "atime_nsec", NULL);
  return !e->has_atime ||
         prefixed (vss_json_read_int64 (obj, where, "atime_nsec", TRUE, &e->atime_nsec, error), error);
}

static VssSetEntry *
read_entry (json_object *obj, const char *where, GHashTable *component_index, gint64 version,
            GError **error)
{
  static const ManifestKey keys[] = {
    { "component", 1 }, { "path", 1 }, { "stored", 1 }, { "in_base", 1 }, { "type", 1 },
    { "size", 1 }, { "mode", 1 }, { "uid", 1 }, { "gid", 1 }, { "mtime_nsec", 1 },
    { "atime_nsec", 1 }, { "target", 1 }, { "xattrs", 1 }, { "sha256", 1 }, { "hardlink", 2 },
    { "sha256_tree", 5 }, { NULL, 0 },
  };
  if (!json_object_is_type (obj, json_type_object)) {
    fail (error, where, NULL, "expected an object");
    return NULL;
  }
  g_autofree char *component = NULL;
  g_autoptr(GPtrArray) holder = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_set_entry_free);
  VssSetEntry *e = vss_set_entry_new (0, NULL, VSS_SET_ENTRY_FILE);
  g_ptr_array_add (holder, e);
  if (!check_keys (obj, where, keys, version, error) ||
      !prefixed (vss_json_read_string (obj, where, "component", TRUE, &component, error), error))
    return NULL;
  gpointer index;
  if (!g_hash_table_lookup_extended (component_index, component, NULL, &index)) {
    fail (error, where, "component", "not listed in \"components\"");
    return NULL;
  }
  e->component = GPOINTER_TO_UINT (index);
  if (!read_path (obj, where, "path", TRUE, TRUE, &e->path, error) ||
      !read_type (obj, where, e, error) || !read_location (obj, where, e, error) ||
      !read_numbers (obj, where, e, error) || !read_xattrs (obj, where, e, error) ||
      !read_sha256 (obj, where, e, error))
    return NULL;
  return g_ptr_array_steal_index (holder, 0);
}

static gboolean
read_components (json_object *top, VssManifest *m, GHashTable *index, GError **error)
{
  json_object *array = NULL;
  if (!prefixed (vss_json_read_array (top, "", "components", TRUE, &array, error), error))
    return FALSE;
  for (gsize i = 0; i < json_object_array_length (array); i++) {
    json_object *item = json_object_array_get_idx (array, i);
    g_autofree char *where = vss_json_path_index ("", "components", (guint) i);
    const char *name = json_object_get_string (item);
    if (!json_object_is_type (item, json_type_string) || name[0] == '\0' ||
        (gsize) json_object_get_string_len (item) != strlen (name))
      return fail (error, where, NULL, "expected a non-empty string");
    if (g_hash_table_contains (index, name))
      return fail (error, where, NULL, "listed twice");
    g_hash_table_insert (index, g_strdup (name), GUINT_TO_POINTER (m->components->len));
    g_ptr_array_add (m->components, g_strdup (name));
  }
  return TRUE;
}

static gboolean
read_header (json_object *top, VssManifest *m, gint64 *out_version, GError **error)
{
  static const ManifestKey keys[] = {
    { "version", 1 }, { "set_id", 1 }, { "base_id", 1 }, { "backup_type", 1 },
    { "created_usec", 1 }, { "components", 1 }, { "entries", 1 }, { "base_manifest_sha256", 2 },
    { "consistency", 3 }, { NULL, 0 },
  };
  gint64 version = 0;
  int type = 0;
  if (!read_ranged (top, "", "version", TRUE, 1, VSS_MANIFEST_VERSION, &version, error) ||
      !check_keys (top, "top level", keys, version, error) ||
      !prefixed (vss_json_read_string (top, "", "base_manifest_sha256", FALSE,
                                       &m->base_manifest_sha256, error), error) ||
      !prefixed (vss_json_read_string (top, "", "set_id", TRUE, &m->set_id, error), error) ||
      !prefixed (vss_json_read_string (top, "", "base_id", FALSE, &m->base_id, error), error) ||
      !prefixed (vss_json_read_enum (top, "", "backup_type", TRUE, vss_backup_type_names,
                                     &type, error), error) ||
      !prefixed (vss_json_read_int64 (top, "", "created_usec", TRUE, &m->created_usec, error),
                 error))
    return FALSE;
  m->backup_type = type;
  *out_version = m->version = version;
  if (!vss_uuid_is_valid (m->set_id))
    return fail (error, "set_id", NULL, "must be a UUID");
  if (m->base_id != NULL && !vss_uuid_is_valid (m->base_id))
    return fail (error, "base_id", NULL, "must be a UUID");
  gboolean needs_base = type == VSS_BT_INCREMENTAL || type == VSS_BT_DIFFERENTIAL;
  if (needs_base && m->base_id == NULL)
    return fail (error, "base_id", NULL, "required for incremental and differential sets");
  if (m->base_manifest_sha256 != NULL && m->base_id == NULL)
    return fail (error, "base_manifest_sha256", NULL, "only a set with a base_id has one");
  if (m->base_manifest_sha256 != NULL && !is_sha256_hex (m->base_manifest_sha256))
    return fail (error, "base_manifest_sha256", NULL, "must be 64 lower-case hex digits");
  return TRUE;
}

/* One JSON object filling @text (white space around it allowed), or NULL
 * with what went wrong. */
static json_object *
parse_object (const char *text, gsize length, const char **out_problem, size_t *out_offset)
{
  json_tokener *tok = json_tokener_new_ex (MANIFEST_MAX_DEPTH);
  json_object *obj = json_tokener_parse_ex (tok, text, (int) length);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  size_t offset = json_tokener_get_parse_end (tok);
  json_tokener_free (tok);
  for (; jerr == json_tokener_success && offset < length; offset++) {
    if (!g_ascii_isspace (text[offset]))
      jerr = json_tokener_error_parse_unexpected;
  }
  *out_offset = offset;
  if (jerr == json_tokener_success && json_object_is_type (obj, json_type_object))
    return obj;
  *out_problem = jerr == json_tokener_continue ? "it ends in the middle of a JSON object"
                 : jerr != json_tokener_success ? json_tokener_error_desc (jerr) : "wrong type";
  json_object_put (obj);
  return NULL;
}

static json_object *
parse (const char *text, gsize length, GError **error)
{
  if (length > VSS_MANIFEST_MAX_BYTES) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "manifest.json is %" G_GSIZE_FORMAT " bytes; the limit is %d",
                 length, VSS_MANIFEST_MAX_BYTES);
    return NULL;
  }
  const char *problem = NULL;
  size_t offset = 0;
  json_object *obj = parse_object (text, length, &problem, &offset);
  if (obj == NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "manifest.json is not a JSON object (%s at offset %zu): the set is damaged",
                 problem, offset);
  return obj;
}

/* "consistency": how each --path tree was read; its keys are components. */
static gboolean
read_consistency (json_object *top, VssManifest *m, GHashTable *index, GError **error)
{
  json_object *obj = NULL;
  if (!json_object_object_get_ex (top, "consistency", &obj))
    return TRUE;
  if (!json_object_is_type (obj, json_type_object))
    return fail (error, "consistency", NULL, "must be an object");
  json_object_object_foreach (obj, name, value) {
    const char *v = json_object_is_type (value, json_type_string) ? json_object_get_string (value) : NULL;
    if (!g_hash_table_contains (index, name))
      return fail (error, "consistency", NULL, "names a component the set does not list");
    if (!vss_set_consistency_is_valid (v))
      return fail (error, "consistency", NULL, "values are \"freeze\", \"after-thaw\" or \"crash\"");
    g_hash_table_insert (m->consistency, g_strdup (name), g_strdup (v));
  }
  return TRUE;
}

VssManifest *
vss_manifest_from_json (const char *text, gsize length, GError **error)
{
  json_object *top = parse (text, length, error);
  if (top == NULL)
    return NULL;
  g_autoptr(VssManifest) m = vss_manifest_new (NULL, NULL, VSS_BT_UNDEFINED);
  g_autoptr(GHashTable) index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  json_object *entries = NULL;
  gint64 version = 0;
  gboolean ok = read_header (top, m, &version, error) &&
                (version < 4 || fail (error, "version", NULL, "a manifest of version 4 or later is "
                                      "lines, not one document")) &&
                read_components (top, m, index, error) &&
                read_consistency (top, m, index, error) &&
                prefixed (vss_json_read_array (top, "", "entries", TRUE, &entries, error), error);
  for (gsize i = 0; ok && i < json_object_array_length (entries); i++) {
    g_autofree char *where = vss_json_path_index ("", "entries", (guint) i);
    VssSetEntry *e = read_entry (json_object_array_get_idx (entries, i), where, index, version,
                                  error);
    ok = e != NULL;
    if (ok)
      g_ptr_array_add (m->entries, e);
    /* Each entry's json-c objects go as soon as the model has it, so the
     * tree and the model of a large set are not both held whole. */
    json_object_array_put_idx (entries, i, NULL);
  }
  json_object_put (top);
  return ok ? g_steal_pointer (&m) : NULL;
}

/* ---- version 4: one line at a time ---- */

VssManifest *
vss_manifest_parse_header (const char *line, gsize length, GError **error)
{
  const char *problem = NULL;
  size_t offset = 0;
  json_object *top = parse_object (line, length, &problem, &offset);
  /* not a whole object, or one with its entries: a version 1-3 document */
  if (top == NULL || json_object_object_get_ex (top, "entries", NULL)) {
    json_object_put (top);
    return NULL;
  }
  g_autoptr(VssManifest) m = vss_manifest_new (NULL, NULL, VSS_BT_UNDEFINED);
  g_autoptr(GHashTable) index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 version = 0;
  gboolean ok = read_header (top, m, &version, error) &&
                (version >= 4 || fail (error, "line 1: version", NULL, "a manifest of lines is "
                                       "version 4 or later")) &&
                read_components (top, m, index, error) && read_consistency (top, m, index, error);
  json_object_put (top);
  return ok ? g_steal_pointer (&m) : NULL;
}

static json_object *
parse_line (const char *line, gsize length, const char *where, GError **error)
{
  const char *problem = NULL;
  size_t offset = 0;
  json_object *obj = parse_object (line, length, &problem, &offset);
  if (obj == NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "manifest.json: %s is not one JSON object (%s at byte %zu): the set is "
                 "damaged or the manifest was cut short", where, problem, offset);
  return obj;
}

VssSetEntry *
vss_manifest_parse_entry (const char *line, gsize length, const char *where,
                          const VssManifest *m, GHashTable *component_index, GError **error)
{
  json_object *obj = parse_line (line, length, where, error);
  if (obj == NULL)
    return NULL;
  VssSetEntry *e = read_entry (obj, where, component_index, m->version, error);
  json_object_put (obj);
  return e;
}

gboolean
vss_manifest_parse_end (const char *line, gsize length, const char *where, gboolean *out_is_end,
                        guint64 *out_entries, char out_sha256[65], GError **error)
{
  *out_is_end = FALSE;
  /* only the closing line starts so; an entry starts with "component" */
  if (length < 7 || strncmp (line, "{\"end\":", 7) != 0)
    return TRUE;
  static const ManifestKey keys[] = { { "entries", 1 }, { "sha256", 1 }, { NULL, 0 } };
  json_object *top = parse_line (line, length, where, error), *end = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *end_where = vss_json_path_key (where, "end");
  gint64 entries = 0;
  gboolean ok = top != NULL &&
                prefixed (vss_json_read_object (top, where, "end", TRUE, &end, error), error) &&
                check_keys (end, end_where, keys, VSS_MANIFEST_VERSION, error) &&
                read_ranged (end, end_where, "entries", TRUE, 0, G_MAXINT64, &entries, error) &&
                prefixed (vss_json_read_string (end, end_where, "sha256", TRUE, &sha, error), error) &&
                (is_sha256_hex (sha) || fail (error, end_where, "sha256", "must be 64 lower-case hex digits"));
  json_object_put (top);
  if (!ok)
    return FALSE;
  *out_is_end = TRUE;
  *out_entries = (guint64) entries;
  memcpy (out_sha256, sha, 65);
  return TRUE;
}
