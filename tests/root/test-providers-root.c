/* test-providers-root.c — the providers on real filesystems (loop-mounted
 * btrfs, xfs and ext4 images), driven through the public API.  Needs
 * root; skips itself otherwise. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vss/vss-snapshots.h>

#include "providers/vss-provider.h"
#include "root-backup.h"

VSS_TEST_TMPDIR_FIXTURE (setup, teardown, rb_setup_env, rb_teardown_env);

TestSuite (root, .init = setup, .fini = teardown, .timeout = 120);

static void
run (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  cr_assert (loopfs_run (argv, NULL, &error), "%s", error ? error->message : "");
}

static const char *
chosen (const char *path)
{
  g_autoptr(GError) error = NULL;
  const VssProvider *provider = vss_provider_choose (path, &error);
  cr_assert_not_null (provider, "%s: %s", path, error ? error->message : "");
  return provider->name;
}

Test (root, auto_selection_picks_the_cheapest_provider_per_filesystem)
{
  ROOT_OR_SKIP ();
  LoopFs *btrfs = rb_loopfs ("btrfs", 256);
  LoopFs *xfs = rb_loopfs ("xfs", 320);
  LoopFs *ext4 = rb_loopfs ("ext4", 64);
  g_autofree char *vol = g_build_filename (btrfs->mountpoint, "vol", NULL);
  run ((const char *const[]) { "btrfs", "-q", "subvolume", "create", vol, NULL });
  g_autofree char *inside = rb_make_dir (vol, "deep/inside");
  g_autofree char *on_xfs = rb_make_dir (xfs->mountpoint, "data");
  g_autofree char *on_ext4 = rb_make_dir (ext4->mountpoint, "data");
  g_autofree char *tmpfs = rb_make_dir (tmpdir, "tmpfs");
  cr_assert_eq (mount ("tmpfs", tmpfs, "tmpfs", 0, "size=4m"), 0);

  cr_expect_str_eq (chosen (vol), "btrfs");
  cr_expect_str_eq (chosen (inside), "btrfs");
  cr_expect_str_eq (chosen (on_xfs), "reflink");
  cr_expect_str_eq (chosen (on_ext4), "copy");
  cr_expect_str_eq (chosen (tmpfs), "copy");

  /* Overridable by name where the provider fits, refused where not. */
  g_autoptr(GError) error = NULL;
  cr_expect (vss_provider_reflink.supports (inside, &error));
  cr_expect_not (vss_provider_reflink.supports (on_ext4, &error));
  cr_expect (g_error_matches (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER));
  cr_expect (strstr (error->message, "ext4") != NULL, "%s", error->message);
  umount2 (tmpfs, MNT_DETACH);
}

Test (root, unsupported_filesystem_is_refused_naming_it)
{
  ROOT_OR_SKIP ();
  g_autofree char *writers = rb_writer_dir (tmpdir, FALSE);
  VssSnapshotProp *prop = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupComponents) bc = rb_snapshot (writers, "/proc/self", NULL, VSS_CTX_BACKUP, 0,
                                                   &prop, &error);
  cr_assert_null (bc);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED), "%s",
             error ? error->message : "no error");
  cr_assert (strstr (error->message, "proc filesystem") != NULL, "%s", error->message);

  /* btrfs named for an ext4 path: the provider's own refusal. */
  LoopFs *ext4 = rb_loopfs ("ext4", 64);
  g_clear_error (&error);
  bc = rb_snapshot (writers, ext4->mountpoint, "btrfs", VSS_CTX_BACKUP, 0, &prop, &error);
  cr_assert_null (bc);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER), "%s",
             error ? error->message : "no error");
  cr_assert (strstr (error->message, "ext4, not btrfs") != NULL, "%s", error->message);
}

/* A backup of @dir with the pause writer freezing a process that keeps
 * appending to @dir/log: the snapshot must hold exactly what the file had
 * at the freeze, be read-only, and disappear when the backup ends. */
static void
check_consistent_snapshot (const char *dir, const char *want_provider)
{
  g_autofree char *log = g_build_filename (dir, "log", NULL);
  pid_t appender = rb_start_appender (log);
  g_autofree char *pid = g_strdup_printf ("%d", (int) appender);
  g_setenv ("VSS_TEST_PAUSE_PID", pid, TRUE);
  g_setenv ("VSS_TEST_PAUSE_FILE", log, TRUE);
  g_autofree char *writers = rb_writer_dir (tmpdir, TRUE);
  VssSnapshotProp *prop = NULL;
  g_autoptr(GError) error = NULL;
  VssBackupComponents *bc = rb_snapshot (writers, dir, NULL, VSS_CTX_BACKUP, 0, &prop, &error);
  g_usleep (20000);   /* the appender runs on after the thaw */
  rb_stop_appender (appender);
  cr_assert_not_null (bc, "%s", error ? error->message : "");
  cr_assert_str_eq (prop->provider, want_provider);

  g_autofree char *size_path = g_build_filename (tmpdir, "frozen-size", NULL);
  g_autofree char *size_text = vss_test_read_file (size_path);
  cr_assert_not_null (size_text, "the pause writer did not freeze");
  g_autofree char *snap_log = g_build_filename (prop->snapshot_path, "log", NULL);
  rb_assert_prefix (snap_log, log, (gsize) g_ascii_strtoull (size_text, NULL, 10));
  /* btrfs holds the tree at one instant; reflink and copy go file by file */
  g_autofree char *atomic_path = g_build_filename (tmpdir, "atomic", NULL);
  g_autofree char *atomic = vss_test_read_file (atomic_path);
  cr_assert_str_eq (atomic != NULL ? atomic : "(none)", g_str_equal (want_provider, "btrfs") ? "1" : "0",
                    "vss_writer_get_snapshot_is_atomic with the %s provider", want_provider);
  rb_assert_read_only (prop->snapshot_path);

  /* Recorded while it exists, gone with the backup (non-persistent). */
  g_autoptr(GPtrArray) listed = vss_snapshots_list (NULL);
  cr_assert_eq (listed->len, 1);
  g_autofree char *snapshot_path = g_strdup (prop->snapshot_path);
  vss_snapshot_prop_free (prop);
  vss_backup_components_free (bc);
  struct stat st;
  cr_assert_neq (lstat (snapshot_path, &st), 0, "%s outlived its backup", snapshot_path);
  g_autoptr(GPtrArray) after = vss_snapshots_list (NULL);
  cr_assert_eq (after->len, 0, "the set record outlived its backup");
}

Test (root, btrfs_snapshot_is_consistent_read_only_and_removed)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = rb_loopfs ("btrfs", 256);
  g_autofree char *vol = g_build_filename (fs->mountpoint, "vol", NULL);
  run ((const char *const[]) { "btrfs", "-q", "subvolume", "create", vol, NULL });
  g_autofree char *dir = rb_make_dir (vol, "app");   /* inside the subvolume, not its root */
  check_consistent_snapshot (dir, "btrfs");
}

Test (root, reflink_snapshot_is_consistent_read_only_and_removed)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = rb_loopfs ("xfs", 320);
  g_autofree char *dir = rb_make_dir (fs->mountpoint, "app");
  check_consistent_snapshot (dir, "reflink");
}

Test (root, copy_snapshot_is_consistent_read_only_and_removed)
{
  ROOT_OR_SKIP ();
  LoopFs *fs = rb_loopfs ("ext4", 64);
  g_autofree char *dir = rb_make_dir (fs->mountpoint, "app");
  check_consistent_snapshot (dir, "copy");
}
