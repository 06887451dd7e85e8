/* test-bcd-json.c — the BCD's JSON form: lossless round trips, the
 * canonical fixtures, what is and is not written, lenient-but-exact input
 * forms, and big valid documents. */
#include <criterion/criterion.h>

#include "doc-test.h"

static VssDocument *
load_ok (const char *text, gsize length)
{
  g_autoptr(GError) error = NULL;
  VssDocument *doc = vss_document_from_json (text, length, &error);
  cr_assert_not_null (doc, "load failed: %s", error ? error->message : "?");
  cr_assert_null (error);
  return doc;
}

Test (bcd_json, full_document_round_trip_is_lossless_and_byte_identical)
{
  g_autoptr(VssDocument) doc = doc_test_full_document ();
  g_autofree char *first = vss_document_to_json (doc);
  g_autoptr(VssDocument) loaded = load_ok (first, strlen (first));
  g_autofree char *second = vss_document_to_json (loaded);

  doc_test_assert_documents_equal (doc, loaded);
  cr_assert_str_eq (first, second);
  /* And once more, from the loaded copy. */
  g_autoptr(VssDocument) again = load_ok (second, strlen (second));
  doc_test_assert_documents_equal (doc, again);
}

Test (bcd_json, every_field_of_the_full_document_is_written)
{
  g_autoptr(VssDocument) doc = doc_test_full_document ();
  g_autofree char *text = vss_document_to_json (doc);
  const char *keys[] = {
    "\"version\": 1", "\"kind\": \"restore\"", "\"backup_type\": \"differential\"",
    "\"select_components\": true", "\"bootable_state\": true", "\"partial_file_support\": true",
    "\"context\": \"app-rollback\"", "\"snapshot_set_id\": \"" DOC_TEST_SET_ID "\"",
    "\"snapshot_path\": \"/run/vss/snapshots/1\"", "\"provider\": \"copy\"",
    "\"backup_succeeded\": true", "\"backup_options\":", "\"backup_stamp\": \"stamp-1\"",
    "\"previous_backup_stamp\": \"previous-2\"", "\"backup_metadata\":",
    "\"ranges\": \"0:4096,8192:4096\"", "\"metadata\": \"partial-meta\"",
    "\"last_modify_time_usec\": 1700000000123456", "\"last_modify_time_usec\": -5",
    "\"selected_for_restore\": true", "\"additional_restores\": true", "\"restore_options\": \"restore-options\"",
    "\"restore_target\": \"directed\"", "\"restore_metadata\":", "\"source_ranges\": \"0:10\"",
    "\"destination_ranges\": \"10:10\"", "\"new_path\": \"/restore/new\"",
    "\"destination\": \"/restore/alt\"", "\"file_restore_status\": \"failed\"",
    "\"pre_restore_failure_msg\": \"pre failed\"", "\"post_restore_failure_msg\":",
    "\"logical_path\": \"x\\\\y\"", "\"name\": \"café\"",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    cr_assert_not_null (strstr (text, keys[i]), "missing %s", keys[i]);
  cr_assert (g_str_has_suffix (text, "}\n"));
  cr_assert_null (strstr (text, "writable"), "writable is run-time state");
}

Test (bcd_json, loaded_components_are_read_only)
{
  g_autoptr(VssDocument) doc = doc_test_full_document ();
  vss_document_set_writable (doc, TRUE);
  g_autofree char *text = vss_document_to_json (doc);
  g_autoptr(VssDocument) loaded = load_ok (text, strlen (text));
  VssBcdWriter *w = g_ptr_array_index (loaded->writers, 0);
  VssComponent *c = g_ptr_array_index (w->components, 0);
  g_autoptr(GError) error = NULL;

  cr_assert_not (c->writable);
  cr_assert_not (vss_component_set_backup_stamp (c, "x", &error));
  cr_assert_eq (error->code, VSS_ERROR_BAD_STATE);
}

Test (bcd_json, fixtures_are_canonical)
{
  const char *names[] = { "backup.json", "restore.json" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    gsize length = 0;
    g_autofree char *text = doc_test_read_data (names[i], &length);
    g_autoptr(VssDocument) doc = load_ok (text, length);
    g_autofree char *saved = vss_document_to_json (doc);
    cr_assert_str_eq (saved, text, "%s is not what libvss writes", names[i]);
  }
}

Test (bcd_json, fixture_values)
{
  gsize length = 0;
  g_autofree char *text = doc_test_read_data ("restore.json", &length);
  g_autoptr(VssDocument) doc = load_ok (text, length);

  cr_assert (doc->restore);
  cr_assert_eq (doc->backup_type, VSS_BT_FULL);
  cr_assert_eq (doc->writers->len, 1);
  VssBcdWriter *w = vss_document_find_writer (doc, DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_A);
  cr_assert_not_null (w);
  VssComponent *c = vss_bcd_writer_find_component (w, VSS_CT_DATABASE, "ldap", "main");
  cr_assert_not_null (c);
  cr_assert (vss_component_is_selected_for_restore (c));
  cr_assert (vss_component_get_additional_restores (c));
  cr_assert_str_eq (vss_component_get_restore_options (c), "no-replay");
  cr_assert_eq (vss_component_get_restore_target (c), VSS_RT_DIRECTED);
  cr_assert_eq (vss_component_get_file_restore_status (c), VSS_RS_FAILED);
  cr_assert_eq (vss_component_get_new_target_count (c), 1);
  cr_assert_eq (vss_component_get_alternate_location_mapping_count (c), 1);
  cr_assert_eq (c->directed_targets->len, 1);
  cr_assert_str_eq (vss_component_get_pre_restore_failure_msg (c),
                    "slapd is still running: stop it first");
}

Test (bcd_json, optional_strings_omitted_arrays_always_written)
{
  g_autoptr(VssDocument) doc = vss_document_new ();
  VssBcdWriter *w = vss_document_ensure_writer (doc, DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_A, "w");
  cr_assert_not_null (vss_bcd_writer_add_component (w, VSS_CT_FILEGROUP, NULL, "c", NULL));
  vss_document_add_snapshot (doc, "11111111-2222-4333-8444-555555555555", "/", "copy");
  g_autofree char *text = vss_document_to_json (doc);
  const char *absent[] = { "snapshot_set_id", "snapshot_path", "logical_path", "backup_options",
                           "backup_stamp", "previous_backup_stamp", "backup_metadata",
                           "restore_options", "restore_metadata", "pre_restore_failure_msg",
                           "post_restore_failure_msg" };
  const char *present[] = { "\"partial_files\": []", "\"differenced_files\": []",
                            "\"directed_targets\": []", "\"new_targets\": []",
                            "\"alternate_location_mappings\": []",
                            "\"restore_target\": \"undefined\"",
                            "\"file_restore_status\": \"undefined\"",
                            "\"backup_type\": \"full\"", "\"kind\": \"backup\"",
                            "\"context\": \"backup\"", "\"select_components\": false" };

  for (gsize i = 0; i < G_N_ELEMENTS (absent); i++)
    cr_assert_null (strstr (text, absent[i]), "%s written though NULL:\n%s", absent[i], text);
  for (gsize i = 0; i < G_N_ELEMENTS (present); i++)
    cr_assert_not_null (strstr (text, present[i]), "%s missing:\n%s", present[i], text);

  g_autoptr(VssDocument) empty = vss_document_new ();
  g_autofree char *empty_text = vss_document_to_json (empty);
  cr_assert_not_null (strstr (empty_text, "\"snapshots\": []"));
  cr_assert_not_null (strstr (empty_text, "\"writers\": []"));
}

Test (bcd_json, arrays_may_be_omitted_on_input)
{
  const char *text =
      "{\"version\":1,\"kind\":\"backup\",\"backup_type\":\"log\",\"select_components\":false,"
      "\"bootable_state\":false,\"partial_file_support\":false,\"context\":\"file-share-backup\","
      "\"writers\":[{\"writer_id\":\"" DOC_TEST_WRITER_A "\",\"instance_id\":\""
      DOC_TEST_INSTANCE_A "\",\"writer_name\":\"w\"},"
      "{\"writer_id\":\"" DOC_TEST_WRITER_B "\",\"instance_id\":\"" DOC_TEST_INSTANCE_B
      "\",\"writer_name\":\"v\",\"components\":[{\"type\":\"database\",\"name\":\"d\","
      "\"logical_path\":\"\",\"backup_succeeded\":true,\"selected_for_restore\":false,"
      "\"restore_target\":\"original\",\"file_restore_status\":\"all\"}]}]}  \n\t ";
  g_autoptr(VssDocument) doc = load_ok (text, (gsize) -1);

  cr_assert_eq (doc->backup_type, VSS_BT_LOG);
  cr_assert_eq (doc->context, VSS_CTX_FILE_SHARE_BACKUP);
  cr_assert_eq (doc->snapshots->len, 0);
  cr_assert_eq (doc->writers->len, 2);
  VssBcdWriter *w = g_ptr_array_index (doc->writers, 1);
  VssComponent *c = g_ptr_array_index (w->components, 0);
  cr_assert_null (c->logical_path, "\"\" logical path loads as NULL");
  cr_assert (c->backup_succeeded);
  cr_assert_eq (c->restore_target, VSS_RT_ORIGINAL);
  cr_assert_eq (c->file_restore_status, VSS_RS_ALL);
  cr_assert_eq (c->partial_files->len, 0);
  cr_assert_eq (((VssBcdWriter *) g_ptr_array_index (doc->writers, 0))->components->len, 0);

  /* Saving writes the arrays; that text round-trips byte for byte. */
  g_autofree char *saved = vss_document_to_json (doc);
  g_autoptr(VssDocument) again = load_ok (saved, strlen (saved));
  g_autofree char *saved2 = vss_document_to_json (again);
  cr_assert_str_eq (saved, saved2);
}

Test (bcd_json, length_bounds_the_text)
{
  gsize length = 0;
  g_autofree char *text = doc_test_read_data ("backup.json", &length);
  g_autofree char *padded = g_strconcat (text, "garbage", NULL);
  g_autoptr(VssDocument) doc = load_ok (padded, length);

  cr_assert_eq (doc->backup_type, VSS_BT_INCREMENTAL);
}

Test (bcd_json, uuids_in_upper_case_are_accepted)
{
  gsize length = 0;
  g_autofree char *text = doc_test_read_data ("backup.json", &length);
  /* Only the ids: upper-casing everything would break names and enums. */
  g_autoptr(GString) s = g_string_new (text);
  g_string_replace (s, "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
                    "3F2504E0-4F89-41D3-9A0C-0305E82C3301", 0);
  g_autoptr(VssDocument) doc = load_ok (s->str, s->len);
  cr_assert_str_eq (doc->snapshot_set_id, "3F2504E0-4F89-41D3-9A0C-0305E82C3301");
}

Test (bcd_json, many_snapshots_and_components_load)
{
  g_autoptr(VssDocument) doc = vss_document_new ();
  VssBcdWriter *w = vss_document_ensure_writer (doc, DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_A, "w");
  const guint n = 20000;

  doc->snapshot_set_id = g_strdup (DOC_TEST_SET_ID);
  for (guint i = 0; i < n; i++) {
    g_autofree char *id = g_strdup_printf ("11111111-2222-4333-8444-%012x", i);
    g_autofree char *name = g_strdup_printf ("c%u", i);
    vss_document_add_snapshot (doc, id, "/", "copy");
    /* Appended directly: add_component's linear duplicate check is not under test. */
    g_ptr_array_add (w->components, vss_component_new (VSS_CT_FILEGROUP, NULL, name));
  }
  g_autofree char *text = vss_document_to_json (doc);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(VssDocument) loaded = load_ok (text, strlen (text));
  cr_assert_eq (loaded->snapshots->len, n);
  cr_assert_eq (((VssBcdWriter *) g_ptr_array_index (loaded->writers, 0))->components->len, n);
  /* Duplicate detection is hashed: far below the seconds a quadratic scan takes. */
  cr_assert_lt (g_get_monotonic_time () - start, 20 * G_USEC_PER_SEC);
}

Test (bcd_json, ten_megabyte_string_in_a_valid_place_round_trips)
{
  g_autoptr(VssDocument) doc = doc_test_full_document ();
  VssBcdWriter *w = g_ptr_array_index (doc->writers, 0);
  VssComponent *c = g_ptr_array_index (w->components, 0);
  gsize big = 10 * 1024 * 1024;

  g_free (c->backup_metadata);
  c->backup_metadata = g_malloc (big + 1);
  memset (c->backup_metadata, 'm', big);
  c->backup_metadata[big] = '\0';
  g_autofree char *text = vss_document_to_json (doc);
  g_autoptr(VssDocument) loaded = load_ok (text, strlen (text));
  VssComponent *lc = g_ptr_array_index (((VssBcdWriter *) g_ptr_array_index (loaded->writers, 0))
                                            ->components, 0);
  cr_assert_eq (strlen (lc->backup_metadata), big);
  g_autofree char *text2 = vss_document_to_json (loaded);
  cr_assert_str_eq (text, text2);
}

Test (bcd_json, components_array_helpers_round_trip)
{
  g_autoptr(VssDocument) doc = doc_test_full_document ();
  VssBcdWriter *w = g_ptr_array_index (doc->writers, 0);
  json_object *array = vss_components_to_json_array (w->components);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) back = vss_components_from_json_array (array, "request.components", &error);

  cr_assert_not_null (back, "%s", error ? error->message : "");
  cr_assert_eq (back->len, w->components->len);
  for (guint i = 0; i < back->len; i++) {
    json_object *a = vss_component_to_json_object (g_ptr_array_index (w->components, i));
    json_object *b = vss_component_to_json_object (g_ptr_array_index (back, i));
    cr_assert_str_eq (json_object_to_json_string (a), json_object_to_json_string (b));
    json_object_put (a);
    json_object_put (b);
  }
  json_object_put (array);
}
