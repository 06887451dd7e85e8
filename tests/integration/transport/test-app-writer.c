/* Application-hosted writers over the writer socket: registration, a
 * whole backup, crash/exit/hang/disconnect at every event, reconnection,
 * refused peers, hostile messages, and the relay of a daemon for a
 * requester in another process. */
#include "lifecycle-fixture.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "writer-host/vss-app-private.h"

static char *socket_path;

static void
setup (void)
{
  fx_setup ();
  socket_path = g_build_filename (fx.tmpdir, "writers.sock", NULL);
  g_setenv ("VSS_WRITER_SOCKET", socket_path, TRUE);
  g_setenv ("VSS_TEST_CRASH_MS", "20000", TRUE);
}

static void
teardown (void)
{
  vss_writer_socket_stop ();
  g_clear_pointer (&socket_path, g_free);
  fx_teardown ();
}

TestSuite (app_writer, .init = setup, .fini = teardown, .timeout = 120);

static GPid
spawn (const char *mode, const char *arg1, const char *arg2, const char *arg3)
{
  const char *argv[] = { APP_WRITER_PATH, mode, arg1, arg2, arg3, NULL };
  GPid pid = 0;
  g_autoptr(GError) error = NULL;
  cr_assert (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &pid, &error), "%s", error ? error->message : "");
  return pid;
}

static GPid
host_writer (const char *name, const char *extra)
{
  g_autofree char *module = vss_test_writer_module_path (name);
  return spawn ("host", module, socket_path, extra);
}

static int
wait_exit (GPid pid)
{
  int status = 0;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  return status;
}

static void
stop (GPid pid)
{
  kill (pid, SIGKILL);
  wait_exit (pid);
}

static gboolean
wait_registered (const char *name, gboolean present, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;) {
    VssAppEntry *entry = vss_app_server_find (name);
    gboolean found = entry != NULL;
    vss_app_entry_unref (entry);
    if (found == present)
      return TRUE;
    if (g_get_monotonic_time () > end)
      return FALSE;
    g_usleep (10000);
  }
}

static VssBackupComponents *
no_plugins (void)
{
  return fx_new (NULL, NULL);
}

/* A whole backup with the recorder hosted by an application serving
 * events @how (NULL: run, "thread": start, "context": attach); returns
 * the application's pid, still running. */
static GPid
whole_backup_served (const char *how)
{
  const char *mode = how != NULL ? how : "run";
  cr_assert (vss_writer_socket_serve (socket_path, NULL));
  GPid pid = host_writer ("recorder", how);
  cr_assert (wait_registered ("recorder", TRUE, 5000));
  VssBackupComponents *bc = no_plugins ();
  g_autofree char *id = fx_snapshot_all (bc);
  fx_complete (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "recorder");
  cr_assert_eq (status->failure, VSS_WF_NONE, "%s: %s", mode, status->failure_message);
  g_autofree char *host = g_strdup_printf ("application pid %d", (int) pid);
  cr_assert_str_eq (status->host, host, "%s", mode);
  vss_backup_components_free (bc);
  g_autofree char *events = fx_events_string ("recorder");
  cr_assert_not_null (strstr (events, "identify prepare_backup prepare_snapshot freeze thaw "
                                      "post_snapshot backup_complete"), "%s: %s", mode, events);
  return pid;
}

Test (app_writer, a_registered_writer_takes_part_in_a_whole_backup)
{
  GPid pid = whole_backup_served (NULL);
  /* The application stays registered between backups. */
  cr_assert (wait_registered ("recorder", TRUE, 100));
  stop (pid);
  cr_assert (wait_registered ("recorder", FALSE, 5000), "a dead writer stayed registered");
}

/* The client's three ways to serve events: its own thread (start) and a
 * GMainContext (attach) drive the same whole backup as run does. */
Test (app_writer, a_writer_served_from_the_clients_own_thread)
{
  stop (whole_backup_served ("thread"));
}

Test (app_writer, a_writer_served_from_a_main_context)
{
  stop (whole_backup_served ("context"));
}

static const char *const events[] = {
  "identify", "prepare_backup", "prepare_snapshot", "freeze", "thaw", "post_snapshot",
  "backup_complete",
};

static void
app_fails_at_every_event (const char *how, const char *expected)
{
  cr_assert (vss_writer_socket_serve (socket_path, NULL));
  g_setenv ("VSS_TEST_CRASH_HOW", how, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (events); i++) {
    g_setenv ("VSS_TEST_CRASH_EVENT", events[i], TRUE);
    GPid pid = host_writer ("crash", NULL);
    cr_assert (wait_registered ("crash", TRUE, 5000));
    GPid other = host_writer ("recorder", NULL);
    cr_assert (wait_registered ("recorder", TRUE, 5000));
    VssBackupComponents *bc = no_plugins ();
    cr_assert (vss_backup_components_set_event_timeout (bc, 700, NULL));
    g_autofree char *id = fx_snapshot_all (bc);
    fx_complete (bc);
    g_autoptr(VssWriterStatus) status = fx_status (bc, "crash");
    g_autoptr(VssWriterStatus) recorder = fx_status (bc, "recorder");
    cr_assert_eq (status->failure, VSS_WF_NOT_RESPONDING, "%s/%s: %s", events[i], how,
                  status->failure_message);
    cr_assert_not_null (strstr (status->failure_message, expected), "%s/%s: %s", events[i], how,
                        status->failure_message);
    cr_assert_eq (recorder->failure, VSS_WF_NONE, "%s", recorder->failure_message);
    vss_backup_components_free (bc);
    stop (pid);
    stop (other);
    cr_assert (wait_registered ("crash", FALSE, 5000));
    cr_assert (wait_registered ("recorder", FALSE, 5000));
  }
}

Test (app_writer, segfault_at_every_event)
{
  app_fails_at_every_event ("segv", "disconnected");
}

Test (app_writer, exit_at_every_event)
{
  app_fails_at_every_event ("exit", "disconnected");
}

Test (app_writer, disconnect_at_every_event)
{
  app_fails_at_every_event ("disconnect", "disconnected");
}

Test (app_writer, hang_at_every_event)
{
  app_fails_at_every_event ("hang", "did not answer within 700 ms");
}

Test (app_writer, a_writer_that_reconnects_comes_back)
{
  cr_assert (vss_writer_socket_serve (socket_path, NULL));
  g_setenv ("VSS_TEST_CRASH_EVENT", "freeze", TRUE);
  g_setenv ("VSS_TEST_CRASH_HOW", "exit", TRUE);
  GPid pid = host_writer ("crash", NULL);
  cr_assert (wait_registered ("crash", TRUE, 5000));
  VssBackupComponents *bc = no_plugins ();
  g_autofree char *id = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) failed = fx_status (bc, "crash");
  cr_assert_eq (failed->state, VSS_WS_FAILED_AT_FREEZE);
  vss_backup_components_free (bc);
  wait_exit (pid);
  cr_assert (wait_registered ("crash", FALSE, 5000));

  g_setenv ("VSS_TEST_CRASH_EVENT", "never", TRUE);
  pid = host_writer ("crash", NULL);
  cr_assert (wait_registered ("crash", TRUE, 5000));
  bc = no_plugins ();
  g_autofree char *id2 = fx_snapshot_all (bc);
  g_autoptr(VssWriterStatus) back = fx_status (bc, "crash");
  cr_assert_eq (back->failure, VSS_WF_NONE, "%s", back->failure_message);
  cr_assert_eq (back->state, VSS_WS_WAITING_FOR_BACKUP_COMPLETE);
  vss_backup_components_free (bc);
  stop (pid);
}

Test (app_writer, a_second_writer_with_the_same_name_is_refused)
{
  cr_assert (vss_writer_socket_serve (socket_path, NULL));
  GPid first = host_writer ("recorder", NULL);
  cr_assert (wait_registered ("recorder", TRUE, 5000));
  GPid second = host_writer ("recorder", NULL);
  int status = wait_exit (second);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 1, "status %d", status);
  stop (first);
}

Test (app_writer, a_peer_with_another_uid_is_refused)
{
  if (geteuid () != 0)
    cr_skip_test ("needs root: the writer must setuid() to 65534 before connecting");
  cr_assert (vss_writer_socket_serve (socket_path, NULL));
  /* uid 65534 must reach the socket: the per-test dir is 0700. */
  chmod (fx.tmpdir, 0755);
  GPid pid = host_writer ("recorder", "setuid");
  int status = wait_exit (pid);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 5, "status %d", status);
  cr_assert (wait_registered ("recorder", FALSE, 100));
}

static int
raw_connect (void)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strcpy (addr.sun_path, socket_path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_eq (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
  return fd;
}

Test (app_writer, hostile_messages_are_refused_and_the_server_goes_on)
{
  cr_assert (vss_writer_socket_serve (socket_path, NULL));
  static const char *const bodies[] = {
    "\x7f\xff\xff\xff{}",                                   /* oversized */
    "\x00\x00\x00\x64{\"type\":\"hello\"",                  /* truncated */
    "\x00\x00\x00\x09[1, 2, 3]",                            /* not an object */
    "\x00\x00\x00\x1e{\"type\":\"hello\",\"protocol\":99}", /* wrong version */
    "\x00\x00\x00\x1d{\"type\":\"hello\",\"protocol\":1}",  /* no role */
  };
  static const size_t lengths[] = { 6, 19, 13, 34, 33 };
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++) {
    int fd = raw_connect ();
    cr_assert_eq (send (fd, bodies[i], lengths[i], MSG_NOSIGNAL), (ssize_t) lengths[i]);
    shutdown (fd, SHUT_WR);
    char buf[4096];
    ssize_t total = 0, n;
    while ((n = read (fd, buf + total, sizeof buf - 1 - (size_t) total)) > 0)
      total += n;
    buf[total] = '\0';
    /* Our hello, then an "error" message, then the end. */
    cr_assert_not_null (memmem (buf, (size_t) total, "\"error\"", 7), "case %u: no error message", i);
    close (fd);
  }
  GPid pid = host_writer ("recorder", NULL);
  cr_assert (wait_registered ("recorder", TRUE, 5000), "the server stopped accepting writers");
  stop (pid);
}

Test (app_writer, a_requester_in_another_process_reaches_them_through_the_daemon)
{
  GPid daemon = spawn ("serve", socket_path, NULL, NULL);
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!g_file_test (socket_path, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < end)
    g_usleep (10000);
  GPid pid = host_writer ("recorder", NULL);
  /* This process does not serve: gather asks the daemon. */
  VssBackupComponents *bc = NULL;
  guint count = 0;
  for (int tries = 0; tries < 100 && count == 0; tries++) {
    if (bc != NULL)
      vss_backup_components_free (bc);
    g_usleep (20000);
    bc = no_plugins ();
    fx_gather (bc, VSS_BT_FULL);
    cr_assert (vss_backup_components_get_writer_metadata_count (bc, &count, NULL));
  }
  cr_assert_eq (count, 1, "the daemon's writer was not seen");
  fx_add_all (bc);
  g_autofree char *id = fx_prepare (bc);
  fx_do_snapshot (bc);
  fx_complete (bc);
  g_autoptr(VssWriterStatus) status = fx_status (bc, "recorder");
  cr_assert_eq (status->failure, VSS_WF_NONE, "%s", status->failure_message);
  cr_assert_not_null (strstr (status->host, "application pid"), "%s", status->host);
  vss_backup_components_free (bc);
  g_autofree char *seen = fx_events_string ("recorder");
  cr_assert_not_null (strstr (seen, "prepare_backup prepare_snapshot freeze thaw post_snapshot "
                                    "backup_complete"), "%s", seen);
  /* A requester that dies mid-backup: the daemon aborts the writer. */
  kill (pid, SIGKILL);
  wait_exit (pid);
  kill (daemon, SIGTERM);
  int status_code = wait_exit (daemon);
  cr_assert (WIFEXITED (status_code) && WEXITSTATUS (status_code) == 0, "daemon: %d", status_code);
  cr_assert_not (g_file_test (socket_path, G_FILE_TEST_EXISTS), "socket left behind");
}
