/* The restore lifecycle: the saved document, selections and mappings,
 * pre_restore / post_restore to the writers concerned, and its rules. */
#include "lifecycle-fixture.h"

#include <string.h>

TestSuite (restore, .init = fx_setup, .fini = fx_teardown, .timeout = 60);


/* A finished backup of every writer's components; returns its BCD. */
static char *
saved_backup (void)
{
  VssBackupComponents *bc = fx_new ("recorder", "slow-3", NULL);
  g_setenv ("VSS_TEST_SLOW_MS", "1", TRUE);
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  fx_complete (bc);
  char *json = vss_backup_components_save_as_json (bc, NULL);
  vss_backup_components_free (bc);
  return json;
}

static VssBackupComponents *
restore_session (const char *json)
{
  VssBackupComponents *bc = fx_new ("recorder", "slow-3", NULL);
  fx_gather_for_restore (bc, json);
  return bc;
}

/* The events recorded after the backup's backup_shutdown. */
static char *
restore_events (const char *writer)
{
  g_autofree char *all = fx_events_string (writer);
  const char *tail = strstr (all, "backup_shutdown");
  return g_strdup (tail != NULL ? g_strstrip ((char *) tail + strlen ("backup_shutdown")) : all);
}

Test (restore, selected_writer_gets_pre_and_post_restore_only)
{
  g_autofree char *json = saved_backup ();
  VssBackupComponents *bc = restore_session (json);
  const char *id = fx_writer_id (bc, "recorder");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_set_selected_for_restore (bc, id, VSS_CT_FILEGROUP, NULL, "data",
                                                            TRUE, &error), "%s",
             error ? error->message : "");
  cr_assert (vss_backup_components_set_restore_options (bc, id, VSS_CT_FILEGROUP, NULL, "data",
                                                       "authoritative", NULL));
  fx_pre_restore (bc);
  cr_assert (vss_backup_components_set_file_restore_status (bc, id, VSS_CT_FILEGROUP, NULL, "data",
                                                           VSS_RS_ALL, NULL));
  fx_post_restore (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "recorder");
  cr_assert_eq (status->state, VSS_WS_STABLE);
  vss_backup_components_free (bc);

  g_autofree char *rec = restore_events ("recorder");
  cr_assert_str_eq (rec, "identify pre_restore post_restore");
  g_autofree char *slow = restore_events ("slow-3");
  cr_assert_str_eq (slow, "identify", "an unselected writer got restore events: %s", slow);
}

Test (restore, additional_restores_reach_the_writer)
{
  g_autofree char *json = saved_backup ();
  VssBackupComponents *bc = restore_session (json);
  const char *id = fx_writer_id (bc, "recorder");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_set_selected_for_restore (bc, id, VSS_CT_FILEGROUP, NULL, "data",
                                                            TRUE, NULL));
  cr_assert_not (vss_backup_components_set_additional_restores (bc, id, VSS_CT_FILEGROUP, NULL,
                                                                "no-such", TRUE, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND), "%s", error->message);
  g_clear_error (&error);
  cr_assert (vss_backup_components_set_additional_restores (bc, id, VSS_CT_FILEGROUP, NULL, "data",
                                                           TRUE, &error), "%s",
             error ? error->message : "");
  fx_pre_restore (bc);
  /* after pre_restore the selections are fixed */
  cr_assert_not (vss_backup_components_set_additional_restores (bc, id, VSS_CT_FILEGROUP, NULL,
                                                                "data", FALSE, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_BAD_STATE), "%s", error->message);
  fx_post_restore (bc);
  vss_backup_components_free (bc);
  g_autofree char *rec = restore_events ("recorder");
  cr_assert_str_eq (rec, "identify pre_restore+more post_restore+more");
}

Test (restore, components_of_the_saved_document_are_readable)
{
  g_autofree char *json = saved_backup ();
  VssBackupComponents *bc = restore_session (json);
  guint count = 0;
  cr_assert (vss_backup_components_get_component_count (bc, &count, NULL));
  cr_assert_eq (count, 3, "recorder data + db, slow-3 data");
  gboolean saw_stamp = FALSE;
  for (guint i = 0; i < count; i++) {
    const char *writer_name = NULL;
    const VssComponent *c = vss_backup_components_get_component (bc, i, NULL, &writer_name, NULL);
    cr_assert_not_null (c);
    cr_assert (vss_component_get_backup_succeeded (c) == FALSE);
    if (g_str_equal (writer_name, "recorder") && g_str_equal (vss_component_get_name (c), "data"))
      saw_stamp = g_strcmp0 (vss_component_get_backup_stamp (c), "stamp-recorder") == 0;
  }
  cr_assert (saw_stamp, "the writer's stamp did not survive the round trip");
  EXPECT (vss_backup_components_get_component (bc, 3, NULL, NULL, error) != NULL,
          VSS_ERROR_OBJECT_NOT_FOUND, "out of range");
  vss_backup_components_free (bc);
}

Test (restore, mappings_must_name_a_declared_file_set)
{
  g_autofree char *json = saved_backup ();
  VssBackupComponents *bc = restore_session (json);
  const char *id = fx_writer_id (bc, "recorder");
  EXPECT (vss_backup_components_add_new_target (bc, id, VSS_CT_FILEGROUP, NULL, "data", "/etc",
                                                "*", TRUE, "/tmp/x", error),
          VSS_ERROR_INVALID_ARG, "is not a file set of component data");
  cr_assert (vss_backup_components_add_new_target (bc, id, VSS_CT_FILEGROUP, NULL, "data",
                                                   fx.data_dir, "*", TRUE, "/tmp/new", NULL));
  cr_assert (vss_backup_components_add_alternative_location_mapping (bc, id, VSS_CT_FILEGROUP, NULL,
                                                                     "data", fx.data_dir, "*",
                                                                     TRUE, "/tmp/alt", NULL));
  EXPECT (vss_backup_components_add_new_target (bc, id, VSS_CT_FILEGROUP, NULL, "data",
                                                fx.data_dir, "*", TRUE, "relative", error),
          VSS_ERROR_INVALID_ARG, "absolute destination");
  EXPECT (vss_backup_components_set_selected_for_restore (bc, id, VSS_CT_FILEGROUP, NULL, "nope",
                                                         TRUE, error),
          VSS_ERROR_OBJECT_NOT_FOUND, "nope");
  guint count = 0;
  cr_assert (vss_backup_components_get_component_count (bc, &count, NULL));
  for (guint i = 0; i < count; i++) {
    const char *writer_name = NULL;
    const VssComponent *c = vss_backup_components_get_component (bc, i, NULL, &writer_name, NULL);
    if (g_str_equal (writer_name, "recorder") && g_str_equal (vss_component_get_name (c), "data")) {
      cr_assert_eq (vss_component_get_new_target_count (c), 1);
      cr_assert_eq (vss_component_get_alternate_location_mapping_count (c), 1);
    }
  }
  vss_backup_components_free (bc);
}

Test (restore, call_order_of_a_restore)
{
  g_autofree char *json = saved_backup ();
  g_autoptr(VssBackupComponents) fresh = vss_backup_components_new ();
  EXPECT (vss_backup_components_initialize_for_restore (fresh, NULL, error), VSS_ERROR_INVALID_ARG,
          "bcd.json");
  EXPECT (vss_backup_components_initialize_for_restore (fresh, "{}", error),
          VSS_ERROR_INVALID_DOCUMENT, "");
  VssAsync *async = NULL;
  EXPECT (vss_backup_components_pre_restore (fresh, &async, error), VSS_ERROR_BAD_STATE,
          "initialize_for_restore first");

  VssBackupComponents *bc = fx_new ("recorder", NULL);
  cr_assert (vss_backup_components_initialize_for_restore (bc, json, NULL));
  const char *any = "9f0c0e1a-0001-4000-8000-000000000001";
  EXPECT (vss_backup_components_set_selected_for_restore (bc, any, VSS_CT_FILEGROUP, NULL, "data",
                                                         TRUE, error),
          VSS_ERROR_BAD_STATE, "call gather_writer_metadata first");
  cr_assert (vss_backup_components_gather_writer_metadata (bc, &async, NULL));
  fx_finish (async);
  EXPECT (vss_backup_components_start_snapshot_set (bc, NULL, error), VSS_ERROR_BAD_STATE,
          "not allowed during a restore");
  EXPECT (vss_backup_components_abort_backup (bc, error), VSS_ERROR_BAD_STATE,
          "not allowed during a restore");
  EXPECT (vss_backup_components_post_restore (bc, &async, error), VSS_ERROR_BAD_STATE,
          "call pre_restore");
  EXPECT (vss_backup_components_set_file_restore_status (bc, any, VSS_CT_FILEGROUP, NULL, "data",
                                                        VSS_RS_ALL, error),
          VSS_ERROR_BAD_STATE, "call pre_restore");
  fx_pre_restore (bc);
  EXPECT (vss_backup_components_pre_restore (bc, &async, error), VSS_ERROR_BAD_STATE, "only once");
  EXPECT (vss_backup_components_set_selected_for_restore (bc, any, VSS_CT_FILEGROUP, NULL, "data",
                                                         TRUE, error),
          VSS_ERROR_BAD_STATE, "before pre_restore");
  fx_post_restore (bc);
  EXPECT (vss_backup_components_set_file_restore_status (bc, any, VSS_CT_FILEGROUP, NULL, "data",
                                                        VSS_RS_ALL, error),
          VSS_ERROR_BAD_STATE, "before post_restore");
  vss_backup_components_free (bc);

  g_autoptr(VssBackupComponents) backup = vss_backup_components_new ();
  cr_assert (vss_backup_components_initialize_for_backup (backup, NULL, NULL));
  EXPECT (vss_backup_components_pre_restore (backup, &async, error), VSS_ERROR_BAD_STATE,
          "only during a restore");
}

Test (restore, a_writer_that_vetoes_pre_restore_gets_no_post_restore)
{
  g_setenv ("VSS_TEST_VETO_EVENT", "pre_restore", TRUE);
  VssBackupComponents *made = fx_new ("veto", NULL);
  g_autofree char *snapshot_id = fx_snapshot_all (made);
  g_autofree char *json = vss_backup_components_save_as_json (made, NULL);
  vss_backup_components_free (made);

  VssBackupComponents *bc = fx_new ("veto", NULL);
  fx_gather_for_restore (bc, json);
  const char *id = fx_writer_id (bc, "veto");
  cr_assert (vss_backup_components_set_selected_for_restore (bc, id, VSS_CT_FILEGROUP, NULL, "data",
                                                            TRUE, NULL));
  fx_pre_restore (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "veto");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_PRE_RESTORE);
  fx_post_restore (bc);
  vss_backup_components_free (bc);
  g_autofree char *events = restore_events ("veto");
  cr_assert_str_eq (events, "identify pre_restore");
}
