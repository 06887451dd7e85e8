/* Every call-order rule (VSS_ERROR_BAD_STATE naming what must come first),
 * the argument rules, and the errors for things that are not there. */
#include "lifecycle-fixture.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite (call_order, .init = fx_setup, .fini = fx_teardown, .timeout = 60);


#define BAD_STATE VSS_ERROR_BAD_STATE

Test (call_order, nothing_before_initialize)
{
  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  VssAsync *async = NULL;
  guint n = 0;
  EXPECT (vss_backup_components_set_context (bc, VSS_CTX_BACKUP, error), BAD_STATE,
          "set_context: call initialize_for_backup first");
  EXPECT (vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, error),
          BAD_STATE, "initialize_for_backup");
  EXPECT (vss_backup_components_gather_writer_metadata (bc, &async, error), BAD_STATE,
          "initialize_for_backup");
  EXPECT (vss_backup_components_start_snapshot_set (bc, NULL, error), BAD_STATE, "initialize_for_backup");
  EXPECT (vss_backup_components_abort_backup (bc, error), BAD_STATE, "initialize_for_backup");
  EXPECT (vss_backup_components_get_writer_metadata_count (bc, &n, error), BAD_STATE,
          "gather_writer_metadata");
}

Test (call_order, initialize_once_and_settings_before_gather)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  EXPECT (vss_backup_components_initialize_for_backup (bc, NULL, error), BAD_STATE,
          "create a new one");
  cr_assert (vss_backup_components_set_context (bc, VSS_CTX_BACKUP, NULL));
  EXPECT (vss_backup_components_set_context (bc, VSS_CTX_BACKUP, error), BAD_STATE, "only once");
  cr_assert (vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, NULL));
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_gather_writer_metadata (bc, &async, NULL));
  fx_finish (async);
  EXPECT (vss_backup_components_gather_writer_metadata (bc, &async, error), BAD_STATE, "only once");
  EXPECT (vss_backup_components_set_event_timeout (bc, 100, error), BAD_STATE,
          "before gather_writer_metadata");
  EXPECT (vss_backup_components_set_writer_path (bc, "/tmp", error), BAD_STATE,
          "before gather_writer_metadata");
  vss_backup_components_free (bc);
}

Test (call_order, prepare_needs_backup_state_set_and_gather)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  EXPECT (vss_backup_components_prepare_for_backup (bc, &async, error), BAD_STATE,
          "prepare_for_backup: call set_backup_state first");
  cr_assert (vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, NULL));
  EXPECT (vss_backup_components_prepare_for_backup (bc, &async, error), BAD_STATE,
          "call start_snapshot_set first");
  cr_assert (vss_backup_components_start_snapshot_set (bc, NULL, NULL));
  EXPECT (vss_backup_components_start_snapshot_set (bc, NULL, error), BAD_STATE, "already started");
  EXPECT (vss_backup_components_prepare_for_backup (bc, &async, error), BAD_STATE,
          "call gather_writer_metadata first");
  EXPECT (vss_backup_components_do_snapshot_set (bc, &async, error), BAD_STATE,
          "gather_writer_metadata");
  EXPECT (vss_backup_components_save_as_json (bc, error) != NULL, BAD_STATE,
          "call prepare_for_backup first");
  vss_backup_components_free (bc);
}

Test (call_order, component_calls_have_their_window)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  cr_assert (vss_backup_components_gather_writer_metadata (bc, &async, NULL));
  fx_finish (async);
  const char *id = fx_writer_id (bc, "recorder");
  EXPECT (vss_backup_components_add_component (bc, NULL, id, VSS_CT_FILEGROUP, NULL, "data", error),
          BAD_STATE, "call set_backup_state first");
  cr_assert (vss_backup_components_set_backup_state (bc, FALSE, FALSE, VSS_BT_FULL, FALSE, NULL));
  EXPECT (vss_backup_components_add_component (bc, NULL, id, VSS_CT_FILEGROUP, NULL, "data", error),
          BAD_STATE, "volume mode");
  cr_assert (vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, NULL));
  cr_assert (vss_backup_components_add_component (bc, NULL, id, VSS_CT_FILEGROUP, NULL, "data", NULL));
  EXPECT (vss_backup_components_set_backup_succeeded (bc, NULL, id, VSS_CT_FILEGROUP, NULL, "data",
                                                      TRUE, error),
          BAD_STATE, "call do_snapshot_set");
  EXPECT (vss_backup_components_backup_complete (bc, &async, error), BAD_STATE, "do_snapshot_set");
  EXPECT (vss_backup_components_add_to_snapshot_set (bc, fx.data_dir, NULL, NULL, error), BAD_STATE,
          "call start_snapshot_set first");
  g_autofree char *snapshot_id = fx_prepare (bc);
  EXPECT (vss_backup_components_add_component (bc, NULL, id, VSS_CT_DATABASE, "dbs", "db", error),
          BAD_STATE, "before prepare_for_backup");
  EXPECT (vss_backup_components_set_previous_backup_stamp (bc, id, VSS_CT_FILEGROUP, NULL, "data",
                                                           "s", error),
          BAD_STATE, "before prepare_for_backup");
  EXPECT (vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, error),
          BAD_STATE, "before prepare_for_backup");
  EXPECT (vss_backup_components_get_writer_status (bc, 0, error) != NULL, BAD_STATE,
          "call gather_writer_status");
  cr_assert (vss_backup_components_do_snapshot_set (bc, &async, NULL));
  fx_finish (async);
  EXPECT (vss_backup_components_do_snapshot_set (bc, &async, error), BAD_STATE, "only once");
  EXPECT (vss_backup_components_add_to_snapshot_set (bc, fx.tmpdir, NULL, NULL, error), BAD_STATE,
          "before do_snapshot_set");
  cr_assert (vss_backup_components_set_backup_succeeded (bc, NULL, id, VSS_CT_FILEGROUP, NULL,
                                                         "data", TRUE, NULL));
  cr_assert (vss_backup_components_backup_complete (bc, &async, NULL));
  fx_finish (async);
  EXPECT (vss_backup_components_set_backup_succeeded (bc, NULL, id, VSS_CT_FILEGROUP, NULL, "data",
                                                      TRUE, error),
          BAD_STATE, "before backup_complete");
  EXPECT (vss_backup_components_backup_complete (bc, &async, error), BAD_STATE, "only once");
  vss_backup_components_free (bc);
}

Test (call_order, no_call_while_an_asynchronous_one_runs)
{
  g_setenv ("VSS_TEST_HANG_EVENT", "identify", TRUE);
  g_setenv ("VSS_TEST_HANG_MS", "600", TRUE);
  VssBackupComponents *bc = fx_new ("hang", NULL);
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  cr_assert (vss_backup_components_gather_writer_metadata (bc, &async, NULL));
  EXPECT (vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, error),
          BAD_STATE, "gather_writer_metadata is still running");
  EXPECT (vss_backup_components_start_snapshot_set (bc, NULL, error), BAD_STATE, "still running");
  fx_finish (async);
  vss_backup_components_free (bc);
}

Test (call_order, no_writer_context_refuses_writer_calls)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  cr_assert (vss_backup_components_set_context (bc, VSS_CTX_FILE_SHARE_BACKUP, NULL));
  cr_assert (vss_backup_components_set_backup_state (bc, FALSE, FALSE, VSS_BT_FULL, FALSE, NULL));
  cr_assert (vss_backup_components_start_snapshot_set (bc, NULL, NULL));
  EXPECT (vss_backup_components_prepare_for_backup (bc, &async, error), BAD_STATE, "no writers");
  /* Without writers the set goes straight to the snapshot. */
  char *snapshot_id = NULL;
  cr_assert (vss_backup_components_add_to_snapshot_set (bc, fx.data_dir, "copy", &snapshot_id, NULL));
  cr_assert (vss_backup_components_do_snapshot_set (bc, &async, NULL));
  fx_finish (async);
  EXPECT (vss_backup_components_backup_complete (bc, &async, error), BAD_STATE, "no writers");
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, snapshot_id, NULL);
  cr_assert_not_null (prop->snapshot_path);
  g_free (snapshot_id);
  vss_backup_components_free (bc);
  g_autoptr(GPtrArray) events = fx_events ("recorder");
  cr_assert_eq (events->len, 0, "a writer was called in a no-writer context");
}

Test (call_order, invalid_arguments)
{
  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  EXPECT (vss_backup_components_gather_writer_metadata (bc, NULL, error), VSS_ERROR_INVALID_ARG,
          "out_async must not be NULL");
  EXPECT (vss_backup_components_prepare_for_backup (bc, NULL, error), VSS_ERROR_INVALID_ARG, "out_async");
  EXPECT (vss_backup_components_do_snapshot_set (bc, NULL, error), VSS_ERROR_INVALID_ARG, "out_async");
  EXPECT (vss_backup_components_backup_complete (bc, NULL, error), VSS_ERROR_INVALID_ARG, "out_async");
  EXPECT (vss_backup_components_gather_writer_status (bc, NULL, error), VSS_ERROR_INVALID_ARG, "out_async");
  EXPECT (vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_UNDEFINED, FALSE, error),
          VSS_ERROR_INVALID_ARG, "backup type");
  EXPECT (vss_backup_components_set_context (bc, 0x77, error), VSS_ERROR_INVALID_ARG, "snapshot context");
  EXPECT (vss_backup_components_set_event_timeout (bc, 0, error), VSS_ERROR_INVALID_ARG, "1 ms");
  EXPECT (vss_backup_components_add_component (bc, NULL, NULL, VSS_CT_FILEGROUP, NULL, "x", error),
          VSS_ERROR_INVALID_ARG, "writer id");
  EXPECT (vss_backup_components_add_to_snapshot_set (bc, "", NULL, NULL, error),
          VSS_ERROR_INVALID_ARG, "empty");
}

Test (call_order, things_that_are_not_there_or_already_are)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  fx_gather (bc, VSS_BT_FULL);
  const char *id = fx_writer_id (bc, "recorder");
  EXPECT (vss_backup_components_get_writer_metadata (bc, 7, error) != NULL,
          VSS_ERROR_OBJECT_NOT_FOUND, "index 7");
  EXPECT (vss_backup_components_add_component (bc, NULL, "00000000-0000-4000-8000-00000000dead",
                                               VSS_CT_FILEGROUP, NULL, "data", error),
          VSS_ERROR_OBJECT_NOT_FOUND, "no writer");
  EXPECT (vss_backup_components_add_component (bc, NULL, id, VSS_CT_FILEGROUP, NULL, "nope", error),
          VSS_ERROR_OBJECT_NOT_FOUND, "has no component");
  EXPECT (vss_backup_components_add_component (bc, NULL, id, VSS_CT_DATABASE, NULL, "data", error),
          VSS_ERROR_INVALID_ARG, "file-group component");
  cr_assert (vss_backup_components_add_component (bc, NULL, id, VSS_CT_FILEGROUP, NULL, "data", NULL));
  EXPECT (vss_backup_components_add_component (bc, NULL, id, VSS_CT_FILEGROUP, NULL, "data", error),
          VSS_ERROR_OBJECT_ALREADY_EXISTS, "");
  EXPECT (vss_backup_components_set_backup_options (bc, id, VSS_CT_DATABASE, "dbs", "db", "o", error),
          VSS_ERROR_OBJECT_NOT_FOUND, "was not added");
  cr_assert (vss_backup_components_start_snapshot_set (bc, NULL, NULL));
  EXPECT (vss_backup_components_add_to_snapshot_set (bc, "/no/such/dir", NULL, NULL, error),
          VSS_ERROR_OBJECT_NOT_FOUND, "/no/such/dir");
  EXPECT (vss_backup_components_add_to_snapshot_set (bc, fx.data_dir, "nope", NULL, error),
          VSS_ERROR_PROVIDER_NOT_REGISTERED, "nope");
  EXPECT (vss_backup_components_add_to_snapshot_set (bc, "/proc", NULL, NULL, error),
          VSS_ERROR_VOLUME_NOT_SUPPORTED, "proc");
  cr_assert (vss_backup_components_add_to_snapshot_set (bc, fx.data_dir, NULL, NULL, NULL));
  EXPECT (vss_backup_components_add_to_snapshot_set (bc, fx.data_dir, NULL, NULL, error),
          VSS_ERROR_OBJECT_ALREADY_EXISTS, "already in the snapshot set");
  g_autofree char *inner = g_build_filename (fx.data_dir, "sub", NULL);
  EXPECT (vss_backup_components_add_to_snapshot_set (bc, inner, NULL, NULL, error),
          VSS_ERROR_INVALID_ARG, "overlaps");
  EXPECT (vss_backup_components_get_snapshot_properties (bc, "x", error) != NULL,
          VSS_ERROR_OBJECT_NOT_FOUND, "no snapshot x");
  vss_backup_components_free (bc);
}

Test (call_order, malformed_bcd_is_refused_and_the_object_stays_usable)
{
  /* A real document, damaged in one place. */
  VssBackupComponents *made = fx_new ("recorder", NULL);
  g_autofree char *snapshot_id = fx_snapshot_all (made);
  g_autofree char *json = vss_backup_components_save_as_json (made, NULL);
  vss_backup_components_free (made);
  g_autoptr(GRegex) name = g_regex_new ("\"name\"\\s*:\\s*\"data\"", 0, 0, NULL);
  g_autofree char *damaged = g_regex_replace_literal (name, json, -1, 0, "\"name\": 42", 0, NULL);
  cr_assert_str_neq (damaged, json);

  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  EXPECT (vss_backup_components_initialize_for_backup (bc, damaged, error),
          VSS_ERROR_INVALID_DOCUMENT, "writers[0].components[0].name");
  EXPECT (vss_backup_components_initialize_for_backup (bc, "{\"version\": 99}", error),
          VSS_ERROR_INVALID_DOCUMENT, "newer");
  EXPECT (vss_backup_components_initialize_for_backup (bc, "[[[[", error),
          VSS_ERROR_INVALID_DOCUMENT, "");
  cr_assert (vss_backup_components_initialize_for_backup (bc, json, NULL));
}

Test (call_order, one_snapshot_set_in_creation_at_a_time)
{
  g_autoptr(VssBackupComponents) first = vss_backup_components_new ();
  g_autoptr(VssBackupComponents) second = vss_backup_components_new ();
  cr_assert (vss_backup_components_initialize_for_backup (first, NULL, NULL));
  cr_assert (vss_backup_components_initialize_for_backup (second, NULL, NULL));
  cr_assert (vss_backup_components_start_snapshot_set (first, NULL, NULL));
  EXPECT (vss_backup_components_start_snapshot_set (second, NULL, error),
          VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS, "another snapshot set");
  cr_assert (vss_backup_components_abort_backup (first, NULL));
  cr_assert (vss_backup_components_start_snapshot_set (second, NULL, NULL));
}

Test (call_order, a_dead_requester_releases_the_snapshot_set)
{
  int ready[2];
  cr_assert_eq (pipe (ready), 0);
  pid_t child = fork ();
  cr_assert_geq (child, 0);
  if (child == 0) {
    VssBackupComponents *bc = vss_backup_components_new ();
    vss_backup_components_initialize_for_backup (bc, NULL, NULL);
    gboolean ok = vss_backup_components_start_snapshot_set (bc, NULL, NULL);
    if (write (ready[1], ok ? "y" : "n", 1) != 1)
      _exit (2);
    pause ();
    _exit (0);
  }
  char answer = 0;
  cr_assert_eq (read (ready[0], &answer, 1), 1);
  cr_assert_eq (answer, 'y');
  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  EXPECT (vss_backup_components_start_snapshot_set (bc, NULL, error),
          VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS, "pid");
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  cr_assert (vss_backup_components_start_snapshot_set (bc, NULL, NULL));
}

Test (call_order, hresults_match_the_sdk)
{
  struct { VssError code; guint32 hr; } table[] = {
    { VSS_ERROR_BAD_STATE, 0x80042301 },       { VSS_ERROR_PROVIDER_VETO, 0x80042306 },
    { VSS_ERROR_OBJECT_NOT_FOUND, 0x80042308 }, { VSS_ERROR_HOLD_WRITES_TIMEOUT, 0x80042314 },
    { VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS, 0x80042316 },
    { VSS_ERROR_WRITER_NOT_RESPONDING, 0x80042319 }, { VSS_ERROR_WRITER_TIMEOUT, 0x800423F2 },
    { VSS_ERROR_WRITER_NONRETRYABLE, 0x800423F4 }, { VSS_ERROR_INVALID_ARG, 0x80070057 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++) {
    g_autoptr(GError) e = g_error_new_literal (VSS_ERROR, table[i].code, "x");
    cr_assert_eq (vss_error_to_hresult (e), table[i].hr, "code %d", table[i].code);
  }
  cr_assert_eq (vss_error_to_hresult (NULL), 0);
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
  cr_assert_eq (vss_error_to_hresult (other), 0x80004005);
  g_autoptr(GError) bad = g_error_new_literal (VSS_ERROR, VSS_ERROR_BAD_STATE, "x");
  cr_assert_str_eq (vss_error_to_hresult_name (bad), "VSS_E_BAD_STATE");
}
