/* test-wm-json.c — the writer metadata's JSON form: lossless round trip,
 * the canonical fixture, loaded metadata is sealed, and every validation
 * error with its path. */
#include <criterion/criterion.h>
#include <string.h>

#include "doc-test.h"

static VssWriterMetadata *
load_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  VssWriterMetadata *wm = vss_writer_metadata_from_json (text, &error);
  cr_assert_not_null (wm, "load failed: %s", error ? error->message : "?");
  return wm;
}

static json_object *
full_tree (void)
{
  g_autoptr(VssWriterMetadata) wm = doc_test_full_metadata ();
  return vss_writer_metadata_to_json_object (wm);
}

Test (wm_json, full_metadata_round_trip_is_lossless_and_byte_identical)
{
  g_autoptr(VssWriterMetadata) wm = doc_test_full_metadata ();
  g_autofree char *first = vss_writer_metadata_to_json (wm);
  g_autoptr(VssWriterMetadata) loaded = load_ok (first);
  g_autofree char *second = vss_writer_metadata_to_json (loaded);

  doc_test_assert_metadata_equal (wm, loaded);
  cr_assert_str_eq (first, second);
}

Test (wm_json, fixture_is_canonical_and_reads_back)
{
  gsize length = 0;
  g_autofree char *text = doc_test_read_data ("writer-metadata.json", &length);
  g_autoptr(VssWriterMetadata) wm = load_ok (text);
  g_autofree char *saved = vss_writer_metadata_to_json (wm);
  const char *service = NULL;

  cr_assert_str_eq (saved, text);
  cr_assert_str_eq (vss_writer_metadata_get_writer_name (wm), "directory");
  cr_assert_eq (vss_writer_metadata_get_restore_method (wm, &service, NULL, NULL, NULL),
                VSS_RME_STOP_RESTORE_START);
  cr_assert_str_eq (service, "slapd.service");
  cr_assert_eq (vss_writer_metadata_get_backup_schema (wm),
                VSS_BS_DIFFERENTIAL | VSS_BS_LOG | VSS_BS_LAST_MODIFY);
  const VssWmComponent *db = vss_writer_metadata_find_component (wm, "ldap", "main");
  cr_assert_not_null (db);
  cr_assert_eq (vss_wm_component_get_database_file_count (db), 1);
  cr_assert_eq (vss_wm_component_get_dependency_count (db), 1);
}

Test (wm_json, loaded_metadata_is_sealed)
{
  g_autoptr(VssWriterMetadata) wm = doc_test_full_metadata ();
  g_autofree char *text = vss_writer_metadata_to_json (wm);
  g_autoptr(VssWriterMetadata) loaded = load_ok (text);
  g_autoptr(GError) error = NULL;

  cr_assert_not (vss_writer_metadata_add_exclude_files (loaded, "/x", "*", FALSE, &error));
  cr_assert_eq (error->code, VSS_ERROR_BAD_STATE);
}

Test (wm_json, minimal_input_defaults)
{
  const char *text = "{\"version\":1,\"writer_id\":\"" DOC_TEST_WRITER_A "\",\"instance_id\":\""
                     DOC_TEST_INSTANCE_A "\",\"writer_name\":\"w\",\"usage_type\":\"undefined\","
                     "\"restore_method\":{\"method\":\"undefined\",\"writer_restore\":\"never\","
                     "\"reboot_required\":false}}";
  g_autoptr(VssWriterMetadata) wm = load_ok (text);

  cr_assert_eq (vss_writer_metadata_get_backup_schema (wm), 0);
  cr_assert_eq (vss_writer_metadata_get_component_count (wm), 0);
  cr_assert_eq (vss_writer_metadata_get_exclude_file_count (wm), 0);
  g_autofree char *saved = vss_writer_metadata_to_json (wm);
  cr_assert_not_null (strstr (saved, "\"backup_schema\": []"), "%s", saved);
  cr_assert_not_null (strstr (saved, "\"components\": []"));
}

Test (wm_json, where_prefixes_messages)
{
  json_object *tree = full_tree ();
  g_autoptr(GError) error = NULL;

  doc_test_set (tree, "components[1].name", NULL, TRUE);
  cr_assert_null (vss_writer_metadata_from_json_object (tree, "writers[2].metadata", &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT);
  cr_assert_str_eq (error->message, "writers[2].metadata.components[1].name: required");
  g_clear_error (&error);
  json_object *array = json_object_new_array ();
  cr_assert_null (vss_writer_metadata_from_json_object (array, "metadata", &error));
  cr_assert_str_eq (error->message, "metadata: expected an object, got an array");
  json_object_put (array);
  json_object_put (tree);
}

Test (wm_errors, wrong_type_or_null_for_every_member)
{
  doc_test_check_full (TRUE, doc_test_check_wrong_types, 100);
}

Test (wm_errors, every_required_member_and_only_those)
{
  doc_test_check_full (TRUE, doc_test_check_removals, 40);
}

Test (wm_errors, unknown_field_in_every_object)
{
  doc_test_check_full (TRUE, doc_test_check_unknown_fields, 10);
}

Test (wm_errors, bad_ids_paths_names_filespecs_enums)
{
  doc_test_check_full (TRUE, doc_test_check_bad_values, 40);
}

Test (wm_errors, nul_byte_in_every_string)
{
  doc_test_check_full (TRUE, doc_test_check_nul_strings, 30);
}

static const DocTestCase cases[] = {
  { "version", "2",
    "version: written by a newer libvss (version 2); this one reads up to 1: upgrade libvss" },
  { "components[0].type", "\"undefined\"", "components[0].type: must be database or file-group" },
  { "components[1].database_files",
    "[{\"path\": \"/a\", \"filespec\": \"b\", \"recursive\": false}]",
    "components[1].database_files: not allowed on a file-group component (use files)" },
  { "components[1].log_files", "[{\"path\": \"/a\", \"filespec\": \"b\", \"recursive\": false}]",
    "components[1].log_files: not allowed on a file-group component (use files)" },
  { "components[0].files", "[{\"path\": \"/a\", \"filespec\": \"b\", \"recursive\": false}]",
    "components[0].files: not allowed on a database component (use database_files and "
    "log_files)" },
  { "components[0].database_files[0].alternate_location", "\"/x\"",
    "components[0].database_files[0]: unknown field \"alternate_location\" (format version 1 has "
    "no such field)" },
  { "exclude_files[0].destination", "\"/x\"",
    "exclude_files[0]: unknown field \"destination\" (format version 1 has no such field)" },
  { "alternate_location_mappings[0].destination", NULL,
    "alternate_location_mappings[0].destination: required" },
  { "backup_schema", "[\"log\", \"fulll\"]",
    "backup_schema[1]: unknown value \"fulll\" (one of: differential, incremental, log, copy, "
    "timestamped, last-modify)" },
  { "backup_schema", "7", "backup_schema: expected an array, got an integer" },
  { "restore_method.service", "\"\"",
    "restore_method.service: required by method stop-restore-start" },
  { "restore_method.method", "\"custom\"", NULL },
  { "components[1].name", "\"main\"", NULL },
  { "components[1].logical_path", "\"ldap\"", NULL },
  { "components[0].dependencies[0].writer_id", "\"x\"",
    "components[0].dependencies[0].writer_id: must be a UUID (8-4-4-4-12 hex digits), got \"x\"" },
};

Test (wm_errors, exact_messages)
{
  doc_test_check_cases (TRUE, "writer-metadata.json", cases, G_N_ELEMENTS (cases));
}

Test (wm_errors, duplicate_component_refused)
{
  json_object *tree = doc_test_load_tree ("writer-metadata.json");
  doc_test_set (tree, "components[1].name", json_object_new_string ("main"), FALSE);
  doc_test_set (tree, "components[1].logical_path", json_object_new_string ("ldap"), FALSE);
  const char *text = json_object_to_json_string (tree);
  g_autoptr(GError) error = doc_test_load_error (TRUE, text, strlen (text));

  cr_assert_not_null (error);
  cr_assert_str_eq (error->message, "components[1]: duplicate component (same logical path and "
                                    "name as components[0])");
  json_object_put (tree);
}

Test (wm_errors, hostile_text)
{
  const char *texts[] = { "", "[]", "{", "{\"version\": 1", "nul", "{\"version\": 1}}" };
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_autoptr(GError) error = doc_test_load_error (TRUE, texts[i], strlen (texts[i]));
    cr_assert_not_null (error, "%s loaded", texts[i]);
  }
  GString *deep = g_string_new ("{\"version\": 1, \"components\": ");
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  g_autoptr(GError) error = doc_test_load_error (TRUE, deep->str, deep->len);
  cr_assert_not_null (strstr (error->message, "nesting too deep"), "%s", error->message);
  g_string_free (deep, TRUE);
}

/* The component marks a requester acts on (image, after_thaw) survive the
 * trip through JSON, and a component without them writes neither. */
Test (wm_json, component_marks_round_trip)
{
  g_autoptr(VssWriterMetadata) wm = doc_test_full_metadata ();
  g_autoptr(GError) error = NULL;
  const VssWmComponent *first = vss_writer_metadata_get_component (wm, 0);
  const char *lp = vss_wm_component_get_logical_path (first);
  const char *name = vss_wm_component_get_name (first);
  g_autofree char *plain = vss_writer_metadata_to_json (wm);
  cr_assert_null (strstr (plain, "after_thaw"), "an unmarked component wrote after_thaw");
  cr_assert (vss_writer_metadata_set_component_after_thaw (wm, lp, name, &error), "%s",
             error ? error->message : "");
  cr_assert (vss_writer_metadata_set_component_image (wm, lp, name, &error));
  g_autofree char *text = vss_writer_metadata_to_json (wm);
  g_autoptr(VssWriterMetadata) loaded = load_ok (text);
  const VssWmComponent *c = vss_writer_metadata_get_component (loaded, 0);
  cr_assert (vss_wm_component_is_after_thaw (c));
  cr_assert (vss_wm_component_is_image (c));
  cr_assert_not (vss_wm_component_is_after_thaw (vss_writer_metadata_get_component (loaded, 1)));
  cr_assert_not (vss_writer_metadata_set_component_after_thaw (wm, lp, "no-such", NULL));
}
