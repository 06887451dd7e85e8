/* test-writer-metadata.c — the writer-side add/set rules, seal, and the
 * requester-side getters of VssWriterMetadata. */
#include <criterion/criterion.h>

#include "doc-test.h"

static VssWriterMetadata *
new_wm (void)
{
  return vss_writer_metadata_new (DOC_TEST_WRITER_A, DOC_TEST_INSTANCE_A, "test",
                                  VSS_UT_USERDATA);
}

/* A metadata with a database component "db" (logical path "lp") and a
 * file-group component "fg" (no logical path). */
static VssWriterMetadata *
new_wm_with_components (void)
{
  VssWriterMetadata *wm = new_wm ();
  cr_assert (vss_writer_metadata_add_component (wm, VSS_CT_DATABASE, "lp", "db", NULL, TRUE,
                                                TRUE, NULL));
  cr_assert (vss_writer_metadata_add_component (wm, VSS_CT_FILEGROUP, NULL, "fg", NULL, TRUE,
                                                TRUE, NULL));
  return wm;
}

Test (wm_add, component_name_rules)
{
  g_autoptr(VssWriterMetadata) wm = new_wm ();
  const char *bad[] = { "", "a/b", "a\\b", "/", "\\" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr(GError) error = NULL;
    cr_assert_not (vss_writer_metadata_add_component (wm, VSS_CT_FILEGROUP, NULL, bad[i], NULL,
                                                      TRUE, TRUE, &error));
    assert_error (error, VSS_ERROR_INVALID_ARG, "component name");
  }
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_writer_metadata_add_component (wm, VSS_CT_FILEGROUP, NULL, NULL, NULL, TRUE,
                                                    TRUE, &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "must not be empty");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_component (wm, VSS_CT_FILEGROUP, NULL, "a/b", NULL,
                                                    TRUE, TRUE, &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "must not contain '/'");
  cr_assert_eq (vss_writer_metadata_get_component_count (wm), 0);
}

Test (wm_add, component_type_must_be_defined)
{
  g_autoptr(VssWriterMetadata) wm = new_wm ();
  g_autoptr(GError) error = NULL;

  cr_assert_not (vss_writer_metadata_add_component (wm, VSS_CT_UNDEFINED, NULL, "x", NULL, TRUE,
                                                    TRUE, &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "VSS_CT_DATABASE or VSS_CT_FILEGROUP");
}

Test (wm_add, duplicate_component_refused)
{
  g_autoptr(VssWriterMetadata) wm = new_wm_with_components ();
  g_autoptr(GError) error = NULL;

  /* Same (logical path, name) even with another type. */
  cr_assert_not (vss_writer_metadata_add_component (wm, VSS_CT_FILEGROUP, "lp", "db", NULL, TRUE,
                                                    TRUE, &error));
  assert_error (error, VSS_ERROR_OBJECT_ALREADY_EXISTS, "\"db\"");
  g_clear_error (&error);
  /* NULL and "" logical paths are the same. */
  cr_assert_not (vss_writer_metadata_add_component (wm, VSS_CT_FILEGROUP, "", "fg", NULL, TRUE,
                                                    TRUE, &error));
  assert_error (error, VSS_ERROR_OBJECT_ALREADY_EXISTS, "already");
  /* Same name under another logical path is fine. */
  cr_assert (vss_writer_metadata_add_component (wm, VSS_CT_FILEGROUP, "other", "db", NULL, TRUE,
                                                TRUE, NULL));
  cr_assert_eq (vss_writer_metadata_get_component_count (wm), 3);
}

Test (wm_add, files_to_unknown_component)
{
  g_autoptr(VssWriterMetadata) wm = new_wm_with_components ();
  g_autoptr(GError) error = NULL;

  cr_assert_not (vss_writer_metadata_add_files_to_file_group (wm, NULL, "nope", "/etc", "*", TRUE,
                                                              NULL, &error));
  assert_error (error, VSS_ERROR_OBJECT_NOT_FOUND, "vss_writer_metadata_add_component");
  g_clear_error (&error);
  /* The right name under the wrong logical path is another component. */
  cr_assert_not (vss_writer_metadata_add_database_files (wm, NULL, "db", "/var", "x", &error));
  assert_error (error, VSS_ERROR_OBJECT_NOT_FOUND, "\"db\"");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_database_log_files (wm, "lp", "nope", "/var", "x",
                                                             &error));
  assert_error (error, VSS_ERROR_OBJECT_NOT_FOUND, "\"nope\"");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_component_dependency (wm, NULL, "nope",
                                                               DOC_TEST_WRITER_B, NULL, "x",
                                                               &error));
  assert_error (error, VSS_ERROR_OBJECT_NOT_FOUND, "\"nope\"");
}

Test (wm_add, files_must_match_component_type)
{
  g_autoptr(VssWriterMetadata) wm = new_wm_with_components ();
  g_autoptr(GError) error = NULL;

  cr_assert_not (vss_writer_metadata_add_database_files (wm, NULL, "fg", "/var", "x", &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "file-group component");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_database_log_files (wm, NULL, "fg", "/var", "x",
                                                             &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "log files belong to database components");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_files_to_file_group (wm, "lp", "db", "/var", "x", FALSE,
                                                              NULL, &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "belong to file-group components");

  const VssWmComponent *db = vss_writer_metadata_find_component (wm, "lp", "db");
  const VssWmComponent *fg = vss_writer_metadata_find_component (wm, NULL, "fg");
  cr_assert_eq (vss_wm_component_get_file_count (db), 0);
  cr_assert_eq (vss_wm_component_get_database_file_count (fg), 0);
  cr_assert_eq (vss_wm_component_get_log_file_count (fg), 0);
}

Test (wm_add, path_and_filespec_rules)
{
  g_autoptr(VssWriterMetadata) wm = new_wm_with_components ();
  struct { const char *path, *filespec, *expect; } cases[] = {
    { NULL, "*", "path" },
    { "", "*", "path \"\": must not be empty" },
    { "relative/dir", "*", "must be an absolute path" },
    { "/etc", NULL, "filespec" },
    { "/etc", "", "filespec \"\": must not be empty" },
    { "/etc", "sub/*.conf", "must not contain '/'" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL, e6 = NULL;
    cr_assert_not (vss_writer_metadata_add_files_to_file_group (wm, NULL, "fg", cases[i].path,
                                                                cases[i].filespec, TRUE, NULL,
                                                                &e1));
    assert_error (e1, VSS_ERROR_INVALID_ARG, cases[i].expect);
    cr_assert_not (vss_writer_metadata_add_database_files (wm, "lp", "db", cases[i].path,
                                                           cases[i].filespec, &e2));
    assert_error (e2, VSS_ERROR_INVALID_ARG, cases[i].expect);
    cr_assert_not (vss_writer_metadata_add_database_log_files (wm, "lp", "db", cases[i].path,
                                                               cases[i].filespec, &e3));
    assert_error (e3, VSS_ERROR_INVALID_ARG, cases[i].expect);
    cr_assert_not (vss_writer_metadata_add_exclude_files (wm, cases[i].path, cases[i].filespec,
                                                          FALSE, &e4));
    assert_error (e4, VSS_ERROR_INVALID_ARG, cases[i].expect);
    cr_assert_not (vss_writer_metadata_add_alternate_location_mapping (
        wm, cases[i].path, cases[i].filespec, FALSE, "/alt", &e5));
    assert_error (e5, VSS_ERROR_INVALID_ARG, cases[i].expect);
    (void) e6;
  }
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_writer_metadata_add_files_to_file_group (wm, NULL, "fg", "/etc", "*", TRUE,
                                                              "relative", &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "alternate path");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_alternate_location_mapping (wm, "/etc", "*", TRUE, NULL,
                                                                     &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "destination");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_alternate_location_mapping (wm, "/etc", "*", TRUE,
                                                                     "alt", &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "destination \"alt\": must be an absolute path");

  cr_assert_eq (vss_writer_metadata_get_exclude_file_count (wm), 0);
  cr_assert_eq (vss_writer_metadata_get_alternate_location_mapping_count (wm), 0);
  cr_assert_eq (vss_wm_component_get_file_count (vss_writer_metadata_find_component (wm, NULL,
                                                                                     "fg")), 0);
}

Test (wm_add, dependency_rules)
{
  g_autoptr(VssWriterMetadata) wm = new_wm_with_components ();
  g_autoptr(GError) error = NULL;

  cr_assert_not (vss_writer_metadata_add_component_dependency (wm, NULL, "fg", "not-a-uuid", NULL,
                                                               "x", &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "writer id \"not-a-uuid\": must be a UUID");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_component_dependency (
      wm, NULL, "fg", "6f1c2d3e-0000-4000-8000-00000000000", NULL, "x", &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "UUID");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_component_dependency (wm, NULL, "fg", NULL, NULL, "x",
                                                               &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "UUID");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_add_component_dependency (wm, NULL, "fg", DOC_TEST_WRITER_B,
                                                               NULL, "a/b", &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "component name");
  cr_assert (vss_writer_metadata_add_component_dependency (wm, NULL, "fg",
                                                           "6F1C2D3E-0000-4000-8000-0000000000AB",
                                                           "", "x", NULL));
  const VssWmComponent *fg = vss_writer_metadata_find_component (wm, NULL, "fg");
  cr_assert_eq (vss_wm_component_get_dependency_count (fg), 1);
  const VssWmDependency *d = vss_wm_component_get_dependency (fg, 0);
  cr_assert_str_eq (vss_wm_dependency_get_writer_id (d), "6F1C2D3E-0000-4000-8000-0000000000AB");
  cr_assert_null (vss_wm_dependency_get_logical_path (d));
  cr_assert_str_eq (vss_wm_dependency_get_name (d), "x");
}

Test (wm_add, backup_schema_and_restore_method_rules)
{
  g_autoptr(VssWriterMetadata) wm = new_wm ();
  g_autoptr(GError) error = NULL;

  cr_assert_not (vss_writer_metadata_set_backup_schema (wm, VSS_BS_LOG | 0x4, &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "unknown bits 0x4");
  cr_assert_eq (vss_writer_metadata_get_backup_schema (wm), VSS_BS_UNDEFINED);
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_set_restore_method (wm, VSS_RME_RESTORE_STOP_START, NULL,
                                                         NULL, VSS_WRE_NEVER, FALSE, &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "service");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_set_restore_method (wm, (VssRestoreMethod) 99, NULL, NULL,
                                                         VSS_WRE_NEVER, FALSE, &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "restore method 99");
  g_clear_error (&error);
  cr_assert_not (vss_writer_metadata_set_restore_method (wm, VSS_RME_CUSTOM, NULL, NULL,
                                                         (VssWriterRestore) 7, FALSE, &error));
  assert_error (error, VSS_ERROR_INVALID_ARG, "writer restore 7");
  cr_assert_eq (vss_writer_metadata_get_restore_method (wm, NULL, NULL, NULL, NULL),
                VSS_RME_UNDEFINED);
}

Test (wm_seal, every_add_refused_after_seal)
{
  g_autoptr(VssWriterMetadata) wm = new_wm_with_components ();
  GError *errors[9] = { NULL };
  gboolean results[9];

  vss_writer_metadata_seal (wm);
  results[0] = vss_writer_metadata_set_restore_method (wm, VSS_RME_CUSTOM, NULL, NULL,
                                                       VSS_WRE_NEVER, FALSE, &errors[0]);
  results[1] = vss_writer_metadata_set_backup_schema (wm, VSS_BS_LOG, &errors[1]);
  results[2] = vss_writer_metadata_add_component (wm, VSS_CT_FILEGROUP, NULL, "new", NULL, TRUE,
                                                  TRUE, &errors[2]);
  results[3] = vss_writer_metadata_add_files_to_file_group (wm, NULL, "fg", "/etc", "*", TRUE,
                                                            NULL, &errors[3]);
  results[4] = vss_writer_metadata_add_database_files (wm, "lp", "db", "/var", "x", &errors[4]);
  results[5] = vss_writer_metadata_add_database_log_files (wm, "lp", "db", "/var", "x",
                                                           &errors[5]);
  results[6] = vss_writer_metadata_add_exclude_files (wm, "/tmp", "*", TRUE, &errors[6]);
  results[7] = vss_writer_metadata_add_component_dependency (wm, NULL, "fg", DOC_TEST_WRITER_B,
                                                             NULL, "x", &errors[7]);
  results[8] = vss_writer_metadata_add_alternate_location_mapping (wm, "/etc", "*", TRUE, "/alt",
                                                                   &errors[8]);
  for (guint i = 0; i < G_N_ELEMENTS (errors); i++) {
    cr_assert_not (results[i], "call %u succeeded after seal", i);
    assert_error (errors[i], VSS_ERROR_BAD_STATE,
                  "writer metadata is read-only once on_identify has returned");
    g_error_free (errors[i]);
  }
  cr_assert_eq (vss_writer_metadata_get_component_count (wm), 2);
  cr_assert_eq (vss_writer_metadata_get_backup_schema (wm), VSS_BS_UNDEFINED);
  cr_assert_eq (vss_writer_metadata_get_exclude_file_count (wm), 0);
}

Test (wm_get, getters_return_what_was_added)
{
  g_autoptr(VssWriterMetadata) wm = doc_test_full_metadata ();
  const char *service = NULL, *procedure = NULL;
  VssWriterRestore wre = VSS_WRE_UNDEFINED;
  gboolean reboot = FALSE;

  cr_assert_str_eq (vss_writer_metadata_get_writer_id (wm), DOC_TEST_WRITER_A);
  cr_assert_str_eq (vss_writer_metadata_get_instance_id (wm), DOC_TEST_INSTANCE_A);
  cr_assert_str_eq (vss_writer_metadata_get_writer_name (wm), "directory");
  cr_assert_eq (vss_writer_metadata_get_usage_type (wm), VSS_UT_SYSTEMSERVICE);
  cr_assert_eq (vss_writer_metadata_get_backup_schema (wm),
                VSS_BS_DIFFERENTIAL | VSS_BS_LOG | VSS_BS_LAST_MODIFY);
  cr_assert_eq (vss_writer_metadata_get_restore_method (wm, &service, &procedure, &wre, &reboot),
                VSS_RME_STOP_RESTORE_START);
  cr_assert_str_eq (service, "slapd");
  cr_assert_not_null (strstr (procedure, "see quote"));
  cr_assert_eq (wre, VSS_WRE_IF_REPLACE_FAILS);
  cr_assert (reboot);

  cr_assert_eq (vss_writer_metadata_get_component_count (wm), 2);
  const VssWmComponent *db = vss_writer_metadata_get_component (wm, 0);
  cr_assert_eq (vss_wm_component_get_type (db), VSS_CT_DATABASE);
  cr_assert_str_eq (vss_wm_component_get_logical_path (db), "ldap");
  cr_assert_str_eq (vss_wm_component_get_name (db), "main");
  cr_assert_not_null (strstr (vss_wm_component_get_caption (db), "Main"));
  cr_assert (vss_wm_component_is_selectable (db));
  cr_assert_not (vss_wm_component_is_selectable_for_restore (db));
  cr_assert_eq (vss_wm_component_get_database_file_count (db), 1);
  cr_assert_str_eq (vss_wm_file_get_path (vss_wm_component_get_database_file (db, 0)),
                    "/var/lib/ldap");
  cr_assert_str_eq (vss_wm_file_get_filespec (vss_wm_component_get_database_file (db, 0)),
                    "data.mdb");
  cr_assert_not (vss_wm_file_get_recursive (vss_wm_component_get_database_file (db, 0)));
  cr_assert_eq (vss_wm_component_get_log_file_count (db), 1);
  cr_assert_str_eq (vss_wm_file_get_filespec (vss_wm_component_get_log_file (db, 0)), "*.log");
  cr_assert_eq (vss_wm_component_get_dependency_count (db), 1);
  cr_assert_str_eq (vss_wm_dependency_get_logical_path (vss_wm_component_get_dependency (db, 0)),
                    "kdc");

  const VssWmComponent *fg = vss_writer_metadata_find_component (wm, "", "config");
  cr_assert_eq (fg, vss_writer_metadata_get_component (wm, 1));
  cr_assert_null (vss_wm_component_get_logical_path (fg));
  cr_assert_null (vss_wm_component_get_caption (fg));
  cr_assert_eq (vss_wm_component_get_file_count (fg), 2);
  const VssWmFile *f = vss_wm_component_get_file (fg, 0);
  cr_assert_str_eq (vss_wm_file_get_path (f), "/etc/ldap");
  cr_assert (vss_wm_file_get_recursive (f));
  cr_assert_str_eq (vss_wm_file_get_alternate_location (f), "/var/backup/ldap-etc");
  cr_assert_null (vss_wm_file_get_alternate_location (vss_wm_component_get_file (fg, 1)));
  cr_assert_null (vss_writer_metadata_find_component (wm, "ldap", "config"));

  cr_assert_eq (vss_writer_metadata_get_exclude_file_count (wm), 1);
  cr_assert_str_eq (vss_wm_file_get_filespec (vss_writer_metadata_get_exclude_file (wm, 0)),
                    "*.tmp");
  cr_assert_eq (vss_writer_metadata_get_alternate_location_mapping_count (wm), 1);
  cr_assert_str_eq (vss_wm_file_get_alternate_location (
                        vss_writer_metadata_get_alternate_location_mapping (wm, 0)),
                    "/srv/ldap-restore");
}

static guint criticals;

static void
count_critical (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  criticals++;
}

Test (wm_get, null_self_is_a_critical_not_a_crash)
{
  g_autoptr(GError) error = NULL;

  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_handler ("vss", G_LOG_LEVEL_CRITICAL, count_critical, NULL);
  cr_assert_not (vss_writer_metadata_add_component (NULL, VSS_CT_DATABASE, NULL, "x", NULL, TRUE,
                                                    TRUE, &error));
  cr_assert_null (error);
  cr_assert_null (vss_writer_metadata_get_writer_id (NULL));
  cr_assert_eq (vss_writer_metadata_get_component_count (NULL), 0);
  cr_assert_null (vss_wm_component_get_name (NULL));
  g_autoptr(VssWriterMetadata) wm = new_wm ();
  cr_assert_null (vss_writer_metadata_get_component (wm, 0));
  cr_assert_eq (criticals, 5);
}

Test (wm_json, to_json_is_pretty_and_newline_terminated)
{
  g_autoptr(VssWriterMetadata) wm = doc_test_full_metadata ();
  g_autofree char *text = vss_writer_metadata_to_json (wm);

  cr_assert (g_str_has_prefix (text, "{\n  \"version\": 1,\n  \"writer_id\": \""
                                     DOC_TEST_WRITER_A "\""), "%s", text);
  cr_assert (g_str_has_suffix (text, "}\n"));
  cr_assert_not_null (strstr (text, "\"backup_schema\": [\n    \"differential\",\n    \"log\",\n"
                                    "    \"last-modify\"\n  ]"), "%s", text);
  cr_assert_not_null (strstr (text, "\"usage_type\": \"system-service\""));
  cr_assert_not_null (strstr (text, "\"method\": \"stop-restore-start\""));
  cr_assert_null (strstr (text, "sealed"));
}
