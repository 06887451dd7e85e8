/* test-directory-writer.c — the directory writer against a real slapd:
 * whole backups through VssBackupComponents while a client keeps adding
 * entries, reads during the freeze, restore checks, the freeze deadline. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dir-test.h"
#include "util/vss-fs.h"
#include "util/vss-process.h"

TestSuite (directory_writer, .fini = dfx_teardown, .timeout = 120);

static void
finish (VssAsync *async)
{
  g_autoptr(GError) error = NULL;
  VssAsyncStatus status = vss_async_wait (async, 60000, &error);
  vss_async_unref (async);
  cr_assert_eq (status, VSS_ASYNC_FINISHED, "%s", error ? error->message : "not finished");
}

static const char *
directory_writer_id (VssBackupComponents *bc, const char **out_caption, const char **out_name)
{
  guint count = 0;
  cr_assert (vss_backup_components_get_writer_metadata_count (bc, &count, NULL));
  for (guint i = 0; i < count; i++) {
    const VssWriterMetadata *wm = vss_backup_components_get_writer_metadata (bc, i, NULL);
    if (g_strcmp0 (vss_writer_metadata_get_writer_name (wm), "directory") != 0)
      continue;
    cr_assert_eq (vss_writer_metadata_get_component_count (wm), 1);
    const VssWmComponent *component = vss_writer_metadata_get_component (wm, 0);
    *out_caption = vss_wm_component_get_caption (component);
    *out_name = vss_wm_component_get_name (component);
    cr_assert_eq (vss_wm_component_get_database_file_count (component), 3);
    return vss_writer_metadata_get_writer_id (wm);
  }
  cr_assert_fail ("the directory writer did not answer identify");
  return NULL;
}

static VssBackupComponents *
gather (VssBackupType type)
{
  VssBackupComponents *bc = vss_backup_components_new ();
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  cr_assert (vss_backup_components_set_backup_state (bc, TRUE, FALSE, type, FALSE, NULL));
  cr_assert (vss_backup_components_gather_writer_metadata (bc, &async, NULL));
  finish (async);
  return bc;
}

/* A full backup with the copy provider; returns where the copy went. */
static char *
backup_once (char **out_bcd)
{
  g_autoptr(VssBackupComponents) bc = gather (VSS_BT_FULL);
  const char *caption = NULL, *name = NULL;
  const char *id = directory_writer_id (bc, &caption, &name);
  cr_assert (strstr (caption, "identity ") && strstr (caption, "last txn "), "%s", caption);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_add_component (bc, NULL, id, VSS_CT_DATABASE, "lmdb",
                                                  name, &error), "%s",
             error ? error->message : "");
  g_autofree char *set = NULL, *snap = NULL;
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_start_snapshot_set (bc, &set, NULL));
  cr_assert (vss_backup_components_add_to_snapshot_set (bc, dfx.slapd->db, "copy", &snap, &error),
             "%s", error ? error->message : "");
  cr_assert (vss_backup_components_prepare_for_backup (bc, &async, NULL));
  finish (async);
  cr_assert (vss_backup_components_do_snapshot_set (bc, &async, NULL));
  finish (async);
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, snap, NULL);
  cr_assert_not_null (prop);
  char *copy = g_build_filename (dfx.tmpdir, "backup", NULL);
  cr_assert (vss_fs_copy_tree (prop->snapshot_path, copy, 0, &error), "%s",
             error ? error->message : "");
  cr_assert (vss_backup_components_set_backup_succeeded (bc, NULL, id, VSS_CT_DATABASE, "lmdb",
                                                         name, TRUE, NULL));
  *out_bcd = vss_backup_components_save_as_json (bc, NULL);
  cr_assert (vss_backup_components_backup_complete (bc, &async, NULL));
  finish (async);
  return copy;
}

Test (directory_writer, backup_while_writing_is_a_consistent_prefix)
{
  dfx_setup (2000, NULL);
  g_autofree char *more = slapd_people_ldif (2001, 3000, 100);
  GPid writer = slapd_add_async (dfx.slapd, more);
  g_usleep (100000);                        /* let the adds get going */
  g_autofree char *bcd = NULL;
  g_autofree char *copy = backup_once (&bcd);
  cr_assert_eq (slapd_wait (writer, 60000), 0, "the concurrent ldapadd failed");
  cr_assert (strstr (bcd, "\"txnid=") != NULL, "no backup stamp in the BCD: %s", bcd);
  cr_assert (strstr (bcd, "last_txnid") != NULL, "no backup metadata in the BCD");
  guint n = dfx_assert_prefix (copy, 2000);
  cr_log_info ("backup holds people 1..%u of 5000", n);
  cr_assert_eq (slapd_count_people (dfx.slapd), 5000);
  g_autofree char *id_file = g_build_filename (copy, "vss-directory.id", NULL);
  cr_assert (g_file_test (id_file, G_FILE_TEST_EXISTS), "the identity file was not backed up");
  dfx_assert_served (copy, n);
}

Test (directory_writer, incremental_is_refused_with_a_reason)
{
  dfx_setup (10, NULL);
  g_autoptr(VssBackupComponents) bc = gather (VSS_BT_INCREMENTAL);
  const char *caption = NULL, *name = NULL;
  const char *id = directory_writer_id (bc, &caption, &name);
  cr_assert (vss_backup_components_add_component (bc, NULL, id, VSS_CT_DATABASE, "lmdb",
                                                  name, NULL));
  g_autofree char *set = NULL;
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_start_snapshot_set (bc, &set, NULL));
  cr_assert (vss_backup_components_prepare_for_backup (bc, &async, NULL));
  /* as in VSS, prepare itself may finish: the writer's status tells the veto */
  vss_async_wait (async, 60000, NULL);
  vss_async_unref (async);
  cr_assert (vss_backup_components_gather_writer_status (bc, &async, NULL));
  finish (async);
  guint count = 0;
  cr_assert (vss_backup_components_get_writer_status_count (bc, &count, NULL));
  gboolean seen = FALSE;
  for (guint i = 0; i < count; i++) {
    g_autoptr(VssWriterStatus) ws = vss_backup_components_get_writer_status (bc, i, NULL);
    if (g_strcmp0 (ws->writer_name, "directory") != 0)
      continue;
    seen = TRUE;
    cr_assert_eq (ws->failure, VSS_WF_NONRETRYABLE);
    cr_assert (strstr (ws->failure_message, "only full backups"), "%s", ws->failure_message);
  }
  cr_assert (seen);
}

Test (directory_writer, freeze_blocks_writes_not_reads)
{
  dfx_setup (200, NULL);
  VssWriter *writer = dfx_load_writer ();
  g_autoptr(VssEventReply) frozen = dfx_event (writer, VSS_EVENT_FREEZE);
  cr_assert (frozen->ok, "%s", frozen->message);
  GPid modify = slapd_modify_async (dfx.slapd, "u0000001");
  gint64 read_usec = 0;
  cr_assert_eq (slapd_tool (dfx.slapd, "/usr/bin/ldapsearch", "(uid=u0000150)", &read_usec,
                            NULL), 0);
  cr_log_info ("search during the freeze: %.1f ms", read_usec / 1000.0);
  cr_assert_lt (read_usec, 1000000, "a read took %ld µs during the freeze", (long) read_usec);
  cr_assert_eq (slapd_wait (modify, 300), -1, "a write went through during the freeze");
  g_autoptr(VssEventReply) thawed = dfx_event (writer, VSS_EVENT_THAW);
  cr_assert (thawed->ok, "%s", thawed->message);
  cr_assert_eq (slapd_wait (modify, 2000), 0, "the write did not complete after the thaw");
  vss_writer_free (writer);
}

Test (directory_writer, freeze_releases_itself_at_its_timeout)
{
  dfx_setup (20, "freeze_timeout_ms=300\n");
  VssWriter *writer = dfx_load_writer ();
  g_autoptr(VssEventReply) frozen = dfx_event (writer, VSS_EVENT_FREEZE);
  cr_assert (frozen->ok, "%s", frozen->message);
  GPid modify = slapd_modify_async (dfx.slapd, "u0000002");
  cr_assert_eq (slapd_wait (modify, 100), -1, "a write went through during the freeze");
  cr_assert_eq (slapd_wait (modify, 2000), 0, "no thaw came and the lock was never released");
  g_autoptr(VssEventReply) thawed = dfx_event (writer, VSS_EVENT_THAW);
  cr_assert_not (thawed->ok, "a thaw after the deadline must fail the snapshot");
  cr_assert_eq (thawed->failure, VSS_WF_TIMEOUT);
  cr_assert (strstr (thawed->message, "timeout"), "%s", thawed->message);
  vss_writer_free (writer);
}

/* The pid of @parent's child named vss-lmdb-hold, or 0. */
static pid_t
holder_of (pid_t parent)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL) {
    g_autofree char *stat_path = g_build_filename ("/proc", name, "stat", NULL);
    g_autofree char *stat = NULL;
    int ppid = 0;
    char state = 0;
    if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (stat_path, &stat, NULL, NULL))
      continue;
    const char *end = strrchr (stat, ')');
    if (end != NULL && sscanf (end + 2, "%c %d", &state, &ppid) == 2 && ppid == parent &&
        state != 'Z' && strstr (stat, "(vss-lmdb-hold)") != NULL)
      return (pid_t) atoi (name);
  }
  return 0;
}

/* The process that holds the locks starts at prepare_snapshot, outside
 * the window; the freeze only asks it; it goes with the writer. */
Test (directory_writer, holder_starts_before_the_freeze_and_goes_with_the_writer)
{
  dfx_setup (20, NULL);
  VssWriter *writer = dfx_load_writer ();
  cr_assert_eq (holder_of (getpid ()), 0, "a holder before any event");
  g_autoptr(VssEventReply) prepared = dfx_event (writer, VSS_EVENT_PREPARE_SNAPSHOT);
  cr_assert (prepared->ok, "%s", prepared->message);
  pid_t holder = holder_of (getpid ());
  cr_assert_gt (holder, 0, "prepare_snapshot started no vss-lmdb-hold");
  g_autoptr(VssEventReply) frozen = dfx_event (writer, VSS_EVENT_FREEZE);
  cr_assert (frozen->ok, "%s", frozen->message);
  cr_assert_eq (holder_of (getpid ()), holder, "the freeze started another holder");
  GPid modify = slapd_modify_async (dfx.slapd, "u0000004");
  cr_assert_eq (slapd_wait (modify, 300), -1, "a write went through during the freeze");
  g_autoptr(VssEventReply) thawed = dfx_event (writer, VSS_EVENT_THAW);
  cr_assert (thawed->ok, "%s", thawed->message);
  cr_assert_eq (slapd_wait (modify, 2000), 0, "the write did not complete after the thaw");
  vss_writer_free (writer);
  cr_assert_not (vss_process_is_alive (holder, 0), "the holder outlived its writer");
}

/* A backup process: a child that loads the writer, runs @event on it and
 * waits to be killed.  Returns once the event succeeded there. */
static pid_t
fork_writer_after (VssEvent event)
{
  int ready[2];
  cr_assert_eq (pipe (ready), 0);
  pid_t child = fork ();
  if (child == 0) {
    VssWriter *writer = dfx_load_writer ();
    g_autoptr(VssEventReply) reply = dfx_event (writer, event);
    char ok = reply->ok ? 'y' : 'n';
    if (write (ready[1], &ok, 1) != 1)
      _exit (2);
    for (;;)
      pause ();
  }
  char ok = 0;
  cr_assert_eq (read (ready[0], &ok, 1), 1);
  cr_assert_eq (ok, 'y', "the child's %s failed", vss_event_to_string (event));
  close (ready[0]);
  close (ready[1]);
  return child;
}

/* A backup process killed between prepare_snapshot and the freeze leaves
 * no holder behind (it reads end of file on its stdin). */
Test (directory_writer, holder_of_a_killed_backup_process_goes)
{
  dfx_setup (20, NULL);
  pid_t child = fork_writer_after (VSS_EVENT_PREPARE_SNAPSHOT);
  pid_t holder = holder_of (child);
  cr_assert_gt (holder, 0, "prepare_snapshot started no vss-lmdb-hold");
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  for (int i = 0; i < 100 && vss_process_is_alive (holder, 0); i++)
    g_usleep (10000);
  cr_assert_not (vss_process_is_alive (holder, 0), "the holder outlived its killed writer by 1 s");
}

/* In-process: the writer in the killed process itself (the default helper
 * process is test-directory-helper.c). */
Test (directory_writer, killed_backup_process_leaves_slapd_writable)
{
  dfx_setup (20, NULL);
  pid_t child = fork_writer_after (VSS_EVENT_FREEZE);   /* frozen, then hangs */
  GPid modify = slapd_modify_async (dfx.slapd, "u0000003");
  cr_assert_eq (slapd_wait (modify, 300), -1, "a write went through during the freeze");
  kill (child, SIGKILL);
  gint64 killed = g_get_monotonic_time ();
  waitpid (child, NULL, 0);
  cr_assert_eq (slapd_wait (modify, 1000), 0, "slapd was not writable within 1 s of the kill");
  cr_log_info ("write completed %.1f ms after the kill",
               (g_get_monotonic_time () - killed) / 1000.0);
}

Test (directory_writer, restore_refused_while_served_then_checked)
{
  dfx_setup (50, NULL);
  VssWriter *writer = dfx_load_writer ();
  g_autoptr(VssEventReply) busy = dfx_event (writer, VSS_EVENT_PRE_RESTORE);
  cr_assert_not (busy->ok, "pre_restore accepted a running slapd");
  cr_assert (strstr (busy->message, "slapd") && strstr (busy->message, "stop"), "%s",
             busy->message);
  g_autofree char *saved = dfx_copy_env (dfx.slapd->db, "saved");
  slapd_stop (dfx.slapd);
  g_autoptr(VssEventReply) pre = dfx_event (writer, VSS_EVENT_PRE_RESTORE);
  cr_assert (pre->ok, "%s", pre->message);
  /* a damaged data file (the first pages zeroed) must fail the check */
  g_autofree char *data = g_build_filename (dfx.slapd->db, "data.mdb", NULL);
  g_autofree char *lock = g_build_filename (dfx.slapd->db, "lock.mdb", NULL);
  g_autofree char *interlock = g_build_filename (dfx.slapd->db, VSS_DS_RESTORE_INTERLOCK_NAME, NULL);
  g_autofree char *zeros = g_malloc0 (65536);
  cr_assert (g_file_set_contents (data, zeros, 65536, NULL));
  cr_assert (g_file_test (interlock, G_FILE_TEST_EXISTS), "pre_restore placed no interlock");
  g_autoptr(VssEventReply) bad = dfx_event (writer, VSS_EVENT_POST_RESTORE);
  cr_assert_not (bad->ok, "post_restore accepted a zeroed data.mdb");
  cr_assert (g_file_test (interlock, G_FILE_TEST_EXISTS), "the interlock went with a bad restore");
  cr_assert_not (vss_ds_restore_gate_check (dfx.slapd->db, NULL));
  /* the good files back: checked, interlock lifted, served */
  g_autofree char *good = g_build_filename (saved, "data.mdb", NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  cr_assert (g_file_get_contents (good, &contents, &length, NULL));
  cr_assert (g_file_set_contents (data, contents, length, NULL));
  g_remove (lock);
  g_autoptr(VssEventReply) post = dfx_event (writer, VSS_EVENT_POST_RESTORE);
  cr_assert (post->ok, "%s", post->message);
  cr_assert_not (g_file_test (interlock, G_FILE_TEST_EXISTS), "the interlock stayed");
  cr_assert (vss_ds_restore_gate_check (dfx.slapd->db, NULL));
  vss_writer_free (writer);
  dfx_assert_served (dfx.slapd->db, 50);
}
