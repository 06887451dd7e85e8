/* test-crash-root.c — what a requester that dies leaves behind, and the
 * hold limit, on real filesystems.  Needs root; skips itself otherwise. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vss/vss-snapshots.h>

#include "root-backup.h"

VSS_TEST_TMPDIR_FIXTURE (setup, teardown, rb_setup_env, rb_teardown_env);

TestSuite (crash, .init = setup, .fini = teardown, .timeout = 120);

static char *
make_tree (const char *parent, const char *name, guint files)
{
  char *dir = g_build_filename (parent, name, NULL);
  cr_assert_eq (g_mkdir_with_parents (dir, 0755), 0);
  for (guint i = 0; i < files; i++) {
    g_autofree char *leaf = g_strdup_printf ("f%04u", i);
    g_autofree char *path = g_build_filename (dir, leaf, NULL);
    cr_assert (g_file_set_contents (path, leaf, -1, NULL));
  }
  return dir;
}

/* A child that makes a snapshot set of @path in @context, reports its
 * snapshot path on @fd, and waits to be killed. */
static pid_t
snapshot_then_hang (const char *path, VssSnapshotContext context, char **out_snapshot_path)
{
  int fds[2];
  cr_assert_eq (pipe (fds), 0);
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0) {
    close (fds[0]);
    VssSnapshotProp *prop = NULL;
    VssBackupComponents *bc = rb_snapshot (writers, path, NULL, context, 0, &prop, NULL);
    const char *line = bc != NULL ? prop->snapshot_path : "FAILED";
    if (write (fds[1], line, strlen (line)) < 0)
      _exit (1);
    close (fds[1]);
    pause ();
    _exit (0);
  }
  close (fds[1]);
  char buf[4096] = { 0 };
  ssize_t n = read (fds[0], buf, sizeof buf - 1);
  close (fds[0]);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  cr_assert_gt (n, 0);
  cr_assert_str_neq (buf, "FAILED", "the child could not make its snapshot");
  *out_snapshot_path = g_strdup (buf);
  return pid;
}

Test (crash, leftovers_of_a_killed_requester_are_cleaned_or_listed)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = rb_loopfs ("xfs", 320);
  g_autofree char *a = make_tree (fs->mountpoint, "a", 3);
  g_autofree char *b = make_tree (fs->mountpoint, "b", 3);
  g_autofree char *lost = NULL, *kept = NULL;
  /* Persistent first: the second child's start_snapshot_set cleans what
   * dead requesters left, and must keep that one. */
  snapshot_then_hang (b, VSS_CTX_APP_ROLLBACK, &kept);
  snapshot_then_hang (a, VSS_CTX_BACKUP, &lost);
  struct stat st;
  cr_assert_eq (lstat (kept, &st), 0, "a persistent snapshot was cleaned as stale");
  cr_assert_eq (lstat (lost, &st), 0, "the killed child's snapshot should still be there");

  g_autoptr(GPtrArray) before = vss_snapshots_list (NULL);
  cr_assert_eq (before->len, 2);
  g_autoptr(GError) error = NULL;
  cr_assert_eq (vss_snapshots_clean_stale (&error), 1, "%s", error ? error->message : "");
  cr_assert_neq (lstat (lost, &st), 0, "%s (non-persistent, creator dead) was not removed", lost);

  g_autoptr(GPtrArray) after = vss_snapshots_list (NULL);
  cr_assert_eq (after->len, 1);
  const VssSnapshotProp *prop = g_ptr_array_index (after, 0);
  cr_assert_str_eq (prop->original_path, b);
  cr_assert_str_eq (prop->snapshot_path, kept);
  cr_assert_str_eq (prop->provider, "reflink");
  g_autofree char *f = g_build_filename (kept, "f0001", NULL);
  g_autofree char *contents = vss_test_read_file (f);
  cr_assert_str_eq (contents, "f0001");

  cr_assert (vss_snapshots_delete (prop->snapshot_set_id, &error), "%s", error ? error->message : "");
  cr_assert_neq (lstat (kept, &st), 0, "%s was not deleted", kept);
  g_autoptr(GPtrArray) last = vss_snapshots_list (NULL);
  cr_assert_eq (last->len, 0);
  cr_assert_not (vss_snapshots_delete (prop->snapshot_set_id, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND));
}

Test (crash, the_next_snapshot_set_cleans_a_dead_requesters_leftovers)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = rb_loopfs ("btrfs", 256);
  g_autofree char *a = make_tree (fs->mountpoint, "a", 2);
  g_autofree char *lost = NULL;
  snapshot_then_hang (a, VSS_CTX_BACKUP, &lost);
  struct stat st;
  cr_assert_eq (lstat (lost, &st), 0);
  /* A new backup in this process: start_snapshot_set cleans first. */
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  VssSnapshotProp *prop = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupComponents) bc = rb_snapshot (writers, a, NULL, VSS_CTX_BACKUP, 0, &prop, &error);
  cr_assert_not_null (bc, "%s", error ? error->message : "");
  cr_assert_neq (lstat (lost, &st), 0, "the dead requester's btrfs snapshot %s remains", lost);
  cr_assert_str_eq (prop->provider, "btrfs");
  vss_snapshot_prop_free (prop);
}

Test (crash, hold_limit_failure_thaws_and_leaves_nothing)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = rb_loopfs ("xfs", 320);
  g_autofree char *dir = make_tree (fs->mountpoint, "many", 400);
  g_autofree char *log = g_build_filename (dir, "log", NULL);
  pid_t appender = rb_start_appender (log);
  g_autofree char *pid = g_strdup_printf ("%d", (int) appender);
  g_setenv ("VSS_TEST_PAUSE_PID", pid, TRUE);
  g_setenv ("VSS_TEST_PAUSE_FILE", log, TRUE);
  g_autofree char *writers = rb_writer_dir (tmpdir, TRUE);
  VssSnapshotProp *prop = NULL;
  g_autoptr(GError) error = NULL;
  /* 400 clones take several ms; 1 ms of hold is not enough. */
  g_autoptr(VssBackupComponents) bc = rb_snapshot (writers, dir, "reflink", VSS_CTX_BACKUP, 1,
                                                   &prop, &error);
  struct stat before, after;
  stat (log, &before);
  g_usleep (50000);
  stat (log, &after);
  rb_stop_appender (appender);
  cr_assert_null (bc);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_HOLD_WRITES_TIMEOUT), "%s",
             error ? error->message : "no error");
  cr_assert (strstr (error->message, "hold limit") != NULL, "%s", error->message);
  cr_assert_gt (after.st_size, before.st_size, "the application is still frozen");
  g_autofree char *hidden = g_build_filename (fs->mountpoint, ".vss-snapshots", NULL);
  g_autoptr(GDir) d = g_dir_open (hidden, 0, NULL);
  cr_assert (d == NULL || g_dir_read_name (d) == NULL, "a half-made image is left in %s", hidden);
  g_autoptr(GPtrArray) listed = vss_snapshots_list (NULL);
  cr_assert_eq (listed->len, 0, "the failed set is still recorded");
}
