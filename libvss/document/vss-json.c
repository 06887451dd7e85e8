/* vss-json.c — strict JSON reading with the path of every problem in the
 * message ("writers[1].components[0].name: required"), parsing with hard
 * limits, and the value rules shared by the adds and the loaders. */
#include "vss-json-internal.h"

#include <stdarg.h>
#include <string.h>

/* ---- paths and messages ---- */

char *
vss_json_path_key (const char *where, const char *key)
{
  if (where == NULL || *where == '\0')
    return g_strdup (key != NULL ? key : "");
  if (key == NULL || *key == '\0')
    return g_strdup (where);
  return g_strconcat (where, ".", key, NULL);
}

char *
vss_json_path_index (const char *where, const char *key, guint index)
{
  g_autofree char *base = vss_json_path_key (where, key);
  return g_strdup_printf ("%s[%u]", base, index);
}

void
vss_json_set_error (GError **error, const char *where, const char *key,
                    const char *format, ...)
{
  g_autofree char *path = NULL;
  g_autofree char *message = NULL;
  va_list args;

  if (key != NULL)
    path = vss_json_path_key (where, key);
  else
    path = g_strdup (where != NULL && *where != '\0' ? where : "top level");
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "%s: %s", path, message);
}

const char *
vss_json_type_name (json_object *value)
{
  switch (json_object_get_type (value)) {
  case json_type_null: return "null";
  case json_type_boolean: return "a boolean";
  case json_type_double: return "a number";
  case json_type_int: return "an integer";
  case json_type_object: return "an object";
  case json_type_array: return "an array";
  case json_type_string: return "a string";
  default: return "an unknown JSON value";
  }
}

char *
vss_json_quote (const char *value)
{
  if (value == NULL)
    return g_strdup ("null");
  gsize len = strlen (value);
  if (len <= VSS_JSON_QUOTE_MAX)
    return g_strdup_printf ("\"%s\"", value);
  /* Cut on a UTF-8 character boundary when the text is UTF-8. */
  gsize cut = VSS_JSON_QUOTE_MAX;
  while (cut > 0 && ((guchar) value[cut] & 0xC0) == 0x80)
    cut--;
  return g_strdup_printf ("\"%.*s…\" (%" G_GSIZE_FORMAT " bytes)", (int) cut, value, len);
}

/* ---- parsing ---- */

/* The offset of the first non-blank byte from @from, or @length. */
static gsize
skip_whitespace (const char *text, gsize from, gsize length)
{
  while (from < length && g_ascii_isspace (text[from]))
    from++;
  return from;
}

/* FALSE on a syntax error; TRUE with *out set (NULL for a JSON null). */
static gboolean
tokenize (const char *text, gsize length, json_object **out, GError **error)
{
  struct json_tokener *tok = json_tokener_new_ex (VSS_JSON_MAX_DEPTH);
  json_object *obj;
  enum json_tokener_error jerr;
  gsize end;

  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
  obj = json_tokener_parse_ex (tok, text, (int) length);
  jerr = json_tokener_get_error (tok);
  end = json_tokener_get_parse_end (tok);
  if (jerr == json_tokener_continue) {
    /* A number or literal at the very end waits for a delimiter: give it
     * one.  Anything else still waiting is a cut document. */
    obj = json_tokener_parse_ex (tok, " ", 1);
    jerr = json_tokener_get_error (tok);
    end = length;
  }
  json_tokener_free (tok);

  if (jerr == json_tokener_continue) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "invalid JSON at offset %" G_GSIZE_FORMAT ": the text ends too early "
                 "(truncated document?)", length);
    return FALSE;
  }
  if (jerr != json_tokener_success) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "invalid JSON at offset %" G_GSIZE_FORMAT ": %s", end,
                 json_tokener_error_desc (jerr));
    json_object_put (obj);
    return FALSE;
  }
  end = skip_whitespace (text, end, length);
  if (end < length) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "invalid JSON at offset %" G_GSIZE_FORMAT ": unexpected text after the "
                 "document", end);
    json_object_put (obj);
    return FALSE;
  }
  *out = obj;
  return TRUE;
}

json_object *
vss_json_parse (const char *text, gsize length, GError **error)
{
  const char *nul;
  json_object *obj = NULL;

  g_return_val_if_fail (text != NULL || length == 0, NULL);
  if (length == (gsize) -1)
    length = strlen (text);
  if (length > VSS_DOCUMENT_MAX_BYTES) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "document is %" G_GSIZE_FORMAT " bytes; the limit is %d bytes",
                 length, VSS_DOCUMENT_MAX_BYTES);
    return NULL;
  }
  if (skip_whitespace (text, 0, length) == length) {
    g_set_error_literal (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                         "empty document: expected a JSON object");
    return NULL;
  }
  nul = memchr (text, '\0', length);
  if (nul != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "invalid JSON at offset %" G_GSIZE_FORMAT ": NUL byte in the text",
                 (gsize) (nul - text));
    return NULL;
  }
  if (!tokenize (text, length, &obj, error))
    return NULL;
  if (!json_object_is_type (obj, json_type_object)) {
    vss_json_set_error (error, NULL, NULL, "expected an object, got %s",
                        vss_json_type_name (obj));
    json_object_put (obj);
    return NULL;
  }
  return obj;
}

char *
vss_json_to_text (json_object *obj)
{
  const char *text = json_object_to_json_string_ext (
      obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
  GString *out = g_string_sized_new (strlen (text) + 2);

  /* json-c prints an empty array as "[\n    ]"; write "[]".  A raw newline
   * never occurs inside a JSON string, so this only touches structure. */
  for (const char *p = text; *p != '\0'; p++) {
    g_string_append_c (out, *p);
    if (*p == '[' && p[1] == '\n') {
      const char *q = p + 1;
      while (*q == '\n' || *q == ' ')
        q++;
      if (*q == ']')
        p = q - 1;
    }
  }
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

/* ---- strict readers ---- */

/* Looks up @key: FALSE when it is missing (an error when @required, *ok
 * tells which); TRUE with *value set (NULL for JSON null) when present. */
static gboolean
member (json_object *obj, const char *where, const char *key, gboolean required,
        json_object **value, gboolean *ok, GError **error)
{
  *value = NULL;
  *ok = TRUE;
  if (json_object_object_get_ex (obj, key, value))
    return TRUE;
  if (required) {
    vss_json_set_error (error, where, key, "required");
    *ok = FALSE;
  }
  return FALSE;
}

static gboolean
expect_type (json_object *value, json_type type, const char *expected,
             const char *where, const char *key, GError **error)
{
  if (json_object_is_type (value, type))
    return TRUE;
  vss_json_set_error (error, where, key, "expected %s, got %s", expected,
                      vss_json_type_name (value));
  return FALSE;
}

/* @value as a string (borrowed), refusing other types and NUL bytes. */
static const char *
string_value (json_object *value, const char *where, const char *key, GError **error)
{
  const char *str;

  if (!expect_type (value, json_type_string, "a string", where, key, error))
    return NULL;
  str = json_object_get_string (value);
  if ((gsize) json_object_get_string_len (value) != strlen (str)) {
    vss_json_set_error (error, where, key, "must not contain a NUL byte");
    return NULL;
  }
  return str;
}

gboolean
vss_json_read_string (json_object *obj, const char *where, const char *key,
                      gboolean required, char **out, GError **error)
{
  gboolean ok;
  json_object *value;
  const char *str;

  g_return_val_if_fail (json_object_is_type (obj, json_type_object), FALSE);
  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  if (!member (obj, where, key, required, &value, &ok, error))
    return ok;
  str = string_value (value, where, key, error);
  if (str == NULL)
    return FALSE;
  g_free (*out);
  *out = g_strdup (str);
  return TRUE;
}

gboolean
vss_json_read_bool (json_object *obj, const char *where, const char *key,
                    gboolean required, gboolean *out, GError **error)
{
  gboolean ok;
  json_object *value;

  g_return_val_if_fail (json_object_is_type (obj, json_type_object), FALSE);
  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  if (!member (obj, where, key, required, &value, &ok, error))
    return ok;
  if (!expect_type (value, json_type_boolean, "a boolean", where, key, error))
    return FALSE;
  *out = json_object_get_boolean (value) ? TRUE : FALSE;
  return TRUE;
}

gboolean
vss_json_read_int64 (json_object *obj, const char *where, const char *key,
                     gboolean required, gint64 *out, GError **error)
{
  gboolean ok;
  json_object *value;
  gint64 v;

  g_return_val_if_fail (json_object_is_type (obj, json_type_object), FALSE);
  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  if (!member (obj, where, key, required, &value, &ok, error))
    return ok;
  if (!expect_type (value, json_type_int, "an integer", where, key, error))
    return FALSE;
  v = json_object_get_int64 (value);
  /* json-c keeps integers above G_MAXINT64 as unsigned and clamps them. */
  if (v == G_MAXINT64 && json_object_get_uint64 (value) > (guint64) G_MAXINT64) {
    vss_json_set_error (error, where, key, "integer out of range (at most %" G_GINT64_FORMAT ")",
                        G_MAXINT64);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

/* An array or object member: *out is borrowed from @obj. */
static gboolean
read_container (json_object *obj, const char *where, const char *key, gboolean required,
                json_type type, const char *type_name, json_object **out, GError **error)
{
  gboolean ok;
  json_object *value;

  g_return_val_if_fail (json_object_is_type (obj, json_type_object), FALSE);
  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  if (!member (obj, where, key, required, &value, &ok, error))
    return ok;
  if (!expect_type (value, type, type_name, where, key, error))
    return FALSE;
  *out = value;
  return TRUE;
}

gboolean
vss_json_read_array (json_object *obj, const char *where, const char *key,
                     gboolean required, json_object **out, GError **error)
{
  return read_container (obj, where, key, required, json_type_array, "an array", out, error);
}

gboolean
vss_json_read_object (json_object *obj, const char *where, const char *key,
                      gboolean required, json_object **out, GError **error)
{
  return read_container (obj, where, key, required, json_type_object, "an object", out, error);
}

static char *
enum_names_list (const VssEnumName *names)
{
  GString *list = g_string_new (NULL);
  for (const VssEnumName *n = names; n->name != NULL; n++)
    g_string_append_printf (list, "%s%s", list->len > 0 ? ", " : "", n->name);
  return g_string_free (list, FALSE);
}

/* The value of @names called @str; an error listing the names if none is. */
static gboolean
enum_from_string (const VssEnumName *names, const char *str, const char *where,
                  const char *key, int *out, GError **error)
{
  if (!vss_enum_from_string (names, str, out)) {
    g_autofree char *quoted = vss_json_quote (str);
    g_autofree char *list = enum_names_list (names);
    vss_json_set_error (error, where, key, "unknown value %s (one of: %s)", quoted, list);
    return FALSE;
  }
  return TRUE;
}

gboolean
vss_json_read_enum (json_object *obj, const char *where, const char *key,
                    gboolean required, const VssEnumName *names,
                    int *out, GError **error)
{
  g_autofree char *str = NULL;

  g_return_val_if_fail (names != NULL && out != NULL, FALSE);
  if (!vss_json_read_string (obj, where, key, required, &str, error))
    return FALSE;
  return str == NULL || enum_from_string (names, str, where, key, out, error);
}

gboolean
vss_json_get_enum (json_object *value, const char *where, const VssEnumName *names, int *out,
                   GError **error)
{
  const char *str;

  g_return_val_if_fail (names != NULL && out != NULL, FALSE);
  str = string_value (value, where, NULL, error);
  return str != NULL && enum_from_string (names, str, where, NULL, out, error);
}

gboolean
vss_json_read_component_type (json_object *obj, const char *where, VssComponentType *out,
                              GError **error)
{
  int type = VSS_CT_UNDEFINED;

  if (!vss_json_read_enum (obj, where, "type", TRUE, vss_component_type_names, &type, error))
    return FALSE;
  if (type == VSS_CT_UNDEFINED) {
    vss_json_set_error (error, where, "type", "must be database or file-group");
    return FALSE;
  }
  *out = type;
  return TRUE;
}

/* ---- checked values ---- */

gboolean
vss_json_check_keys (json_object *obj, const char *where,
                     const char *const *allowed, GError **error)
{
  json_object_object_foreach (obj, key, value) {
    gboolean known = FALSE;
    (void) value;
    for (guint i = 0; allowed[i] != NULL && !known; i++)
      known = strcmp (allowed[i], key) == 0;
    if (!known) {
      g_autofree char *quoted = vss_json_quote (key);
      vss_json_set_error (error, where, NULL,
                          "unknown field %s (format version %d has no such field)",
                          quoted, VSS_DOCUMENT_VERSION);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
vss_json_read_version (json_object *obj, const char *where, GError **error)
{
  gint64 version = 0;

  if (!vss_json_read_int64 (obj, where, "version", TRUE, &version, error))
    return FALSE;
  if (version > VSS_DOCUMENT_VERSION) {
    vss_json_set_error (error, where, "version",
                        "written by a newer libvss (version %" G_GINT64_FORMAT "); "
                        "this one reads up to %d: upgrade libvss",
                        version, VSS_DOCUMENT_VERSION);
    return FALSE;
  }
  if (version < 1) {
    vss_json_set_error (error, where, "version",
                        "%" G_GINT64_FORMAT " is not a valid version (versions start at 1)",
                        version);
    return FALSE;
  }
  return TRUE;
}

gboolean
vss_json_read_checked (json_object *obj, const char *where, const char *key,
                       gboolean required, VssStringCheck check,
                       char **out, GError **error)
{
  g_autofree char *str = NULL;
  const char *problem;

  if (!vss_json_read_string (obj, where, key, required, &str, error))
    return FALSE;
  if (str == NULL)
    return TRUE;
  problem = check != NULL ? check (str) : vss_check_non_empty (str);
  if (problem != NULL) {
    g_autofree char *quoted = vss_json_quote (str);
    vss_json_set_error (error, where, key, "%s, got %s", problem, quoted);
    return FALSE;
  }
  g_free (*out);
  *out = g_steal_pointer (&str);
  return TRUE;
}

gboolean
vss_json_read_uuid (json_object *obj, const char *where, const char *key,
                    gboolean required, char **out, GError **error)
{
  return vss_json_read_checked (obj, where, key, required, vss_check_uuid, out, error);
}

gboolean
vss_json_read_array_items (json_object *array, const char *path, VssJsonItemReader reader,
                           gpointer data, GPtrArray *out, GError **error)
{
  g_return_val_if_fail (json_object_is_type (array, json_type_array), FALSE);
  for (guint i = 0; i < json_object_array_length (array); i++) {
    g_autofree char *item_path = vss_json_path_index (path, NULL, i);
    json_object *item = json_object_array_get_idx (array, i);
    gpointer value;

    if (!json_object_is_type (item, json_type_object)) {
      vss_json_set_error (error, item_path, NULL, "expected an object, got %s",
                          vss_json_type_name (item));
      return FALSE;
    }
    value = reader (item, item_path, data, error);
    if (value == NULL)
      return FALSE;
    g_ptr_array_add (out, value);
  }
  return TRUE;
}

gboolean
vss_json_read_items (json_object *obj, const char *where, const char *key,
                     VssJsonItemReader reader, gpointer data, GPtrArray *out, GError **error)
{
  g_autofree char *path = vss_json_path_key (where, key);
  json_object *array = NULL;

  if (!vss_json_read_array (obj, where, key, FALSE, &array, error))
    return FALSE;
  return array == NULL || vss_json_read_array_items (array, path, reader, data, out, error);
}

GHashTable *
vss_json_seen_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

const char *
vss_json_seen_before (GHashTable *seen, char *key, const char *path)
{
  const char *first = g_hash_table_lookup (seen, key);
  if (first != NULL) {
    g_free (key);
    return first;
  }
  g_hash_table_insert (seen, key, g_strdup (path));
  return NULL;
}

void
vss_json_add_string (json_object *obj, const char *key, const char *value)
{
  g_return_if_fail (obj != NULL && key != NULL);
  if (value != NULL)
    json_object_object_add (obj, key, json_object_new_string (value));
}

json_object *
vss_json_enum_value (const VssEnumName *names, int value)
{
  const char *name = vss_enum_to_string (names, value);
  /* An out-of-range value set by hand: written as a number, which the
   * loader refuses, rather than silently as something else. */
  return name != NULL ? json_object_new_string (name) : json_object_new_int (value);
}

/* ---- value rules ---- */

gboolean
vss_uuid_is_valid (const char *str)
{
  if (str == NULL || strlen (str) != 36)
    return FALSE;
  for (guint i = 0; i < 36; i++) {
    gboolean dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? str[i] != '-' : !g_ascii_isxdigit (str[i]))
      return FALSE;
  }
  return TRUE;
}

gboolean
vss_check_report (const char *what, const char *value, const char *problem, GError **error)
{
  if (problem == NULL)
    return TRUE;
  g_autofree char *quoted = vss_json_quote (value);
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "%s %s: %s", what, quoted, problem);
  return FALSE;
}

gboolean
vss_check_component_identity (VssComponentType type, const char *name, GError **error)
{
  if (type != VSS_CT_DATABASE && type != VSS_CT_FILEGROUP) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "component type %d: use VSS_CT_DATABASE or VSS_CT_FILEGROUP", (int) type);
    return FALSE;
  }
  return vss_check_report ("component name", name, vss_check_name (name), error);
}

const char *
vss_check_non_empty (const char *value)
{
  return value == NULL || *value == '\0' ? "must not be empty" : NULL;
}

const char *
vss_check_name (const char *value)
{
  if (value == NULL || *value == '\0')
    return "must not be empty";
  if (strchr (value, '/') != NULL)
    return "must not contain '/'";
  if (strchr (value, '\\') != NULL)
    return "must not contain '\\'";
  return NULL;
}

const char *
vss_check_path (const char *value)
{
  if (value == NULL || *value == '\0')
    return "must not be empty";
  if (value[0] != '/')
    return "must be an absolute path (starting with '/')";
  return NULL;
}

const char *
vss_check_filespec (const char *value)
{
  if (value == NULL || *value == '\0')
    return "must not be empty (use \"*\" for every file)";
  if (strchr (value, '/') != NULL)
    return "must not contain '/' (directories belong in the path)";
  return NULL;
}

const char *
vss_check_uuid (const char *value)
{
  return vss_uuid_is_valid (value) ? NULL : "must be a UUID (8-4-4-4-12 hex digits)";
}

char *
vss_logical_path_dup (const char *logical_path)
{
  return logical_path != NULL && *logical_path != '\0' ? g_strdup (logical_path) : NULL;
}

gboolean
vss_json_check_component_unique (GHashTable *seen, const char *logical_path, const char *name,
                                 const char *path, GError **error)
{
  char *key = g_strdup_printf ("%s\x1f%s", logical_path != NULL ? logical_path : "",
                               name != NULL ? name : "");
  const char *first = vss_json_seen_before (seen, key, path);

  if (first == NULL)
    return TRUE;
  vss_json_set_error (error, path, NULL,
                      "duplicate component (same logical path and name as %s)", first);
  return FALSE;
}
