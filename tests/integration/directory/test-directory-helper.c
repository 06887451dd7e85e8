/* test-directory-helper.c — the directory writer as users run it: `vss
 * backup` with the default transport, the writer in its vss-writer-host
 * helper process.  A requester killed while the directory is frozen must
 * not leave the helper behind holding LMDB's writer lock. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dir-test.h"

/* What a failed test must not leave running: the requester, the helpers. */
static GPid requester;
static GArray *helpers;         /* pid_t */

/* A helper orphaned by the kill is our child (we are its subreaper):
 * killed if it still runs, and reaped (never pid 0: our process group). */
static void
kill_and_reap_helper (pid_t pid)
{
  if (pid <= 0)
    return;
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

static void
stop_leftovers (void)
{
  if (requester > 0) {
    kill (requester, SIGKILL);
    waitpid (requester, NULL, 0);
    requester = 0;
  }
  for (guint i = 0; helpers != NULL && i < helpers->len; i++)
    kill_and_reap_helper (g_array_index (helpers, pid_t, i));
  g_clear_pointer (&helpers, g_array_unref);
  dfx_teardown ();
}

TestSuite (directory_helper, .fini = stop_leftovers, .timeout = 120);

/* The vss-writer-host child of @parent serving @module ("directory.so"…). */
static pid_t
find_helper (pid_t parent, const char *module)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (proc)) != NULL) {
    pid_t pid = (pid_t) g_ascii_strtoll (name, NULL, 10);
    g_autofree char *stat_path = g_strdup_printf ("/proc/%s/stat", name);
    g_autofree char *cmd_path = g_strdup_printf ("/proc/%s/cmdline", name);
    g_autofree char *stat = NULL, *cmdline = NULL;
    gsize len = 0;
    if (pid <= 0 || !g_file_get_contents (stat_path, &stat, NULL, NULL) ||
        !g_file_get_contents (cmd_path, &cmdline, &len, NULL))
      continue;
    const char *end = strrchr (stat, ')');
    int ppid = 0;
    if (end == NULL || sscanf (end + 2, "%*c %d", &ppid) != 1 || ppid != parent)
      continue;
    /* argv: the host, then the module path */
    const char *arg1 = cmdline + strlen (cmdline) + 1;
    if (g_str_has_suffix (cmdline, "vss-writer-host") && arg1 < cmdline + len &&
        g_str_has_suffix (arg1, module))
      return pid;
  }
  return 0;
}

/* A writer directory with the directory writer and the hang test writer,
 * whose freeze sleeps: the window stays open until the kill. */
static char *
writers_directory_and_hang (void)
{
  char *dir = vss_test_writer_dir (dfx.tmpdir, "hang", NULL);
  g_autofree char *from = g_build_filename (g_getenv ("VSS_DIRECTORY_WRITER_DIR"), "directory.so",
                                            NULL);
  g_autofree char *to = g_build_filename (dir, "directory.so", NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  cr_assert (g_file_get_contents (from, &contents, &length, NULL));
  cr_assert (g_file_set_contents (to, contents, length, NULL));
  cr_assert_eq (chmod (to, 0644), 0);
  return dir;
}

/* `vss backup` of both writers' components, started in the background. */
static GPid
start_vss_backup (void)
{
  g_autofree char *writers = writers_directory_and_hang ();
  g_autofree char *data = dfx_path ("hang-data");
  g_autofree char *set = g_build_filename (dfx.tmpdir, "set", NULL);
  g_setenv ("VSS_WRITER_PATH", writers, TRUE);
  g_unsetenv ("VSS_WRITER_TRANSPORT");          /* the default: helper processes */
  g_setenv ("VSS_TEST_DATA_DIR", data, TRUE);
  g_setenv ("VSS_TEST_RECORD_DIR", dfx.tmpdir, TRUE);
  g_setenv ("VSS_TEST_HANG_EVENT", "freeze", TRUE);
  g_setenv ("VSS_TEST_HANG_MS", "15000", TRUE);
  char *argv[] = { (char *) g_getenv ("VSS_CLI"), "backup", "--to", set, "-c", "directory",
                   "-c", "hang", "--provider", "copy", NULL };
  GPid pid = 0;
  g_autoptr(GError) error = NULL;
  cr_assert (g_spawn_async (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
                            G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &error),
             "%s", error ? error->message : "");
  return pid;
}

/* Waits until the hang writer got freeze: the directory got it too. */
static void
wait_for_freeze (void)
{
  g_autofree char *events = g_build_filename (dfx.tmpdir, "hang.events", NULL);
  for (int i = 0; i < 3000; i++) {
    g_autofree char *text = vss_test_read_file (events);
    if (text != NULL && strstr (text, "freeze") != NULL)
      return;
    cr_assert_eq (waitpid (requester, NULL, WNOHANG), 0, "vss backup ended before the freeze");
    g_usleep (10000);
  }
  cr_assert_fail ("no freeze within 30 s");
}

Test (directory_helper, killed_vss_backup_leaves_slapd_writable_and_no_helper)
{
  dfx_setup (200, NULL);
  /* The helpers orphaned by the kill come to us, not to an init that may
   * never reap them; set after slapd started, which must not. */
  cr_assert_eq (prctl (PR_SET_CHILD_SUBREAPER, 1), 0);
  g_autofree char *more = slapd_people_ldif (201, 2000, 100);
  GPid load = slapd_add_async (dfx.slapd, more);       /* the server is being written to */
  requester = start_vss_backup ();
  wait_for_freeze ();
  pid_t helper = find_helper (requester, "directory.so");
  pid_t hang = find_helper (requester, "libvss-test-hang.so");
  cr_assert_gt (helper, 0, "no vss-writer-host for directory.so under vss backup");
  helpers = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_array_append_val (helpers, helper);
  g_array_append_val (helpers, hang);   /* asleep in its freeze: it would stay 15 s */
  g_usleep (300000);                        /* the directory's freeze has taken the lock */
  GPid modify = slapd_modify_async (dfx.slapd, "u0000003");
  cr_assert_eq (slapd_wait (modify, 300), -1, "a write went through during the freeze");

  kill (requester, SIGKILL);
  gint64 killed = g_get_monotonic_time ();
  waitpid (requester, NULL, 0);
  requester = 0;
  cr_assert_eq (slapd_wait (modify, 1000), 0, "slapd was not writable within 1 s of the kill");
  gint64 writable = g_get_monotonic_time ();
  cr_assert_eq (slapd_wait (helper, 1000), 0,
                "the directory helper %d outlived vss backup, or failed", (int) helper);
  g_array_remove_index (helpers, 0);       /* reaped */
  cr_log_info ("write %.1f ms, helper gone %.1f ms after the kill",
               (writable - killed) / 1000.0, (g_get_monotonic_time () - killed) / 1000.0);
  cr_assert_eq (slapd_wait (load, 60000), 0, "the concurrent ldapadd failed");
}
