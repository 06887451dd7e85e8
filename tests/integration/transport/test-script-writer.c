/* The script writer: hook order and verbs, failures with exit code and
 * output, timeouts, unsafe hooks, thaw delivery after the writer's
 * process dies, journal replay, and qemu-guest-agent's own dispatcher. */
#include "lifecycle-fixture.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *hook_dir;
static char *log_path;

static void
setup (void)
{
  fx_setup ();
  hook_dir = g_build_filename (fx.tmpdir, "hooks", NULL);
  log_path = g_build_filename (fx.tmpdir, "hooks.log", NULL);
  g_mkdir_with_parents (hook_dir, 0755);
  g_autofree char *conf = g_build_filename (g_getenv ("VSS_CONFIG_DIR"), "script.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[script]\nhook_dir=%s\ntimeout_ms=5000\n", hook_dir);
  cr_assert (g_file_set_contents (conf, text, -1, NULL));
}

static void
teardown (void)
{
  g_clear_pointer (&hook_dir, g_free);
  g_clear_pointer (&log_path, g_free);
  fx_teardown ();
}

TestSuite (script_writer, .init = setup, .fini = teardown, .timeout = 60);

/* A hook that logs "<name> <verb>" and then runs @body (sh). */
static void
add_hook (const char *dir, const char *name, const char *body, int mode)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf ("#!/bin/sh\necho \"%s $1\" >> '%s'\n%s\n", name,
                                           log_path, body != NULL ? body : "");
  cr_assert (g_file_set_contents (path, text, -1, NULL));
  cr_assert_eq (chmod (path, mode), 0);
}

static char *
hook_log (void)
{
  g_autofree char *text = vss_test_read_file (log_path);
  if (text == NULL)
    return g_strdup ("");
  g_strstrip (text);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  return g_strjoinv (", ", lines);
}

static gboolean
wait_for_log (const char *part, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;) {
    g_autofree char *text = hook_log ();
    if (strstr (text, part) != NULL)
      return TRUE;
    if (g_get_monotonic_time () > end)
      return FALSE;
    g_usleep (20000);
  }
}

static VssBackupComponents *
new_with_script (void)
{
  g_autofree char *dir = g_build_filename (fx.tmpdir, "script-writers", NULL);
  g_autofree char *to = g_build_filename (dir, "script.so", NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_mkdir_with_parents (dir, 0755);
  cr_assert (g_file_get_contents (SCRIPT_MODULE_PATH, &contents, &len, NULL));
  cr_assert (g_file_set_contents (to, contents, (gssize) len, NULL));
  chmod (to, 0644);
  VssBackupComponents *bc = vss_backup_components_new ();
  cr_assert (vss_backup_components_set_writer_path (bc, dir, NULL));
  return bc;
}

static char *
journal_path (void)
{
  return g_build_filename (g_getenv ("VSS_STATE_DIR"), "script-writer.journal", NULL);
}

Test (script_writer, hooks_run_in_order_and_thaw_in_reverse)
{
  add_hook (hook_dir, "10-db", NULL, 0755);
  add_hook (hook_dir, "20-app", NULL, 0700);
  VssBackupComponents *bc = new_with_script ();
  g_autofree char *id = fx_snapshot_all (bc);
  fx_complete (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "script");
  cr_assert_eq (status->failure, VSS_WF_NONE, "%s", status->failure_message);
  vss_backup_components_free (bc);
  g_autofree char *log = hook_log ();
  cr_assert_str_eq (log, "10-db prepare, 20-app prepare, 10-db freeze, 20-app freeze, "
                         "20-app thaw, 10-db thaw, 10-db complete, 20-app complete");
  g_autofree char *journal = journal_path ();
  cr_assert_not (g_file_test (journal, G_FILE_TEST_EXISTS), "journal left behind");
}

Test (script_writer, failing_freeze_is_a_writer_failure_and_unfreezes_the_others)
{
  add_hook (hook_dir, "10-db", NULL, 0755);
  add_hook (hook_dir, "20-app", "[ \"$1\" = freeze ] && { echo 'app: lock busy' >&2; exit 3; }\nexit 0", 0755);
  add_hook (hook_dir, "30-late", NULL, 0755);
  VssBackupComponents *bc = new_with_script ();
  g_autofree char *id = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "script");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_FREEZE);
  cr_assert_eq (status->failure, VSS_WF_NONRETRYABLE);
  cr_assert_not_null (strstr (status->failure_message, "20-app freeze: exit code 3"), "%s",
                      status->failure_message);
  cr_assert_not_null (strstr (status->failure_message, "app: lock busy"), "%s", status->failure_message);
  vss_backup_components_free (bc);
  g_autofree char *log = hook_log ();
  cr_assert_not_null (strstr (log, "10-db freeze, 20-app freeze, 20-app freezeFail, 10-db freezeFail"),
                      "%s", log);
  cr_assert_null (strstr (log, "30-late freeze"), "%s", log);
  cr_assert_null (strstr (log, " thaw"), "%s", log);
}

Test (script_writer, a_hook_past_its_timeout_is_killed_and_reported)
{
  g_autofree char *conf = g_build_filename (g_getenv ("VSS_CONFIG_DIR"), "script.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[script]\nhook_dir=%s\ntimeout_ms=300\n", hook_dir);
  cr_assert (g_file_set_contents (conf, text, -1, NULL));
  add_hook (hook_dir, "10-slow", "[ \"$1\" = freeze ] && sleep 20\nexit 0", 0755);
  VssBackupComponents *bc = new_with_script ();
  gint64 start = g_get_monotonic_time ();
  g_autofree char *id = fx_snapshot_all (bc);
  cr_assert_lt (g_get_monotonic_time () - start, 5 * G_USEC_PER_SEC);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "script");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_FREEZE);
  cr_assert_eq (status->failure, VSS_WF_TIMEOUT);
  cr_assert_not_null (strstr (status->failure_message, "still running after 300 ms"), "%s",
                      status->failure_message);
  vss_backup_components_free (bc);
  g_autofree char *log = hook_log ();
  cr_assert_not_null (strstr (log, "10-slow freezeFail"), "%s", log);
}

/* A hook someone else could rewrite is never run, and the application it
 * quiesces would not be: the backup of the hooks fails, naming it. */
Test (script_writer, unsafe_hooks_are_never_run_and_fail_the_backup)
{
  add_hook (hook_dir, "10-ok", NULL, 0755);
  add_hook (hook_dir, "20-group-writable", NULL, 0775);
  add_hook (hook_dir, "30-world-writable", NULL, 0757);
  add_hook (hook_dir, "40-not-executable", NULL, 0644);
  VssBackupComponents *bc = new_with_script ();
  g_autofree char *id = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "script");
  cr_assert_eq (status->state, VSS_WS_FAILED_AT_PREPARE_BACKUP);
  cr_assert_not_null (strstr (status->failure_message, "20-group-writable is writable by group or "
                              "others (mode 0775)"), "%s", status->failure_message);
  vss_backup_components_free (bc);
  g_autofree char *log = hook_log ();
  cr_assert_null (strstr (log != NULL ? log : "", "writable"), "%s", log);
  cr_assert_null (strstr (log != NULL ? log : "", "not-executable"), "%s", log);
  cr_assert_null (strstr (log != NULL ? log : "", "10-ok freeze"), "nothing is frozen: %s", log);
}

Test (script_writer, a_writer_process_killed_while_frozen_still_gets_its_hooks_unfrozen)
{
  /* The hook kills its parent: the helper process running the writer. */
  add_hook (hook_dir, "10-db", NULL, 0755);
  add_hook (hook_dir, "20-killer", "[ \"$1\" = freeze ] && kill -9 $PPID\nexit 0", 0755);
  VssBackupComponents *bc = new_with_script ();
  g_autofree char *id = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "script");
  cr_assert_eq (status->failure, VSS_WF_NOT_RESPONDING, "%s", status->failure_message);
  vss_backup_components_free (bc);
  cr_assert (wait_for_log ("20-killer freezeFail, 10-db freezeFail", 5000), "log: %s", hook_log ());
  g_autofree char *journal = journal_path ();
  gint64 end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (g_file_test (journal, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < end)
    g_usleep (20000);
  cr_assert_not (g_file_test (journal, G_FILE_TEST_EXISTS), "the watchdog left its journal");
}

Test (script_writer, a_killed_coordinator_still_gets_its_hooks_unfrozen)
{
  /* In-process, the hook's parent is the coordinator itself. */
  add_hook (hook_dir, "10-db", "[ \"$1\" = freeze ] && kill -9 $PPID\nexit 0", 0755);
  pid_t child = fork ();
  if (child == 0) {
    VssBackupComponents *bc = new_with_script ();
    vss_backup_components_set_writer_transport (bc, "inproc", NULL);
    g_autofree char *id = fx_snapshot_all (bc);
    _exit (0);
  }
  int status = 0;
  cr_assert_eq (waitpid (child, &status, 0), child);
  cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "status %d", status);
  cr_assert (wait_for_log ("10-db freezeFail", 5000), "log: %s", hook_log ());
}

Test (script_writer, a_journal_left_behind_is_replayed_at_the_next_load)
{
  add_hook (hook_dir, "10-db", NULL, 0755);
  g_autofree char *journal = journal_path ();
  g_autofree char *hook = g_build_filename (hook_dir, "10-db", NULL);
  g_autofree char *text = g_strdup_printf ("freezeFail\n%s\n", hook);
  cr_assert (g_file_set_contents (journal, text, -1, NULL));
  VssBackupComponents *bc = new_with_script ();
  fx_gather (bc, VSS_BT_FULL);
  vss_backup_components_free (bc);
  g_autofree char *log = hook_log ();
  cr_assert_str_eq (log, "10-db freezeFail");
  cr_assert_not (g_file_test (journal, G_FILE_TEST_EXISTS));
}

Test (script_writer, qemu_guest_agent_dispatcher_runs_its_hook_dir)
{
  const char *dispatcher = "/etc/qemu/fsfreeze-hook";
  if (geteuid () != 0)
    cr_skip_test ("needs root: the stock dispatcher logs to /var/log/qga-fsfreeze-hook.log");
  if (!g_file_test (dispatcher, G_FILE_TEST_IS_EXECUTABLE))
    cr_skip_test ("%s missing: install qemu-guest-agent (scripts/deps)", dispatcher);
  /* The stock dispatcher, unchanged, as our one hook; it runs what is in
   * fsfreeze-hook.d next to itself ($(dirname $0)). */
  g_autofree char *contents = NULL;
  gsize len = 0;
  cr_assert (g_file_get_contents (dispatcher, &contents, &len, NULL));
  g_autofree char *copy = g_build_filename (hook_dir, "fsfreeze-hook", NULL);
  cr_assert (g_file_set_contents (copy, contents, (gssize) len, NULL));
  cr_assert_eq (chmod (copy, 0755), 0);
  g_autofree char *sub = g_build_filename (hook_dir, "fsfreeze-hook.d", NULL);
  g_mkdir_with_parents (sub, 0755);
  add_hook (sub, "mysql-flush", "case \"$1\" in freeze|thaw) exit 0 ;; *) exit 0 ;; esac", 0755);
  VssBackupComponents *bc = new_with_script ();
  g_autofree char *id = fx_snapshot_all (bc);
  fx_complete (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "script");
  cr_assert_eq (status->failure, VSS_WF_NONE, "%s", status->failure_message);
  vss_backup_components_free (bc);
  g_autofree char *log = hook_log ();
  cr_assert_str_eq (log, "mysql-flush prepare, mysql-flush freeze, mysql-flush thaw, "
                         "mysql-flush complete");
}
