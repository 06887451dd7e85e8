/* test-fsfreeze-root.c — the fsfreeze provider on loop-mounted xfs and
 * ext4, with a real block-level tool as its command: a direct-I/O copy of
 * the device (dd) loop-mounted read-only (device-mapper, hence LVM, is
 * often missing in containers; the provider cannot tell the difference).
 * Needs root; skips itself otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vss/vss-snapshots.h>

#include "root-backup.h"
#include "util/vss-process.h"

static char *tmpdir;
static GPtrArray *mounts;   /* thawed in teardown, whatever a failed test left */

/* The command under test.  $FSF_DIR is the test's directory (not on the
 * frozen filesystem); $FSF_SLEEP makes create dawdle while frozen. */
static const char command_script[] =
  "#!/bin/sh\n"
  "set -eu\n"
  "dir=\"$FSF_DIR/snap-$VSS_SNAPSHOT_ID\"\n"
  "echo \"$1 $VSS_SNAPSHOT_ID $VSS_FS_TYPE $VSS_DEVICE $VSS_MOUNT_POINT root=$VSS_SNAPSHOT_ROOT\" >> \"$FSF_DIR/calls\"\n"
  "case \"$1\" in\n"
  "create)\n"
  "  echo $$ > \"$FSF_DIR/create.pid\"\n"
  "  if [ -n \"${FSF_SIZE_OF:-}\" ]; then stat -c %s \"$FSF_SIZE_OF\" > \"$FSF_DIR/frozen-size\"; fi\n"
  "  touch \"$FSF_DIR/frozen\"\n"
  "  if [ -n \"${FSF_SLEEP:-}\" ]; then sleep \"$FSF_SLEEP\"; fi\n"
  "  mkdir \"$dir\"\n"
  "  dd if=\"$VSS_DEVICE\" of=\"$dir.img\" bs=4M iflag=direct conv=sparse status=none\n"
  "  case \"$VSS_FS_TYPE\" in xfs) opts=ro,norecovery,nouuid ;; *) opts=ro,noload ;; esac\n"
  "  mount -o \"loop,$opts\" \"$dir.img\" \"$dir\"\n"
  "  echo \"snapshot of $VSS_DEVICE mounted\"\n"
  "  echo \"$dir\" ;;\n"
  "delete)\n"
  "  if mountpoint -q \"$dir\"; then umount \"$dir\"; fi\n"
  "  rm -rf \"$dir\" \"$dir.img\" ;;\n"
  "*) echo \"unknown verb $1\" >&2; exit 2 ;;\n"
  "esac\n";

static void
setup (void)
{
  tmpdir = vss_test_setup_env ();
  mounts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *script = g_build_filename (tmpdir, "snapshot-tool", NULL);
  g_file_set_contents_full (script, command_script, -1, G_FILE_SET_CONTENTS_NONE, 0755, NULL);
  g_setenv ("VSS_FSFREEZE_COMMAND", script, TRUE);
  g_setenv ("FSF_DIR", tmpdir, TRUE);
  g_unsetenv ("FSF_SLEEP");
  g_unsetenv ("FSF_SIZE_OF");
}

static void
teardown (void)
{
  for (guint i = 0; i < mounts->len; i++) {
    int fd = open (g_ptr_array_index (mounts, i), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 && ioctl (fd, FITHAW, 0) == 0)
      g_printerr ("# %s was still frozen at teardown\n", (char *) g_ptr_array_index (mounts, i));
    if (fd >= 0)
      close (fd);
  }
  g_clear_pointer (&mounts, g_ptr_array_unref);
  rb_teardown_env (g_steal_pointer (&tmpdir));
}

TestSuite (fsfreeze, .init = setup, .fini = teardown, .timeout = 120);

static LoopFs *
frozen_fs (const char *type)
{
  LoopFs *fs = rb_loopfs (type, g_str_equal (type, "xfs") ? 320 : 64);
  g_ptr_array_add (mounts, g_strdup (fs->mountpoint));
  return fs;
}

static char *
test_file (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static gboolean
exists (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

/* A child that creates @path (on the filesystem under test) and exits 0. */
static pid_t
start_write (const char *path)
{
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0) {
    int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    _exit (fd >= 0 && write (fd, "x", 1) == 1 ? 0 : 1);
  }
  return pid;
}

/* Milliseconds until @pid exits 0, or -1 when it has not exited within
 * @limit_ms (it is left to teardown's thaw and the kernel). */
static gint64
exit_ms (pid_t pid, guint limit_ms)
{
  gint64 start = g_get_monotonic_time ();
  for (;;) {
    int status = 0;
    if (waitpid (pid, &status, WNOHANG) == pid) {
      cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "the write failed");
      return (g_get_monotonic_time () - start) / 1000;
    }
    if (g_get_monotonic_time () - start > (gint64) limit_ms * 1000)
      return -1;
    g_usleep (1000);
  }
}

/* The filesystem of @dir takes a write within @limit_ms (not frozen). */
static void
assert_writable (const char *dir, guint limit_ms)
{
  g_autofree char *probe = g_build_filename (dir, "probe-writable", NULL);
  gint64 ms = exit_ms (start_write (probe), limit_ms);
  cr_assert_geq (ms, 0, "%s is still frozen after %u ms", dir, limit_ms);
}

static void
wait_for_file (const char *path, guint limit_ms)
{
  for (guint i = 0; i < limit_ms && !exists (path); i++)
    g_usleep (1000);
  cr_assert (exists (path), "%s did not appear within %u ms", path, limit_ms);
}

static guint
count_calls (const char *verb)
{
  g_autofree char *calls_path = test_file ("calls");
  g_autofree char *calls = vss_test_read_file (calls_path);
  g_autofree char *prefix = g_strconcat (verb, " ", NULL);
  guint n = 0;
  g_auto(GStrv) lines = g_strsplit (calls != NULL ? calls : "", "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    n += g_str_has_prefix (*line, prefix);
  return n;
}

/* No snapshot image, mount or set record left in the test's directory. */
static void
assert_nothing_left (void)
{
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    cr_assert_not (g_str_has_prefix (name, "snap-"), "%s/%s was left behind", tmpdir, name);
  g_autoptr(GPtrArray) listed = vss_snapshots_list (NULL);
  cr_assert_eq (listed->len, 0, "a set record was left behind");
}

/* ---- the snapshot itself ---- */

static void
check_snapshot_while_appending (const char *type)
{
  LoopFs *fs = frozen_fs (type);
  g_autofree char *dir = rb_make_dir (fs->mountpoint, "app");
  g_autofree char *log = g_build_filename (dir, "log", NULL);
  pid_t appender = rb_start_appender (log);   /* keeps writing: no writer pauses it */
  g_setenv ("FSF_SIZE_OF", log, TRUE);
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  VssSnapshotProp *prop = NULL;
  g_autoptr(GError) error = NULL;
  VssBackupComponents *bc = rb_snapshot (writers, dir, "fsfreeze", VSS_CTX_BACKUP, 0, &prop, &error);
  g_usleep (50000);
  rb_stop_appender (appender);
  cr_assert_not_null (bc, "%s", error ? error->message : "");
  cr_assert_str_eq (prop->provider, "fsfreeze");

  /* What create saw of the file while frozen is what the snapshot holds,
   * whole records, and the appender went on after the thaw. */
  g_autofree char *size_path = test_file ("frozen-size");
  g_autofree char *size_text = vss_test_read_file (size_path);
  cr_assert_not_null (size_text, "create did not run");
  gsize size = (gsize) g_ascii_strtoull (size_text, NULL, 10);
  g_autofree char *snap_log = g_build_filename (prop->snapshot_path, "log", NULL);
  rb_assert_prefix (snap_log, log, size);
  struct stat st;
  cr_assert (stat (log, &st) == 0 && (gsize) st.st_size > size, "the appender stayed blocked");
  rb_assert_read_only (prop->snapshot_path);
  cr_assert (g_str_has_prefix (prop->snapshot_path, tmpdir), "%s", prop->snapshot_path);
  cr_assert (g_str_has_suffix (prop->snapshot_path, "/app"), "%s", prop->snapshot_path);

  /* Told the device and the mount point; deleted with the backup. */
  g_autofree char *calls_path = test_file ("calls");
  g_autofree char *calls = vss_test_read_file (calls_path);
  g_autofree char *want = g_strdup_printf ("%s %s %s", type, fs->device, fs->mountpoint);
  cr_assert (strstr (calls, want) != NULL, "create was not told \"%s\": %s", want, calls);
  g_autofree char *snapshot_path = g_strdup (prop->snapshot_path);
  vss_snapshot_prop_free (prop);
  vss_backup_components_free (bc);
  cr_assert_eq (count_calls ("delete"), 1);
  cr_assert_not (exists (snapshot_path), "%s outlived its backup", snapshot_path);
  assert_nothing_left ();
}

Test (fsfreeze, xfs_snapshot_holds_the_file_as_at_the_freeze_while_it_is_appended)
{
  ROOT_OR_SKIP ();
  check_snapshot_while_appending ("xfs");
}

Test (fsfreeze, ext4_snapshot_holds_the_file_as_at_the_freeze_while_it_is_appended)
{
  ROOT_OR_SKIP ();
  check_snapshot_while_appending ("ext4");
}

Test (fsfreeze, a_write_waits_for_the_thaw_and_misses_the_snapshot)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = frozen_fs ("ext4");
  g_autofree char *late = g_build_filename (fs->mountpoint, "late", NULL);
  g_autofree char *frozen = test_file ("frozen");
  g_setenv ("FSF_SLEEP", "0.5", TRUE);
  pid_t waiter = fork ();   /* writes as soon as create says it runs */
  cr_assert_geq (waiter, 0);
  if (waiter == 0) {
    while (access (frozen, F_OK) != 0)
      usleep (500);
    gint64 start = g_get_monotonic_time ();
    int fd = open (late, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    _exit (fd < 0 ? 255 : (int) MIN ((g_get_monotonic_time () - start) / 10000, 254));
  }
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  VssSnapshotProp *prop = NULL;
  g_autoptr(GError) error = NULL;
  VssBackupComponents *bc = rb_snapshot (writers, fs->mountpoint, "fsfreeze", VSS_CTX_BACKUP, 0,
                                         &prop, &error);
  int status = 0;
  waitpid (waiter, &status, 0);
  cr_assert_not_null (bc, "%s", error ? error->message : "");
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) != 255, "the write failed");
  guint blocked_ms = WEXITSTATUS (status) * 10;
  cr_assert_geq (blocked_ms, 400, "a write went through in %u ms while frozen", blocked_ms);
  cr_assert (exists (late), "the write was lost");
  g_autofree char *in_snapshot = g_build_filename (prop->snapshot_path, "late", NULL);
  cr_assert_not (exists (in_snapshot), "a write made after the freeze is in the snapshot");
  vss_snapshot_prop_free (prop);
  vss_backup_components_free (bc);
}

/* ---- the watchdog and the hold limit ---- */

/* A child requester that snapshots @path with a create that sleeps. */
static pid_t
start_requester (const char *path)
{
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  g_setenv ("FSF_SLEEP", "30", TRUE);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0) {
    VssSnapshotProp *prop = NULL;
    rb_snapshot (writers, path, "fsfreeze", VSS_CTX_BACKUP, 60000, &prop, NULL);
    _exit (0);
  }
  return pid;
}

Test (fsfreeze, a_killed_requester_s_freeze_is_thawed_by_the_watchdog)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = frozen_fs ("ext4");
  pid_t requester = start_requester (fs->mountpoint);
  g_autofree char *frozen = test_file ("frozen");
  wait_for_file (frozen, 10000);

  /* Frozen now: a write waits. */
  g_autofree char *probe = g_build_filename (fs->mountpoint, "probe", NULL);
  pid_t writer = start_write (probe);
  cr_assert_eq (exit_ms (writer, 300), -1, "a write went through while frozen");

  kill (requester, SIGKILL);
  waitpid (requester, NULL, 0);
  gint64 ms = exit_ms (writer, 1000);
  cr_assert_geq (ms, 0, "still frozen 1 s after the requester was killed");

  /* The create it left running is killed too. */
  g_autofree char *pid_path = test_file ("create.pid");
  g_autofree char *pid_text = vss_test_read_file (pid_path);
  pid_t create = (pid_t) g_ascii_strtoll (pid_text, NULL, 10);
  for (int i = 0; i < 1000 && vss_process_is_alive (create, 0); i++)
    g_usleep (1000);
  cr_assert_not (vss_process_is_alive (create, 0), "the snapshot command outlived its requester");

  /* Its leftovers are the next clean-up's: delete runs, the record goes. */
  g_autoptr(GError) error = NULL;
  cr_assert_eq (vss_snapshots_clean_stale (&error), 1, "%s", error ? error->message : "");
  cr_assert_eq (count_calls ("delete"), 1);
  assert_nothing_left ();
}

/* Every process below @pid, deepest last (from /proc/PID/task/T/children). */
static void
collect_tree (pid_t pid, GArray *out)
{
  g_autofree char *tasks = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (tasks, 0, NULL);
  for (const char *tid; dir != NULL && (tid = g_dir_read_name (dir)) != NULL;) {
    g_autofree char *path = g_strdup_printf ("%s/%s/children", tasks, tid);
    g_autofree char *text = NULL;
    if (!g_file_get_contents (path, &text, NULL, NULL))
      continue;
    g_auto(GStrv) pids = g_strsplit (g_strstrip (text), " ", -1);
    for (char **p = pids; *p != NULL && **p != '\0'; p++) {
      pid_t child = (pid_t) g_ascii_strtoll (*p, NULL, 10);
      g_array_append_val (out, child);
      collect_tree (child, out);
    }
  }
}

/* What systemd does to a unit's cgroup on stop: every process of the
 * backup killed at once, the thaw watchdog too.  The freeze outlives
 * them; the next run's clean-up thaws it, since it was recorded. */
Test (fsfreeze, a_freeze_left_by_a_backup_killed_whole_is_thawed_by_the_next_clean_up)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = frozen_fs ("ext4");
  pid_t requester = start_requester (fs->mountpoint);
  g_autofree char *frozen = test_file ("frozen");
  wait_for_file (frozen, 10000);
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_array_append_val (all, requester);
  kill (requester, SIGSTOP);          /* no one reacts while the rest are found */
  collect_tree (requester, all);
  cr_assert_geq (all->len, 3, "expected the requester, its watchdog and the command");
  for (guint i = 0; i < all->len; i++)
    kill (g_array_index (all, pid_t, i), SIGSTOP);
  for (guint i = 0; i < all->len; i++)
    kill (g_array_index (all, pid_t, i), SIGKILL);
  waitpid (requester, NULL, 0);
  for (guint i = 1; i < all->len; i++)
    for (int t = 0; t < 1000 && vss_process_is_alive (g_array_index (all, pid_t, i), 0); t++)
      g_usleep (1000);

  g_autofree char *probe = g_build_filename (fs->mountpoint, "probe", NULL);
  pid_t writer = start_write (probe);
  cr_assert_eq (exit_ms (writer, 300), -1, "the filesystem was not left frozen: the test "
                "did not kill what it meant to");
  g_autoptr(GError) error = NULL;
  cr_assert_eq (vss_snapshots_clean_stale (&error), 1, "%s", error ? error->message : "");
  cr_assert_geq (exit_ms (writer, 1000), 0, "still frozen after the clean-up");
  cr_assert_eq (count_calls ("delete"), 1);
  assert_nothing_left ();
  g_autofree char *records = g_build_filename (g_getenv ("VSS_STATE_DIR"), "fsfreeze", NULL);
  g_autoptr(GDir) left = g_dir_open (records, 0, NULL);
  cr_assert (left == NULL || g_dir_read_name (left) == NULL, "a freeze record was left");
}

Test (fsfreeze, a_command_past_the_hold_limit_fails_thawed_and_leaves_nothing)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = frozen_fs ("ext4");
  g_setenv ("FSF_SLEEP", "5", TRUE);
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  VssSnapshotProp *prop = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  VssBackupComponents *bc = rb_snapshot (writers, fs->mountpoint, "fsfreeze", VSS_CTX_BACKUP, 500,
                                         &prop, &error);
  gint64 ms = (g_get_monotonic_time () - start) / 1000;
  cr_assert_null (bc);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_HOLD_WRITES_TIMEOUT), "%s",
             error ? error->message : "no error");
  cr_assert (strstr (error->message, "hold limit") != NULL, "%s", error->message);
  cr_assert_lt (ms, 3000, "the timeout took %" G_GINT64_FORMAT " ms", ms);
  assert_writable (fs->mountpoint, 200);
  cr_assert_eq (count_calls ("delete"), 1);
  assert_nothing_left ();
}

/* ---- refusals ---- */

static VssBackupComponents *
start_set (void)
{
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  VssBackupComponents *bc = vss_backup_components_new ();
  VssAsync *async = NULL;
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_set_writer_path (bc, writers, &error) &&
             vss_backup_components_initialize_for_backup (bc, NULL, &error) &&
             vss_backup_components_set_backup_state (bc, FALSE, FALSE, VSS_BT_FULL, FALSE, &error) &&
             vss_backup_components_gather_writer_metadata (bc, &async, &error),
             "%s", error ? error->message : "");
  cr_assert_eq (vss_async_wait (async, 60000, &error), VSS_ASYNC_FINISHED);
  vss_async_unref (async);
  cr_assert (vss_backup_components_start_snapshot_set (bc, NULL, &error), "%s",
             error ? error->message : "");
  return bc;
}

static void
assert_refused (const char *first, const char *first_provider, const char *second,
                const char *second_provider, const char *why)
{
  g_autoptr(VssBackupComponents) bc = start_set ();
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_add_to_snapshot_set (bc, first, first_provider, NULL, &error),
             "%s", error ? error->message : "");
  cr_assert_not (vss_backup_components_add_to_snapshot_set (bc, second, second_provider, NULL, &error),
                 "%s (%s) and %s (%s) were accepted in one set", first, first_provider, second,
                 second_provider ? second_provider : "auto");
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_INVALID_ARG), "%s", error->message);
  cr_assert (strstr (error->message, first) != NULL && strstr (error->message, second) != NULL &&
             strstr (error->message, why) != NULL, "%s", error->message);
}

Test (fsfreeze, fsfreeze_shares_its_filesystem_with_no_other_snapshot_of_the_set)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = frozen_fs ("xfs");
  LoopFs *other = frozen_fs ("ext4");
  g_autofree char *a = rb_make_dir (fs->mountpoint, "a");
  g_autofree char *b = rb_make_dir (fs->mountpoint, "b");
  assert_refused (a, "fsfreeze", b, "reflink", "self-deadlock");
  assert_refused (a, NULL, b, "fsfreeze", "self-deadlock");        /* auto: reflink */
  assert_refused (a, "fsfreeze", b, "copy", "self-deadlock");
  assert_refused (a, "fsfreeze", b, "fsfreeze", "mount point");

  /* Other filesystems mix freely; nothing was frozen by the refusals. */
  g_autoptr(VssBackupComponents) bc = start_set ();
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_add_to_snapshot_set (bc, a, "fsfreeze", NULL, &error) &&
             vss_backup_components_add_to_snapshot_set (bc, other->mountpoint, "copy", NULL, &error),
             "%s", error ? error->message : "");
  assert_writable (fs->mountpoint, 1000);
}

Test (fsfreeze, unsupported_filesystem_or_missing_command_is_refused_before_any_freeze)
{
  ROOT_OR_SKIP ();
  g_autofree char *tmpfs = rb_make_dir (tmpdir, "tmpfs");
  cr_assert_eq (mount ("tmpfs", tmpfs, "tmpfs", 0, "size=4m"), 0);
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  VssSnapshotProp *prop = NULL;
  g_autoptr(GError) error = NULL;
  VssBackupComponents *bc = rb_snapshot (writers, tmpfs, "fsfreeze", VSS_CTX_BACKUP, 0, &prop, &error);
  cr_assert_null (bc);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER), "%s",
             error ? error->message : "no error");
  cr_assert (strstr (error->message, "is on tmpfs") != NULL, "%s", error->message);

  /* Never picked by itself, even where nothing else fits. */
  g_clear_error (&error);
  bc = rb_snapshot (writers, tmpfs, NULL, VSS_CTX_BACKUP, 0, &prop, &error);
  cr_assert_not_null (bc, "%s", error ? error->message : "");
  cr_assert_str_eq (prop->provider, "copy");
  vss_snapshot_prop_free (prop);
  vss_backup_components_free (bc);

  /* No command configured: vetoed at prepare, before any freeze. */
  LoopFs *fs = frozen_fs ("ext4");
  g_unsetenv ("VSS_FSFREEZE_COMMAND");
  bc = rb_snapshot (writers, fs->mountpoint, "fsfreeze", VSS_CTX_BACKUP, 0, &prop, &error);
  cr_assert_null (bc);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_PROVIDER_VETO), "%s", error->message);
  cr_assert (strstr (error->message, "VSS_FSFREEZE_COMMAND") != NULL, "%s", error->message);
  cr_assert_eq (count_calls ("create"), 0);
  umount2 (tmpfs, MNT_DETACH);
}

Test (fsfreeze, a_filesystem_frozen_by_someone_else_is_refused_and_left_frozen)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = frozen_fs ("ext4");
  int fd = open (fs->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cr_assert_geq (fd, 0);
  cr_assert_eq (ioctl (fd, FIFREEZE, 0), 0, "%s", g_strerror (errno));
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  VssSnapshotProp *prop = NULL;
  g_autoptr(GError) error = NULL;
  VssBackupComponents *bc = rb_snapshot (writers, fs->mountpoint, "fsfreeze", VSS_CTX_BACKUP, 0,
                                         &prop, &error);
  cr_assert_null (bc);
  cr_assert (error != NULL && strstr (error->message, "already frozen") != NULL, "%s",
             error ? error->message : "no error");
  cr_assert_eq (count_calls ("create"), 0);

  /* Its freeze is not ours to end: still frozen (FIFREEZE again: EBUSY). */
  cr_assert_neq (ioctl (fd, FIFREEZE, 0), 0, "the other program's freeze was thawed");
  cr_assert_eq (errno, EBUSY);
  cr_assert_eq (ioctl (fd, FITHAW, 0), 0);
  close (fd);
  assert_writable (fs->mountpoint, 1000);
}
