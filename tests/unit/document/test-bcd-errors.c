/* test-bcd-errors.c — loading refuses every invalid BCD with
 * VSS_ERROR_INVALID_DOCUMENT and a message naming the exact place; hostile
 * inputs fail cleanly. */
#include <criterion/criterion.h>

#include "doc-test.h"

static char *
load_message (const char *text, gsize length)
{
  g_autoptr(GError) error = doc_test_load_error (FALSE, text, length);
  cr_assert_not_null (error, "loaded: %.200s", text);
  return g_strdup (error->message);
}

#define assert_load_fails(text, expected)                                      \
  do {                                                                         \
    g_autofree char *msg_ = load_message ((text), strlen (text));             \
    cr_assert_str_eq (msg_, (expected));                                      \
  } while (0)

/* ---- table over every member of the full document ---- */

Test (bcd_errors, wrong_type_or_null_for_every_member)
{
  doc_test_check_full (FALSE, doc_test_check_wrong_types, 300);
}

Test (bcd_errors, every_required_member_and_only_those)
{
  doc_test_check_full (FALSE, doc_test_check_removals, 100);
}

Test (bcd_errors, unknown_field_in_every_object)
{
  doc_test_check_full (FALSE, doc_test_check_unknown_fields, 20);
}

Test (bcd_errors, bad_ids_paths_names_filespecs_enums)
{
  doc_test_check_full (FALSE, doc_test_check_bad_values, 100);
}

Test (bcd_errors, nul_byte_in_every_string)
{
  doc_test_check_full (FALSE, doc_test_check_nul_strings, 100);
}

/* ---- exact messages for hand-written cases ---- */

static const DocTestCase cases[] = {
  { "writers[0].components[1].name", NULL, "writers[0].components[1].name: required" },
  { "backup_type", "1", "backup_type: expected a string, got an integer" },
  { "backup_type", "\"fulll\"",
    "backup_type: unknown value \"fulll\" (one of: full, incremental, differential, log, copy, "
    "other, undefined)" },
  { "context", "\"volatile\"",
    "context: unknown value \"volatile\" (one of: backup, file-share-backup, nas-rollback, "
    "app-rollback, client-accessible)" },
  { "kind", "\"Backup\"", "kind: unknown value \"Backup\" (one of: backup, restore)" },
  { "version", "2",
    "version: written by a newer libvss (version 2); this one reads up to 1: upgrade libvss" },
  { "version", "9223372036854775807",
    "version: written by a newer libvss (version 9223372036854775807); this one reads up to 1: "
    "upgrade libvss" },
  { "version", "0", "version: 0 is not a valid version (versions start at 1)" },
  { "version", "-1", "version: -1 is not a valid version (versions start at 1)" },
  { "version", "\"1\"", "version: expected an integer, got a string" },
  { "version", "1.0", "version: expected an integer, got a number" },
  { "version", "18446744073709551615",
    "version: integer out of range (at most 9223372036854775807)" },
  { "version", NULL, "version: required" },
  { "writers[0].components[0].type", "\"undefined\"",
    "writers[0].components[0].type: must be database or file-group" },
  { "writers[0].components[0].differenced_files[0].last_modify_time_usec", "1.5",
    "writers[0].components[0].differenced_files[0].last_modify_time_usec: expected an integer, "
    "got a number" },
  { "writers[0].components[0].restore_target", "\"elsewhere\"",
    "writers[0].components[0].restore_target: unknown value \"elsewhere\" (one of: original, "
    "alternate, directed, original-location, undefined)" },
  { "writers[0].components[1].name", "\"main\"", NULL /* duplicate only with logical path */ },
  { "writers[0].components[1].logical_path", "\"ldap\"", NULL },
  { "writers[0].components", "[{}]", "writers[0].components[0].type: required" },
  { "writers", "[1]", "writers[0]: expected an object, got an integer" },
  { "snapshots", "[[]]", "snapshots[0]: expected an object, got an array" },
  { "writers[0].components[0].partial_files", "[\"x\"]",
    "writers[0].components[0].partial_files[0]: expected an object, got a string" },
  { "writers[0].components[0].backup_stamp", "null",
    "writers[0].components[0].backup_stamp: expected a string, got null" },
  { "snapshots[0].snapshot_path", "\"\"",
    "snapshots[0].snapshot_path: must not be empty, got \"\"" },
};

Test (bcd_errors, exact_messages)
{
  doc_test_check_cases (FALSE, "backup.json", cases, G_N_ELEMENTS (cases));
}

Test (bcd_errors, duplicates_refused)
{
  json_object *tree = doc_test_load_tree ("backup.json");
  json_object *writers = NULL, *snapshots = NULL, *components = NULL;
  json_object_object_get_ex (tree, "writers", &writers);
  json_object_object_get_ex (tree, "snapshots", &snapshots);
  json_object_object_get_ex (json_object_array_get_idx (writers, 0), "components", &components);

  /* Same (logical path, name) with another type is still a duplicate. */
  json_object *copy = NULL;
  json_object_deep_copy (json_object_array_get_idx (components, 0), &copy, NULL);
  json_object_object_add (copy, "type", json_object_new_string ("file-group"));
  json_object_array_add (components, copy);
  const char *text = json_object_to_json_string (tree);
  g_autofree char *m1 = load_message (text, strlen (text));
  cr_assert_str_eq (m1, "writers[0].components[2]: duplicate component (same logical path and "
                        "name as writers[0].components[0])");
  json_object_array_del_idx (components, 2, 1);

  copy = NULL;
  json_object_deep_copy (json_object_array_get_idx (snapshots, 0), &copy, NULL);
  json_object_array_add (snapshots, copy);
  text = json_object_to_json_string (tree);
  g_autofree char *m2 = load_message (text, strlen (text));
  cr_assert_str_eq (m2, "snapshots[1]: duplicate snapshot_id (same as snapshots[0])");
  json_object_array_del_idx (snapshots, 1, 1);

  /* The same writer twice; ids compare without case. */
  copy = NULL;
  json_object_deep_copy (json_object_array_get_idx (writers, 0), &copy, NULL);
  json_object_object_add (copy, "writer_id",
                          json_object_new_string ("6F1C2D3E-0000-4000-8000-000000000001"));
  json_object_array_add (writers, copy);
  text = json_object_to_json_string (tree);
  g_autofree char *m3 = load_message (text, strlen (text));
  cr_assert_str_eq (m3, "writers[1]: duplicate writer (same writer_id and instance_id) (same as "
                        "writers[0])");
  /* Another instance of the same writer class is fine. */
  json_object_object_add (copy, "instance_id",
                          json_object_new_string ("0b7f4c6a-1111-4aaa-9bbb-0000000000ff"));
  text = json_object_to_json_string (tree);
  g_autoptr(GError) none = doc_test_load_error (FALSE, text, strlen (text));
  cr_assert_null (none);
  json_object_put (tree);
}

Test (bcd_errors, component_array_helper_reports_its_path)
{
  json_object *array = json_tokener_parse ("[{\"type\":\"database\",\"name\":\"a\","
                                           "\"backup_succeeded\":1}]");
  g_autoptr(GError) error = NULL;
  GPtrArray *components = vss_components_from_json_array (array, "request.components", &error);

  cr_assert_null (components);
  cr_assert_str_eq (error->message,
                    "request.components[0].backup_succeeded: expected a boolean, got an integer");
  g_clear_error (&error);
  cr_assert_null (vss_components_from_json_array (json_object_array_get_idx (array, 0),
                                                  "request.components", &error));
  cr_assert_str_eq (error->message, "request.components: expected an array, got an object");
  json_object_put (array);
}

/* ---- hostile input ---- */

Test (bcd_hostile, empty_text)
{
  const char *texts[] = { "", " ", "\n\t  \r\n" };
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    assert_load_fails (texts[i], "empty document: expected a JSON object");
  g_autofree char *msg = load_message (NULL, 0);
  cr_assert_str_eq (msg, "empty document: expected a JSON object");
}

Test (bcd_hostile, non_object_top_level)
{
  assert_load_fails ("[]", "top level: expected an object, got an array");
  assert_load_fails ("[{\"version\":1}]", "top level: expected an object, got an array");
  assert_load_fails ("\"backup\"", "top level: expected an object, got a string");
  assert_load_fails ("42 ", "top level: expected an object, got an integer");
  assert_load_fails ("1.5 ", "top level: expected an object, got a number");
  assert_load_fails ("true", "top level: expected an object, got a boolean");
  assert_load_fails ("null", "top level: expected an object, got null");
  assert_load_fails ("42", "top level: expected an object, got an integer");
}

Test (bcd_hostile, syntax_errors_report_offset)
{
  const char *texts[] = {
    "{\"version\": 1,}", "{\"version\": 1} {}", "{\"version\": 1 /* c */}",
    "{\"version\": 01}", "{\"version\" 1}", "{\"a\": \"\\x\"}", "{\"version\": 1} x", "}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_autofree char *msg = load_message (texts[i], strlen (texts[i]));
    cr_assert (g_str_has_prefix (msg, "invalid JSON at offset "), "%s: %s", texts[i], msg);
  }
  assert_load_fails ("{\"version\": 1} x", "invalid JSON at offset 15: unexpected text after the "
                                          "document");
}

Test (bcd_hostile, truncated_at_every_offset)
{
  gsize length = 0;
  g_autofree char *text = doc_test_read_data ("restore.json", &length);
  guint failures = 0;

  /* The text ends "}\n": every shorter prefix than the final "}" is cut. */
  for (gsize n = 0; n + 1 < length; n++) {
    g_autoptr(GError) error = doc_test_load_error (FALSE, text, n);
    cr_assert_not_null (error, "prefix of %zu bytes loaded", n);
    failures++;
  }
  cr_assert_eq (failures, length - 1);
  g_autofree char *msg = load_message (text, length - 10);
  cr_assert (g_str_has_suffix (msg, "the text ends too early (truncated document?)"), "%s", msg);
}

Test (bcd_hostile, nul_byte_in_the_text)
{
  const char text[] = "{\"version\": 1\0, \"kind\": \"backup\"}";
  g_autofree char *msg = load_message (text, sizeof text - 1);
  cr_assert_str_eq (msg, "invalid JSON at offset 13: NUL byte in the text");
}

Test (bcd_hostile, deep_nesting)
{
  const gsize depth = 100000;
  GString *arrays = g_string_new (NULL);
  GString *objects = g_string_new ("{\"version\": 1, \"writers\": ");

  for (gsize i = 0; i < depth; i++)
    g_string_append_c (arrays, '[');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (arrays, ']');
  for (gsize i = 0; i < depth; i++)
    g_string_append (objects, "{\"a\":");
  g_autofree char *m1 = load_message (arrays->str, arrays->len);
  g_autofree char *m2 = load_message (objects->str, objects->len);
  cr_assert (g_str_has_prefix (m1, "invalid JSON at offset "), "%s", m1);
  cr_assert_not_null (strstr (m1, "nesting too deep"), "%s", m1);
  cr_assert_not_null (strstr (m2, "nesting too deep"), "%s", m2);
  g_string_free (arrays, TRUE);
  g_string_free (objects, TRUE);
}

Test (bcd_hostile, ten_megabyte_string_in_an_enum_is_quoted_short)
{
  gsize big = 10 * 1024 * 1024;
  GString *text = g_string_new ("{\"version\": 1, \"kind\": \"backup\", \"backup_type\": \"");
  for (gsize i = 0; i < big; i++)
    g_string_append_c (text, 'f');
  g_string_append (text, "\"}");
  g_autofree char *msg = load_message (text->str, text->len);

  cr_assert_lt (strlen (msg), 400, "message of %zu bytes", strlen (msg));
  cr_assert (g_str_has_prefix (msg, "backup_type: unknown value \"ffff"), "%s", msg);
  cr_assert_not_null (strstr (msg, "(10485760 bytes)"), "%s", msg);
  g_string_free (text, TRUE);
}

Test (bcd_hostile, over_the_size_limit_refused_before_parsing)
{
  gsize size = VSS_DOCUMENT_MAX_BYTES + 1;
  char *text = g_malloc (size);
  memset (text, '[', size); /* would nest far too deep if it were parsed */
  g_autofree char *msg = load_message (text, size);

  cr_assert_str_eq (msg, "document is 67108865 bytes; the limit is 67108864 bytes");
  g_free (text);
}

Test (bcd_hostile, huge_array_of_junk)
{
  GString *text = g_string_new ("{\"version\": 1, \"kind\": \"backup\", \"backup_type\": \"full\","
                                "\"select_components\": true, \"bootable_state\": false,"
                                "\"partial_file_support\": false, \"context\": \"backup\","
                                "\"snapshots\": [");
  for (guint i = 0; i < 1000000; i++)
    g_string_append (text, i ? ",7" : "7");
  g_string_append (text, "]}");
  g_autofree char *msg = load_message (text->str, text->len);
  cr_assert_str_eq (msg, "snapshots[0]: expected an object, got an integer");
  g_string_free (text, TRUE);
}

Test (bcd_hostile, wrong_type_for_every_top_level_field_of_a_minimal_text)
{
  /* Each field, and the value of that type among values[] (NULL: none). */
  static const struct {
    const char *name;
    const char *right;
  } fields[] = {
    { "kind", NULL }, { "backup_type", NULL }, { "select_components", "false" },
    { "bootable_state", "false" }, { "partial_file_support", "false" }, { "context", NULL },
    { "snapshot_set_id", NULL }, { "snapshots", "[]" }, { "writers", "[]" },
  };
  const char *values[] = { "{}", "[]", "3", "2.5", "false", "null", "\"s\"" };
  const char *header = "{\"version\": 1, \"kind\": \"backup\", \"backup_type\": \"full\", "
                       "\"select_components\": true, \"bootable_state\": false, "
                       "\"partial_file_support\": false, \"context\": \"backup\"}";

  for (gsize f = 0; f < G_N_ELEMENTS (fields); f++)
    for (gsize v = 0; v < G_N_ELEMENTS (values); v++) {
      const char *field = fields[f].name;
      g_autofree char *prefix = g_strconcat (field, ": ", NULL);

      /* Alone: this field is wrong, or (it is not the first one read) the
       * first required field, kind, is missing. */
      g_autofree char *text = g_strdup_printf ("{\"version\": 1, \"%s\": %s}", field, values[v]);
      g_autoptr(GError) error = doc_test_load_error (FALSE, text, strlen (text));
      cr_assert_not_null (error, "%s loaded", text);
      if (g_str_equal (field, "kind"))
        cr_assert (g_str_has_prefix (error->message, prefix), "%s: %s", text, error->message);
      else
        cr_assert_str_eq (error->message, "kind: required", "%s", text);

      /* In an otherwise valid document: refused naming this field, unless
       * the value has the field's type. */
      json_object *doc = json_tokener_parse (header);
      json_object_object_add (doc, field, json_tokener_parse (values[v]));
      const char *full = json_object_to_json_string (doc);
      g_autoptr(GError) full_error = doc_test_load_error (FALSE, full, strlen (full));
      if (g_strcmp0 (fields[f].right, values[v]) == 0)
        cr_assert_null (full_error, "%s: %s", full, full_error->message);
      else {
        cr_assert_not_null (full_error, "%s loaded", full);
        cr_assert (g_str_has_prefix (full_error->message, prefix), "%s: %s", full,
                   full_error->message);
      }
      json_object_put (doc);
    }
}
