/* A plug-in writer that crashes, exits, hangs or drops its socket in the
 * middle of each event, in its helper process: that writer fails with
 * VSS_WF_NOT_RESPONDING at that event, the other writer's backup goes on
 * to the end, the coordinator survives, and no helper is left behind. */
#include "lifecycle-fixture.h"

#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static GMutex log_lock;
static GString *logged;

static void
capture_messages (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  g_mutex_lock (&log_lock);
  g_string_append_printf (logged, "%s\n", message);
  g_mutex_unlock (&log_lock);
}

static void
setup (void)
{
  fx_setup ();
  logged = g_string_new (NULL);
  g_log_set_handler ("vss", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, capture_messages, NULL);
  g_setenv ("VSS_WRITER_HOST_GRACE_MS", "300", TRUE);
  g_setenv ("VSS_TEST_CRASH_MS", "20000", TRUE);
}

static void
teardown (void)
{
  g_string_free (logged, TRUE);
  fx_teardown ();
}

TestSuite (helper_crash, .init = setup, .fini = teardown, .timeout = 120);

static const char *const events[] = {
  "identify", "prepare_backup", "prepare_snapshot", "freeze", "thaw", "post_snapshot",
  "backup_complete",
};
static const VssWriterState failed_at[] = {
  VSS_WS_FAILED_AT_IDENTIFY, VSS_WS_FAILED_AT_PREPARE_BACKUP, VSS_WS_FAILED_AT_PREPARE_SNAPSHOT,
  VSS_WS_FAILED_AT_FREEZE, VSS_WS_FAILED_AT_THAW, VSS_WS_FAILED_AT_POST_SNAPSHOT,
  VSS_WS_FAILED_AT_BACKUP_COMPLETE,
};

/* Number of live processes whose command line mentions @needle. */
static guint
processes_with (const char *needle)
{
  guint count = 0;
  DIR *dir = opendir ("/proc");
  struct dirent *entry;
  while ((entry = readdir (dir)) != NULL) {
    g_autofree char *file = g_strdup_printf ("/proc/%s/cmdline", entry->d_name);
    g_autofree char *contents = NULL;
    gsize len = 0;
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9' ||
        !g_file_get_contents (file, &contents, &len, NULL))
      continue;
    for (gsize i = 0; i + 1 < len; i++)
      if (contents[i] == '\0')
        contents[i] = ' ';
    if (strstr (contents, needle) != NULL && strstr (contents, "vss-writer-host") != NULL)
      count++;
  }
  closedir (dir);
  return count;
}

static gboolean
wait_no_helpers (const char *needle, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (processes_with (needle) > 0) {
    if (g_get_monotonic_time () > end)
      return FALSE;
    g_usleep (20000);
  }
  return TRUE;
}

static void
clear_records (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (fx.record_dir, 0, &error);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (fx.record_dir, name, NULL);
    unlink (path);
  }
}

/* A whole backup with "recorder" and "crash"; the crash writer's status. */
static VssWriterStatus *
backup_with_crash (const char *event, const char *how)
{
  g_setenv ("VSS_TEST_CRASH_EVENT", event, TRUE);
  g_setenv ("VSS_TEST_CRASH_HOW", how, TRUE);
  clear_records ();
  VssBackupComponents *bc = fx_new ("recorder", "crash", NULL);
  cr_assert (vss_backup_components_set_event_timeout (bc, 700, NULL));
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  fx_complete (bc);
  VssWriterStatus *status = fx_status (bc, "crash");
  g_autoptr(VssWriterStatus) recorder = fx_status (bc, "recorder");
  cr_assert_eq (recorder->failure, VSS_WF_NONE, "%s/%s: recorder failed: %s", event, how,
                recorder->failure_message);
  vss_backup_components_free (bc);
  g_autofree char *rec = fx_events_string ("recorder");
  cr_assert_not_null (strstr (rec, "identify prepare_backup prepare_snapshot freeze thaw "
                                   "post_snapshot backup_complete"),
                      "%s/%s: recorder saw: %s", event, how, rec);
  cr_assert (wait_no_helpers (fx.tmpdir, 3000), "%s/%s: a helper is still running", event, how);
  return status;
}

static void
crash_at_every_event (const char *how, const char *expected_message)
{
  for (guint i = 0; i < G_N_ELEMENTS (events); i++) {
    g_autoptr(VssWriterStatus) status = backup_with_crash (events[i], how);
    cr_assert_eq (status->failure, VSS_WF_NOT_RESPONDING, "%s/%s: failure %d: %s", events[i], how,
                  status->failure, status->failure_message);
    cr_assert_eq (status->state, failed_at[i], "%s/%s: state %d", events[i], how, status->state);
    cr_assert_not_null (strstr (status->failure_message, expected_message),
                        "%s/%s: message \"%s\" lacks \"%s\"", events[i], how,
                        status->failure_message, expected_message);
    cr_assert_str_eq (status->host, "helper");
    /* Never restarted: one load for the whole backup. */
    g_autofree char *path = g_build_filename (fx.record_dir, "crash.lifecycle", NULL);
    g_autofree char *lifecycle = vss_test_read_file (path);
    cr_assert_not_null (lifecycle);
    cr_assert (g_str_has_prefix (lifecycle, "load ") && strstr (lifecycle, "\nload ") == NULL,
               "%s/%s: reloaded: %s", events[i], how, lifecycle);
  }
}

Test (helper_crash, segfault_at_every_event)
{
#if defined(__SANITIZE_ADDRESS__)
  /* AddressSanitizer catches the SIGSEGV, reports it and exits 1. */
  crash_at_every_event ("segv", "exited with status 1");
#else
  crash_at_every_event ("segv", "signal 11");
#endif
  g_mutex_lock (&log_lock);
  cr_assert_not_null (strstr (logged->str, "writer crash: crash: misbehaving (segv) at freeze"),
                      "the helper's stderr was not logged with the writer name: %s", logged->str);
  g_mutex_unlock (&log_lock);
}

Test (helper_crash, abort_at_every_event)
{
  crash_at_every_event ("abort", "signal 6");
}

Test (helper_crash, exit_at_every_event)
{
  crash_at_every_event ("exit", "exited with status 3");
}

Test (helper_crash, disconnect_at_every_event)
{
  crash_at_every_event ("disconnect", "connection closed");
}

Test (helper_crash, hang_at_every_event_is_killed)
{
  crash_at_every_event ("hang", "did not answer within 700 ms");
}

Test (helper_crash, hostile_messages_are_refused)
{
  static const char *const kinds[][2] = {
    { "oversize", "outside 1.." }, { "truncated", "in the middle of a message" },
    { "badjson", "not one JSON object" }, { "version", "unexpected message \"hello\"" },
    { "unsolicited", "a reply to no event" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
    g_autoptr(VssWriterStatus) status = backup_with_crash ("prepare_backup", kinds[i][0]);
    cr_assert_eq (status->failure, VSS_WF_NOT_RESPONDING, "%s: %s", kinds[i][0], status->failure_message);
    cr_assert_not_null (strstr (status->failure_message, kinds[i][1]), "%s: \"%s\"", kinds[i][0],
                        status->failure_message);
  }
}

Test (helper_crash, slow_start_within_the_deadline_is_fine)
{
  /* The helper loads, then spends 400 ms in on_load before identify. */
  g_setenv ("VSS_TEST_CRASH_EVENT", "load", TRUE);
  g_setenv ("VSS_TEST_CRASH_HOW", "hang", TRUE);
  g_setenv ("VSS_TEST_CRASH_MS", "400", TRUE);
  VssBackupComponents *bc = fx_new ("crash", NULL);
  cr_assert (vss_backup_components_set_event_timeout (bc, 3000, NULL));
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "crash");
  cr_assert_eq (status->failure, VSS_WF_NONE, "%s", status->failure_message);
  vss_backup_components_free (bc);
}

Test (helper_crash, slow_start_past_the_deadline_fails_identify)
{
  g_setenv ("VSS_TEST_CRASH_EVENT", "load", TRUE);
  g_setenv ("VSS_TEST_CRASH_HOW", "hang", TRUE);
  VssBackupComponents *bc = fx_new ("crash", "recorder", NULL);
  cr_assert (vss_backup_components_set_event_timeout (bc, 500, NULL));
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "crash");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_IDENTIFY);
  cr_assert_eq (status->failure, VSS_WF_NOT_RESPONDING);
  vss_backup_components_free (bc);
  cr_assert (wait_no_helpers (fx.tmpdir, 3000), "the slow helper was not killed");
}

Test (helper_crash, a_writer_that_fails_to_load_fails_identify_with_that_reason)
{
  VssBackupComponents *bc = fx_new ("failing-load", "recorder", NULL);
  fx_gather (bc, VSS_BT_FULL);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "failing-load");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_IDENTIFY);
  cr_assert_eq (status->failure, VSS_WF_NONRETRYABLE);
  cr_assert_not_null (strstr (status->failure_message,
                              "failing-load: load: refused to load (test writer)"),
                      "%s", status->failure_message);
  g_autoptr(VssWriterStatus) recorder = fx_status (bc, "recorder");
  cr_assert_eq (recorder->failure, VSS_WF_NONE, "%s", recorder->failure_message);
  vss_backup_components_free (bc);
  cr_assert (wait_no_helpers (fx.tmpdir, 3000), "a helper is still running");
}

Test (helper_crash, missing_helper_binary_fails_every_writer_cleanly)
{
  g_setenv ("VSS_WRITER_HOST", "/nonexistent/vss-writer-host", TRUE);
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  fx_gather (bc, VSS_BT_FULL);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "recorder");
  cr_assert_eq (status->failure, VSS_WF_NOT_RESPONDING);
  cr_assert_not_null (strstr (status->failure_message, "set VSS_WRITER_HOST"), "%s",
                      status->failure_message);
  vss_backup_components_free (bc);
}

Test (helper_crash, inproc_option_runs_writers_in_this_process)
{
  VssBackupComponents *bc = fx_new ("recorder", NULL);
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_backup_components_set_writer_transport (bc, "thread", &error));
  fx_assert_error (error, VSS_ERROR_INVALID_ARG, "\"helper\" or \"inproc\"");
  cr_assert (vss_backup_components_set_writer_transport (bc, "inproc", NULL));
  g_autofree char *snapshot_id = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "recorder");
  cr_assert_str_eq (status->host, "inproc");
  vss_backup_components_free (bc);
  cr_assert_eq (processes_with (fx.tmpdir), 0);
}
