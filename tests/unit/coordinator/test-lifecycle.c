/* The backup lifecycle end to end: which writer gets which event, in which
 * order, on which thread, and what the requester sees. */
#include "lifecycle-fixture.h"

#include <string.h>

TestSuite (lifecycle, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

Test (lifecycle, full_backup_delivers_every_event_in_order)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  const char *id = fx_writer_id (bc, "recorder");
  cr_assert (vss_backup_components_set_backup_succeeded (bc, NULL, id, VSS_CT_FILEGROUP, NULL,
                                                         "data", TRUE, NULL));
  fx_complete (bc);
  vss_backup_components_free (bc);

  g_autofree char *events = fx_events_string ("recorder");
  cr_assert_str_eq (events, "identify prepare_backup prepare_snapshot freeze thaw post_snapshot "
                            "backup_complete backup_shutdown");
}

Test (lifecycle, events_of_one_writer_run_on_one_thread_not_the_callers)
{
  /* Thread identities only compare within one process: the in-process
   * transport is the one that promises this. */
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  cr_assert (vss_backup_components_set_writer_transport (bc, "inproc", NULL));
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  vss_backup_components_free (bc);

  g_autofree char *path = g_build_filename (fx.record_dir, "recorder.events", NULL);
  g_autofree char *contents = vss_test_read_file (path);
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  g_auto(GStrv) first = g_strsplit (lines[0], " ", 3);
  g_autofree char *caller = g_strdup_printf ("%p", (void *) g_thread_self ());
  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++) {
    g_auto(GStrv) words = g_strsplit (lines[i], " ", 3);
    cr_assert_str_eq (words[1], first[1], "event %s ran on another thread", words[0]);
  }
  cr_assert_str_neq (first[1], caller);
}

Test (lifecycle, snapshot_holds_the_data_and_the_bcd_records_the_writer_stamp)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  g_autoptr(GError) error = NULL;
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, snapshot_id, &error);
  cr_assert_not_null (prop, "%s", error ? error->message : "");
  cr_assert_str_eq (prop->provider, "copy");
  cr_assert_not_null (prop->snapshot_path);
  g_autofree char *copied = g_build_filename (prop->snapshot_path, "sub", "b.txt", NULL);
  g_autofree char *contents = vss_test_read_file (copied);
  cr_assert_str_eq (contents, "bravo\n");

  g_autofree char *json = vss_backup_components_save_as_json (bc, &error);
  cr_assert_not_null (json);
  cr_assert_not_null (strstr (json, "\"stamp-recorder\""), "writer's stamp missing: %s", json);
  cr_assert_not_null (strstr (json, prop->snapshot_path));
  vss_backup_components_free (bc);
  cr_assert_not (g_file_test (prop->snapshot_path, G_FILE_TEST_EXISTS),
                 "a non-persistent snapshot outlived its VssBackupComponents");
}

Test (lifecycle, writer_without_selected_component_gets_nothing_after_prepare_backup)
{
  VssBackupComponents *bc = fx_new ("recorder", "slow-0", NULL);
  fx_gather (bc, VSS_BT_FULL);
  fx_add_writer (bc, "recorder");
  g_autofree char *snapshot_id = fx_prepare (bc);
  fx_do_snapshot (bc);
  vss_backup_components_free (bc);

  g_autofree char *slow = fx_events_string ("slow-0");
  cr_assert_str_eq (slow, "identify prepare_backup");
  g_autofree char *recorder = fx_events_string ("recorder");
  cr_assert_not_null (strstr (recorder, "freeze thaw post_snapshot"));
}

Test (lifecycle, statuses_follow_the_writer_states)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  fx_gather (bc, VSS_BT_FULL);
  g_autoptr(VssWriterStatus) after_gather = fx_status (bc, "recorder");
  cr_assert_eq (after_gather->state, VSS_WS_STABLE);
  fx_add_all (bc);
  g_autofree char *snapshot_id = fx_prepare (bc);
  fx_do_snapshot (bc);
  g_autoptr(VssWriterStatus) after_snapshot = fx_status (bc, "recorder");
  cr_assert_eq (after_snapshot->state, VSS_WS_WAITING_FOR_BACKUP_COMPLETE);
  cr_assert_eq (after_snapshot->failure, VSS_WF_NONE);
  fx_complete (bc);
  g_autoptr(VssWriterStatus) after_complete = fx_status (bc, "recorder");
  cr_assert_eq (after_complete->state, VSS_WS_STABLE);
  vss_backup_components_free (bc);
}

Test (lifecycle, volume_mode_involves_every_writer)
{
  VssBackupComponents *bc = fx_new ("recorder", "slow-1", NULL);
  VssAsync *async = NULL;
  g_setenv ("VSS_TEST_SLOW_MS", "1", TRUE);
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  cr_assert (vss_backup_components_set_backup_state (bc, FALSE, FALSE, VSS_BT_COPY, FALSE, NULL));
  cr_assert (vss_backup_components_gather_writer_metadata (bc, &async, NULL));
  fx_finish (async);
  g_autofree char *snapshot_id = fx_prepare (bc);
  fx_do_snapshot (bc);
  vss_backup_components_free (bc);
  g_autofree char *slow = fx_events_string ("slow-1");
  cr_assert_not_null (strstr (slow, "freeze thaw post_snapshot"), "events: %s", slow);
}

Test (lifecycle, ten_writers_freeze_in_parallel)
{
  g_setenv ("VSS_TEST_SLOW_MS", "200", TRUE);
  g_setenv ("VSS_TEST_SLOW_EVENT", "freeze", TRUE);
  VssBackupComponents *bc = fx_new ("slow-0", "slow-1", "slow-2", "slow-3", "slow-4", "slow-5",
                                    "slow-6", "slow-7", "slow-8", "slow-9", NULL);
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  VssSnapshotTimings timings = { 0 };
  cr_assert (vss_backup_components_get_snapshot_timings (bc, &timings, NULL));
  /* Serial delivery would take 2 s; parallel takes one writer's 200 ms. */
  cr_assert_geq (timings.freeze_usec, 200000);
  cr_assert_lt (timings.freeze_usec, 1000000, "freeze step took %" G_GINT64_FORMAT " us",
                timings.freeze_usec);
  cr_assert_geq (timings.window_usec, timings.freeze_usec);
  cr_assert_geq (timings.total_usec, timings.window_usec);
  vss_backup_components_free (bc);
}

typedef struct {
  GMainLoop *loop;
  VssBackupComponents *bc;
  gboolean ok;
  GError *error;
} LoopContext;

static void
gathered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoopContext *ctx = user_data;
  ctx->ok = vss_backup_components_gather_writer_metadata_finish (ctx->bc, result, &ctx->error);
  g_main_loop_quit (ctx->loop);
}

Test (lifecycle, main_loop_forms_drive_the_same_work)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  cr_assert (vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, NULL));
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  LoopContext ctx = { loop, bc, FALSE, NULL };
  vss_backup_components_gather_writer_metadata_async (bc, NULL, gathered, &ctx);
  g_main_loop_run (loop);
  cr_assert (ctx.ok, "%s", ctx.error ? ctx.error->message : "");
  guint count = 0;
  cr_assert (vss_backup_components_get_writer_metadata_count (bc, &count, NULL));
  cr_assert_eq (count, 1);
  vss_backup_components_free (bc);
}
