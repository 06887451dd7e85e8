/* When writers veto, hang, overrun their freeze window, or the requester
 * cancels or aborts: the coordinator keeps its promises. */
#include "lifecycle-fixture.h"

#include <string.h>

#include "util/vss-paths.h"

TestSuite (failures, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

Test (failures, veto_at_freeze_fails_only_that_writer_and_aborts_it)
{
  g_setenv ("VSS_TEST_VETO_EVENT", "freeze", TRUE);
  VssBackupComponents *bc = fx_new ("recorder", "veto", NULL);
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) veto = fx_status (bc, "veto");
  cr_assert_eq (veto->state, VSS_WS_FAILED_AT_FREEZE);
  cr_assert_eq (veto->failure, VSS_WF_NONRETRYABLE);
  cr_assert_not_null (strstr (veto->failure_message, "veto: freeze: vetoed at freeze"),
                      "message: %s", veto->failure_message);
  g_autoptr(VssWriterStatus) recorder = fx_status (bc, "recorder");
  cr_assert_eq (recorder->state, VSS_WS_WAITING_FOR_BACKUP_COMPLETE);
  vss_backup_components_free (bc);

  cr_assert (fx_wait_for_event ("veto", "abort", 2000));
  g_autofree char *events = fx_events_string ("veto");
  cr_assert_not_null (strstr (events, "freeze abort"), "events: %s", events);
  cr_assert_null (strstr (events, "thaw"), "a vetoed freeze is aborted, not thawed: %s", events);
  cr_assert_null (strstr (events, "post_snapshot"));
  cr_assert_null (strstr (events, "backup_shutdown"), "an aborted writer got shutdown: %s", events);
  g_autofree char *rec = fx_events_string ("recorder");
  cr_assert_null (strstr (rec, "abort"), "the other writer was aborted: %s", rec);
}

Test (failures, retryable_veto_reports_its_kind_and_hresult)
{
  g_setenv ("VSS_TEST_VETO_EVENT", "prepare_backup", TRUE);
  g_setenv ("VSS_TEST_VETO_FAILURE", "retryable", TRUE);
  VssBackupComponents *bc = fx_new ("veto", NULL);
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "veto");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_PREPARE_BACKUP);
  cr_assert_eq (status->failure, VSS_WF_RETRYABLE);
  fx_do_snapshot (bc);
  vss_backup_components_free (bc);
  g_autofree char *events = fx_events_string ("veto");
  cr_assert_null (strstr (events, "freeze"), "a writer that vetoed got freeze: %s", events);
}

Test (failures, veto_at_identify_leaves_the_writer_out_of_the_metadata)
{
  g_setenv ("VSS_TEST_VETO_EVENT", "identify", TRUE);
  VssBackupComponents *bc = fx_new ("recorder", "veto", NULL);
  fx_gather (bc, VSS_BT_FULL);
  guint count = 0;
  cr_assert (vss_backup_components_get_writer_metadata_count (bc, &count, NULL));
  cr_assert_eq (count, 1);
  cr_assert_null (fx_writer_id (bc, "veto"));
  g_autoptr(VssWriterStatus) status = fx_status (bc, "veto");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_IDENTIFY);
  vss_backup_components_free (bc);
}

Test (failures, hung_freeze_fails_that_writer_and_still_gets_thaw_and_abort)
{
  g_setenv ("VSS_TEST_HANG_EVENT", "freeze", TRUE);
  g_setenv ("VSS_TEST_HANG_MS", "1500", TRUE);
  VssBackupComponents *bc = fx_new ("recorder", "hang", NULL);
  cr_assert (vss_backup_components_set_event_timeout (bc, 300, NULL));
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  VssSnapshotTimings timings = { 0 };
  cr_assert (vss_backup_components_get_snapshot_timings (bc, &timings, NULL));
  cr_assert_lt (timings.freeze_usec, 1400000, "the freeze step waited for the hung writer");
  g_autoptr(VssWriterStatus) status = fx_status (bc, "hang");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_FREEZE);
  cr_assert_eq (status->failure, VSS_WF_NOT_RESPONDING);
  g_autoptr(VssWriterStatus) recorder = fx_status (bc, "recorder");
  cr_assert_eq (recorder->failure, VSS_WF_NONE);
  vss_backup_components_free (bc);

  /* Once it wakes up, the writer finds thaw then abort queued. */
  cr_assert (fx_wait_for_event ("hang", "abort", 5000));
  g_autofree char *events = fx_events_string ("hang");
  cr_assert_not_null (strstr (events, "freeze thaw abort"), "events: %s", events);
}

Test (failures, freeze_window_is_bounded_by_the_writer_freeze_timeout)
{
  /* short-freeze allows 300 ms between freeze and thaw; slow-0 keeps the
   * freeze step busy for 1.5 s. */
  g_setenv ("VSS_TEST_SLOW_MS", "1500", TRUE);
  g_setenv ("VSS_TEST_SLOW_EVENT", "freeze", TRUE);
  VssBackupComponents *bc = fx_new ("short-freeze", "slow-0", NULL);
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "short-freeze");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_FREEZE);
  cr_assert_eq (status->failure, VSS_WF_TIMEOUT);
  cr_assert_not_null (strstr (status->failure_message, "300 ms"), "%s", status->failure_message);
  g_autoptr(VssWriterStatus) slow = fx_status (bc, "slow-0");
  cr_assert_eq (slow->state, VSS_WS_WAITING_FOR_BACKUP_COMPLETE);
  vss_backup_components_free (bc);

  /* Released at its timeout by whichever came first: the coordinator's
   * watchdog (thaw, then abort) or the writer's own timer (abort; the
   * late thaw then never reaches on_thaw). */
  g_autofree char *events = fx_events_string ("short-freeze");
  gboolean by_watchdog = strstr (events, "freeze thaw abort") != NULL;
  cr_assert (by_watchdog || strstr (events, "freeze abort") != NULL, "events: %s", events);
  cr_assert_null (strstr (events, "post_snapshot"), "events: %s", events);
  gint64 frozen = fx_event_time ("short-freeze", "freeze");
  gint64 released = fx_event_time ("short-freeze", by_watchdog ? "thaw" : "abort");
  gint64 slow_done = fx_event_time ("slow-0", "thaw");
  cr_assert_gt (frozen, 0);
  cr_assert_gt (released, frozen);
  cr_assert_lt (released, slow_done, "short-freeze was released only with the others");
}

Test (failures, cancel_of_gather_reports_cancelled)
{
  g_setenv ("VSS_TEST_HANG_EVENT", "identify", TRUE);
  g_setenv ("VSS_TEST_HANG_MS", "3000", TRUE);
  VssBackupComponents *bc = fx_new ("hang", NULL);
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  cr_assert (vss_backup_components_gather_writer_metadata (bc, &async, NULL));
  g_autoptr(GError) error = NULL;
  cr_assert_eq (vss_async_query_status (async, &error), VSS_ASYNC_PENDING);
  cr_assert_eq (vss_async_wait (async, 50, &error), VSS_ASYNC_PENDING);
  cr_assert_eq (vss_async_cancel (async, &error), VSS_ASYNC_CANCELLED);
  cr_assert_eq (vss_async_query_status (async, &error), VSS_ASYNC_CANCELLED);
  vss_async_unref (async);
  /* A cancelled gather leaves no metadata, and gathering twice is refused. */
  guint count = 0;
  cr_assert_not (vss_backup_components_get_writer_metadata_count (bc, &count, &error));
  fx_assert_error (error, VSS_ERROR_BAD_STATE, "did not finish");
  vss_backup_components_free (bc);
}

Test (failures, cancel_after_finish_says_finished_and_after_failure_gives_the_error)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  fx_gather (bc, VSS_BT_FULL);
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_gather_writer_status (bc, &async, NULL));
  cr_assert_eq (vss_async_wait (async, -1, NULL), VSS_ASYNC_FINISHED);
  cr_assert_eq (vss_async_cancel (async, NULL), VSS_ASYNC_FINISHED);
  vss_async_unref (async);
  vss_backup_components_free (bc);

  /* A do_snapshot_set that fails: the copy provider vetoes (1 MiB/s, 1 ms). */
  g_setenv ("VSS_COPY_RATE_MIBS", "1", TRUE);
  g_autofree char *big = g_build_filename (fx.data_dir, "big.bin", NULL);
  g_autofree char *zeros = g_malloc0 (4 << 20);
  cr_assert (g_file_set_contents (big, zeros, 4 << 20, NULL));
  bc = fx_new ("recorder", NULL);
  cr_assert (vss_backup_components_set_hold_timeout (bc, 1, NULL));
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  cr_assert (vss_backup_components_do_snapshot_set (bc, &async, NULL));
  g_autoptr(GError) error = NULL;
  cr_assert_eq (vss_async_wait (async, -1, &error), VSS_ASYNC_FAILED);
  fx_assert_error (error, VSS_ERROR_PROVIDER_VETO, "reflink");
  g_clear_error (&error);
  cr_assert_eq (vss_async_cancel (async, &error), VSS_ASYNC_FAILED);
  fx_assert_error (error, VSS_ERROR_PROVIDER_VETO, "");
  cr_assert_eq (vss_error_to_hresult (error), 0x80042306);
  vss_async_unref (async);
  /* The writers were aborted and nothing may follow a failed set. */
  cr_assert (fx_wait_for_event ("recorder", "abort", 2000));
  g_clear_error (&error);
  cr_assert_not (vss_backup_components_backup_complete (bc, &async, &error));
  fx_assert_error (error, VSS_ERROR_BAD_STATE, "");
  vss_backup_components_free (bc);
}

Test (failures, cancel_during_freeze_thaws_aborts_and_removes_the_snapshot)
{
  g_setenv ("VSS_TEST_HANG_EVENT", "freeze", TRUE);
  g_setenv ("VSS_TEST_HANG_MS", "800", TRUE);
  VssBackupComponents *bc = fx_new ("recorder", "hang", NULL);
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_do_snapshot_set (bc, &async, NULL));
  cr_assert (fx_wait_for_event ("recorder", "freeze", 5000));
  cr_assert_eq (vss_async_cancel (async, NULL), VSS_ASYNC_CANCELLED);
  vss_async_unref (async);
  g_autofree char *rec = fx_events_string ("recorder");
  cr_assert_not_null (strstr (rec, "freeze thaw abort"), "events: %s", rec);
  cr_assert_null (strstr (rec, "post_snapshot"), "events: %s", rec);
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, snapshot_id, &error);
  cr_assert_null (prop, "the snapshot of a cancelled set is still listed");
  vss_backup_components_free (bc);
  cr_assert (fx_wait_for_event ("hang", "abort", 5000));

  /* The machine-wide lock was released: a new set can start. */
  VssBackupComponents *next = vss_backup_components_new ();
  cr_assert (vss_backup_components_initialize_for_backup (next, NULL, NULL));
  cr_assert (vss_backup_components_start_snapshot_set (next, NULL, &error), "%s",
             error ? error->message : "");
  vss_backup_components_free (next);
}

Test (failures, abort_after_prepare_reaches_every_prepared_writer)
{
  VssBackupComponents *bc = fx_new ("recorder", "slow-2", NULL);
  g_setenv ("VSS_TEST_SLOW_MS", "1", TRUE);
  fx_gather (bc, VSS_BT_FULL);
  fx_add_writer (bc, "recorder");
  g_autofree char *snapshot_id = fx_prepare (bc);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_abort_backup (bc, &error));
  g_autofree char *rec = fx_events_string ("recorder");
  cr_assert_str_eq (rec, "identify prepare_backup abort");
  g_autofree char *slow = fx_events_string ("slow-2");
  cr_assert_str_eq (slow, "identify prepare_backup abort");
  VssAsync *async = NULL;
  cr_assert_not (vss_backup_components_do_snapshot_set (bc, &async, &error));
  fx_assert_error (error, VSS_ERROR_BAD_STATE, "aborted");
  vss_backup_components_free (bc);
  g_autofree char *after = fx_events_string ("recorder");
  cr_assert_str_eq (after, "identify prepare_backup abort", "events after free: %s", after);
}

Test (failures, abort_after_post_snapshot_sends_no_abort)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  cr_assert (vss_backup_components_abort_backup (bc, NULL));
  vss_backup_components_free (bc);
  g_autofree char *events = fx_events_string ("recorder");
  cr_assert_null (strstr (events, "abort"), "events: %s", events);
}

Test (failures, free_without_do_snapshot_set_aborts)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  vss_backup_components_free (bc);
  g_autofree char *events = fx_events_string ("recorder");
  cr_assert_str_eq (events, "identify prepare_backup abort");
}

Test (failures, commit_past_the_hold_limit_fails_the_set_and_thaws_everyone)
{
  /* The estimate says it fits (huge rate), the real copy does not. */
  g_setenv ("VSS_COPY_RATE_MIBS", "1000000", TRUE);
  for (int i = 0; i < 400; i++) {
    g_autofree char *name = g_strdup_printf ("f%03d.bin", i);
    g_autofree char *path = g_build_filename (fx.data_dir, name, NULL);
    g_autofree char *block = g_malloc0 (256 << 10);
    cr_assert (g_file_set_contents (path, block, 256 << 10, NULL));
  }
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  cr_assert (vss_backup_components_set_hold_timeout (bc, 2, NULL));
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_do_snapshot_set (bc, &async, NULL));
  g_autoptr(GError) error = NULL;
  cr_assert_eq (fx_wait (async, &error), VSS_ASYNC_FAILED);
  fx_assert_error (error, VSS_ERROR_HOLD_WRITES_TIMEOUT, "hold");
  g_autofree char *events = fx_events_string ("recorder");
  cr_assert_not_null (strstr (events, "freeze thaw abort"), "events: %s", events);
  g_autofree char *snapshots = g_build_filename (vss_paths_state_dir (), "snapshots", NULL);
  g_autoptr(GDir) dir = g_dir_open (snapshots, 0, NULL);
  cr_assert (dir == NULL || g_dir_read_name (dir) == NULL, "a half-made snapshot was left behind");
  vss_backup_components_free (bc);
}
