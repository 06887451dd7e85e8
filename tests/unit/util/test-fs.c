/* test-fs.c — vss-fs: copy, remove, size, atomic write, filesystem type. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/vss-fs-private.h"
#include "vss-test.h"

VSS_TEST_ENV_FIXTURE (setup, teardown);

TestSuite (fs, .init = setup, .fini = teardown);

static char *
tmp_path (const char *rel)
{
  return g_build_filename (tmpdir, rel, NULL);
}

/* src/ with files of several modes, a nested and an empty directory. */
static char *
make_sample_tree (void)
{
  char *src = tmp_path ("src");
  g_autofree char *sub = g_build_filename (src, "sub", NULL);
  g_autofree char *deep = g_build_filename (sub, "deep", NULL);
  g_autofree char *empty = g_build_filename (src, "empty", NULL);
  cr_assert_eq (g_mkdir_with_parents (deep, 0755), 0);
  cr_assert_eq (g_mkdir (empty, 0700), 0);
  g_autofree char *a = g_build_filename (src, "a.txt", NULL);
  g_autofree char *b = g_build_filename (sub, "b.bin", NULL);
  g_autofree char *c = g_build_filename (deep, "c", NULL);
  g_autofree char *s = g_build_filename (src, "setuid", NULL);
  vss_test_put_file (a, "alpha\n", 0640);
  vss_test_put_file (b, "", 0600);
  vss_test_put_file (c, "gamma gamma gamma\n", 0444);
  vss_test_put_file (s, "#!/bin/sh\n", 04755);
  vss_test_set_mtime (a, 1600000000, 123456789);
  vss_test_set_mtime (c, 1500000000, 1);
  cr_assert_eq (chmod (sub, 02750), 0);
  cr_assert_eq (chmod (deep, 0555), 0);
  vss_test_set_mtime (deep, 1400000000, 987654321);
  vss_test_set_mtime (empty, 1300000000, 5);
  vss_test_set_mtime (src, 1200000000, 42);
  return src;
}

Test (fs, copy_tree_round_trips_content_modes_and_times)
{
  g_autofree char *src = make_sample_tree ();
  g_autofree char *dst = tmp_path ("dst");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree (src, dst, 0, &error), "%s", error ? error->message : "");
  vss_test_assert_same_tree (src, dst);
}

Test (fs, copy_tree_of_a_single_file)
{
  g_autofree char *src = tmp_path ("one");
  g_autofree char *dst = tmp_path ("two");
  vss_test_put_file (src, "just one", 0604);
  vss_test_set_mtime (src, 1234567890, 999999999);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree (src, dst, 0, &error), "%s", error ? error->message : "");
  vss_test_assert_same_tree (src, dst);
}

Test (fs, copy_tree_copies_symlinks_as_links)
{
  g_autofree char *src = tmp_path ("src");
  g_autofree char *outside = tmp_path ("outside");
  g_autofree char *secret = g_build_filename (outside, "secret", NULL);
  cr_assert_eq (g_mkdir_with_parents (src, 0755), 0);
  cr_assert_eq (g_mkdir_with_parents (outside, 0755), 0);
  vss_test_put_file (secret, "do not copy", 0644);
  g_autofree char *to_dir = g_build_filename (src, "to-dir", NULL);
  g_autofree char *dangling = g_build_filename (src, "dangling", NULL);
  g_autofree char *relative = g_build_filename (src, "relative", NULL);
  cr_assert_eq (symlink (outside, to_dir), 0);
  cr_assert_eq (symlink ("/nonexistent/nowhere", dangling), 0);
  cr_assert_eq (symlink ("../outside/secret", relative), 0);
  vss_test_set_mtime (dangling, 1111111111, 111);

  g_autofree char *dst = tmp_path ("dst");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree (src, dst, 0, &error), "%s", error ? error->message : "");
  vss_test_assert_same_tree (src, dst);
  g_autofree char *through = g_build_filename (dst, "to-dir", "secret", NULL);
  struct stat st;
  g_autofree char *link_copy = g_build_filename (dst, "to-dir", NULL);
  cr_assert_eq (lstat (link_copy, &st), 0);
  cr_assert (S_ISLNK (st.st_mode));
  /* The link still points outside; nothing of outside/ was copied in. */
  cr_assert_eq (access (through, F_OK), 0);
  g_autofree char *target = g_file_read_link (link_copy, NULL);
  cr_assert_str_eq (target, outside);
}

Test (fs, copy_tree_copies_user_xattrs)
{
  g_autofree char *src = tmp_path ("src");
  cr_assert_eq (g_mkdir (src, 0755), 0);
  g_autofree char *file = g_build_filename (src, "f", NULL);
  vss_test_put_file (file, "x", 0644);
  if (setxattr (file, "user.vss.test", "value-1", 7, 0) != 0 ||
      setxattr (src, "user.vss.dir", "d", 1, 0) != 0) {
    cr_skip_test ("the temp filesystem refuses user xattrs: %s", g_strerror (errno));
  }
  g_autofree char *dst = tmp_path ("dst");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree (src, dst, 0, &error), "%s", error ? error->message : "");
  g_autofree char *copy = g_build_filename (dst, "f", NULL);
  char buf[32] = { 0 };
  cr_assert_eq (getxattr (copy, "user.vss.test", buf, sizeof buf), 7);
  cr_assert_str_eq (buf, "value-1");
  memset (buf, 0, sizeof buf);
  cr_assert_eq (getxattr (dst, "user.vss.dir", buf, sizeof buf), 1);
  cr_assert_str_eq (buf, "d");
}

Test (fs, copy_tree_keeps_sparse_files_sparse)
{
  g_autofree char *src = tmp_path ("sparse");
  const off_t size = 64 * 1024 * 1024;
  int fd = open (src, O_WRONLY | O_CREAT | O_EXCL, 0644);
  cr_assert_geq (fd, 0);
  cr_assert_eq (ftruncate (fd, size), 0);
  cr_assert_eq (pwrite (fd, "middle", 6, 32 * 1024 * 1024), 6);
  cr_assert_eq (pwrite (fd, "end", 3, size - 3), 3);
  close (fd);
  struct stat st;
  cr_assert_eq (stat (src, &st), 0);
  if ((off_t) st.st_blocks * 512 > size / 4)
    cr_skip_test ("the temp filesystem does not make sparse files");

  g_autofree char *dst = tmp_path ("copy");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree (src, dst, 0, &error), "%s", error ? error->message : "");
  cr_assert_eq (stat (dst, &st), 0);
  cr_assert_eq (st.st_size, size);
  cr_assert_lt ((off_t) st.st_blocks * 512, 1024 * 1024, "copy allocates %lld bytes",
                (long long) st.st_blocks * 512);
  cr_assert (vss_test_same_contents (src, dst));
}

Test (fs, copy_tree_past_deadline_times_out_and_leaves_nothing)
{
  g_autofree char *src = make_sample_tree ();
  g_autofree char *dst = tmp_path ("dst");
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_fs_copy_tree (src, dst, g_get_monotonic_time () - 1, &error));
  cr_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  cr_assert (strstr (error->message, src) != NULL, "%s", error->message);
  cr_assert_neq (access (dst, F_OK), 0, "partial copy left at %s", dst);
}

Test (fs, copy_tree_deadline_inside_a_big_file_leaves_nothing)
{
  g_autofree char *src = make_sample_tree ();
  g_autofree char *big = g_build_filename (src, "big", NULL);
  /* 64 MiB of real data takes well over the 2 ms allowed below. */
  gsize len = 64 * 1024 * 1024;
  g_autofree char *data = g_malloc (len);
  memset (data, 'v', len);
  cr_assert (g_file_set_contents (big, data, len, NULL));
  g_autofree char *dst = tmp_path ("dst");
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_fs_copy_tree (src, dst, g_get_monotonic_time () + 2000, &error));
  cr_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT), "%s", error->message);
  cr_assert_neq (access (dst, F_OK), 0, "partial copy left at %s", dst);
}

Test (fs, copy_tree_error_names_the_path)
{
  g_autofree char *src = make_sample_tree ();
  g_autofree char *blocker = tmp_path ("blocker");
  vss_test_put_file (blocker, "", 0644);
  g_autofree char *dst = g_build_filename (blocker, "dst", NULL);   /* parent is a file */
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_fs_copy_tree (src, dst, 0, &error));
  cr_assert_eq (error->domain, G_IO_ERROR);
  cr_assert (strstr (error->message, dst) != NULL, "%s", error->message);
  cr_assert (strstr (error->message, g_strerror (ENOTDIR)) != NULL, "%s", error->message);
}

Test (fs, copy_tree_refuses_an_existing_target)
{
  g_autofree char *src = make_sample_tree ();
  g_autofree char *dst = tmp_path ("dst");
  cr_assert_eq (g_mkdir (dst, 0755), 0);
  g_autofree char *keep = g_build_filename (dst, "keep", NULL);
  vss_test_put_file (keep, "mine", 0644);
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_fs_copy_tree (src, dst, 0, &error));
  cr_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS));
  cr_assert_eq (access (keep, F_OK), 0, "the existing target was touched");
}

Test (fs, copy_tree_keeps_owners_and_fifos_as_root)
{
  if (geteuid () != 0)
    cr_skip_test ("owners and device nodes are copied only as root");
  g_autofree char *src = tmp_path ("src");
  cr_assert_eq (g_mkdir (src, 0755), 0);
  g_autofree char *file = g_build_filename (src, "owned", NULL);
  g_autofree char *fifo = g_build_filename (src, "fifo", NULL);
  vss_test_put_file (file, "x", 0644);
  cr_assert_eq (lchown (file, 1234, 4321), 0);
  cr_assert_eq (chmod (file, 06755), 0);   /* chown cleared the bits */
  cr_assert_eq (mkfifo (fifo, 0620), 0);
  g_autofree char *dst = tmp_path ("dst");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree (src, dst, 0, &error), "%s", error ? error->message : "");
  vss_test_assert_same_tree (src, dst);
}

Test (fs, remove_tree_does_not_follow_symlinks)
{
  g_autofree char *victim = tmp_path ("victim");
  g_autofree char *outside = tmp_path ("outside");
  g_autofree char *precious = g_build_filename (outside, "precious", NULL);
  g_autofree char *sub = g_build_filename (victim, "sub", NULL);
  g_autofree char *link = g_build_filename (sub, "link", NULL);
  cr_assert_eq (g_mkdir_with_parents (sub, 0755), 0);
  cr_assert_eq (g_mkdir (outside, 0755), 0);
  vss_test_put_file (precious, "keep me", 0644);
  cr_assert_eq (symlink (outside, link), 0);
  cr_assert_eq (chmod (sub, 0500), 0);   /* removable anyway */

  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_remove_tree (victim, &error), "%s", error ? error->message : "");
  cr_assert_neq (access (victim, F_OK), 0);
  cr_assert_eq (access (precious, F_OK), 0, "removal followed the symlink");
}

Test (fs, remove_tree_of_a_missing_path_succeeds)
{
  g_autofree char *missing = tmp_path ("no/such/thing");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_remove_tree (missing, &error));
  cr_assert (vss_fs_remove_tree (missing, &error));
}

Test (fs, remove_tree_of_a_symlink_removes_only_the_link)
{
  g_autofree char *outside = tmp_path ("outside");
  g_autofree char *file = g_build_filename (outside, "f", NULL);
  cr_assert_eq (g_mkdir (outside, 0755), 0);
  vss_test_put_file (file, "x", 0644);
  g_autofree char *link_name = tmp_path ("link");
  cr_assert_eq (symlink (outside, link_name), 0);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_remove_tree (link_name, &error));
  cr_assert_eq (access (file, F_OK), 0);
  struct stat st;
  cr_assert_neq (lstat (link_name, &st), 0);
}

Test (fs, tree_size_sums_regular_files)
{
  g_autofree char *src = make_sample_tree ();
  g_autofree char *link = g_build_filename (src, "link", NULL);
  cr_assert_eq (symlink ("/etc/passwd", link), 0);   /* not counted */
  guint64 bytes = 0;
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_tree_size (src, &bytes, &error), "%s", error ? error->message : "");
  cr_assert_eq (bytes, strlen ("alpha\n") + strlen ("gamma gamma gamma\n") + strlen ("#!/bin/sh\n"));
  g_autofree char *missing = tmp_path ("missing");
  cr_assert_not (vss_fs_tree_size (missing, &bytes, &error));
  cr_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

Test (fs, write_atomic_writes_and_replaces)
{
  g_autofree char *path = tmp_path ("state.json");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_write_atomic (path, "one", 3, 0600, &error));
  cr_assert (vss_fs_write_atomic (path, "two!", 4, 0640, &error));
  g_autofree char *got = vss_test_read_file (path);
  cr_assert_str_eq (got, "two!");
  struct stat st;
  cr_assert_eq (stat (path, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0640);
  /* config/, state/, runtime/ and the file: no temp file stayed. */
  cr_assert_eq (count_entries (tmpdir), 4);
}

Test (fs, write_atomic_failure_leaves_nothing)
{
  g_autofree char *missing = tmp_path ("no-dir/file");
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_fs_write_atomic (missing, "x", 1, 0644, &error));
  cr_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  cr_assert (strstr (error->message, missing) != NULL, "%s", error->message);
  g_clear_error (&error);

  /* The rename fails when the target is a directory, after the temp file
   * was written: it must be removed. */
  g_autofree char *dir_target = tmp_path ("config/target");
  cr_assert_eq (g_mkdir (dir_target, 0755), 0);
  cr_assert_not (vss_fs_write_atomic (dir_target, "x", 1, 0644, &error));
  cr_assert (strstr (error->message, dir_target) != NULL, "%s", error->message);
  g_autofree char *config = tmp_path ("config");
  cr_assert_eq (count_entries (config), 1, "a temp file was left in %s", config);
}

Test (fs, type_name_knows_proc_and_the_temp_fs)
{
  g_autofree char *proc = vss_fs_type_name ("/proc");
  cr_assert_str_eq (proc, "proc");
  g_autofree char *tmp = vss_fs_type_name (tmpdir);
  cr_assert_not (g_str_has_prefix (tmp, "unknown"), "temp fs: %s", tmp);
  g_autofree char *missing = tmp_path ("missing");
  g_autofree char *none = vss_fs_type_name (missing);
  cr_assert (g_str_has_prefix (none, "unknown ("), "%s", none);
}

/* ---- a tree that changes while it is walked ---- */

typedef struct {
  char *dir;
  volatile gint stop;
} Churn;

static gpointer
churn (gpointer data)
{
  Churn *c = data;
  for (guint i = 0; !g_atomic_int_get (&c->stop); i++) {
    g_autofree char *name = g_strdup_printf ("%s/tmp-%u", c->dir, i % 64);
    g_file_set_contents (name, "x", 1, NULL);
    g_unlink (name);
  }
  return NULL;
}

Test (fs, files_vanishing_during_a_walk_are_skipped_not_fatal)
{
  g_autofree char *src = tmp_path ("live");
  g_mkdir_with_parents (src, 0755);
  for (int i = 0; i < 200; i++) {
    g_autofree char *name = g_strdup_printf ("%s/keep-%03d", src, i);
    cr_assert (g_file_set_contents (name, "kept", 4, NULL));
  }
  Churn c = { src, 0 };
  GThread *thread = g_thread_new ("churn", churn, &c);
  for (int round = 0; round < 40; round++) {
    g_autofree char *leaf = g_strdup_printf ("copy-%d", round);
    g_autofree char *dst = tmp_path (leaf);
    g_autoptr(GError) error = NULL;
    guint64 bytes = 0;
    cr_assert (vss_fs_tree_size (src, &bytes, &error), "round %d: %s", round, error->message);
    cr_assert_geq (bytes, 200 * 4);
    cr_assert (vss_fs_copy_tree (src, dst, 0, &error), "round %d: %s", round, error->message);
    g_autofree char *kept = g_build_filename (dst, "keep-199", NULL);
    cr_assert (g_file_test (kept, G_FILE_TEST_IS_REGULAR), "round %d lost a file that stayed", round);
  }
  g_atomic_int_set (&c.stop, 1);
  g_thread_join (thread);
  /* The root itself missing is still an error. */
  g_autofree char *gone = tmp_path ("no-such-tree");
  g_autofree char *out = tmp_path ("out");
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_fs_copy_tree (gone, out, 0, &error));
  cr_assert_not (vss_fs_tree_size (gone, NULL, NULL));
}

/* ---- the race made deterministic: the file changes between its data
 * and its metadata ---- */

static char *race_replacement;   /* moved over the source by the hook, or NULL */

/* Called once the data of @src are copied: the file goes (or another one
 * takes its name), exactly where a copy that went back to the path for
 * the xattrs would fail or read the wrong file. */
static void
vanish_after_data (const char *src)
{
  if (g_str_has_suffix (src, "/victim"))
    cr_assert_eq (race_replacement != NULL ? rename (race_replacement, src) : unlink (src), 0,
                  "%s: %s", src, g_strerror (errno));
}

static char *
race_tree (void)
{
  char *src = tmp_path ("race");
  cr_assert_eq (g_mkdir (src, 0755), 0);
  g_autofree char *victim = g_build_filename (src, "victim", NULL);
  vss_test_put_file (victim, "victim data", 0640);
  if (setxattr (victim, "user.vss.who", "victim", 6, 0) != 0)
    cr_skip_test ("the temp filesystem refuses user xattrs: %s", g_strerror (errno));
  return src;
}

Test (fs, a_file_removed_after_its_data_were_copied_keeps_its_metadata)
{
  g_autofree char *src = race_tree ();
  race_replacement = NULL;
  vss_fs_copy_tree_set_test_hook (vanish_after_data);
  g_autofree char *dst = tmp_path ("race-copy");
  g_autoptr(GError) error = NULL;
  gboolean ok = vss_fs_copy_tree (src, dst, 0, &error);
  vss_fs_copy_tree_set_test_hook (NULL);
  cr_assert (ok, "%s", error != NULL ? error->message : "");
  g_autofree char *copy = g_build_filename (dst, "victim", NULL);
  char buf[16] = { 0 };
  cr_assert_eq (getxattr (copy, "user.vss.who", buf, sizeof buf), 6, "the xattr was lost");
  cr_assert_str_eq (buf, "victim");
  struct stat st;
  cr_assert_eq (stat (copy, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0640);
}

Test (fs, a_file_replaced_after_its_data_were_copied_gets_no_metadata_of_the_other)
{
  g_autofree char *src = race_tree ();
  race_replacement = tmp_path ("intruder");
  vss_test_put_file (race_replacement, "intruder", 0604);
  cr_assert_eq (setxattr (race_replacement, "user.vss.who", "intruder", 8, 0), 0);
  vss_fs_copy_tree_set_test_hook (vanish_after_data);
  g_autofree char *dst = tmp_path ("race-copy");
  g_autoptr(GError) error = NULL;
  gboolean ok = vss_fs_copy_tree (src, dst, 0, &error);
  vss_fs_copy_tree_set_test_hook (NULL);
  g_clear_pointer (&race_replacement, g_free);
  cr_assert (ok, "%s", error != NULL ? error->message : "");
  g_autofree char *copy = g_build_filename (dst, "victim", NULL);
  g_autofree char *data = vss_test_read_file (copy);
  cr_assert_str_eq (data, "victim data");
  char buf[16] = { 0 };
  cr_assert_eq (getxattr (copy, "user.vss.who", buf, sizeof buf), 6);
  cr_assert_str_eq (buf, "victim", "the copy mixes another file's xattr into its data");
  struct stat st;
  cr_assert_eq (stat (copy, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0640, "the copy has the other file's mode");
}

/* ---- the options the reflink provider walks with ---- */

Test (fs, copy_tree_full_leaves_the_skipped_directory_empty)
{
  g_autofree char *src = tmp_path ("with-store");
  g_autofree char *store = g_build_filename (src, ".vss-snapshots", "old", NULL);
  cr_assert_eq (g_mkdir_with_parents (store, 0755), 0);
  g_autofree char *old = g_build_filename (store, "image-file", NULL);
  g_autofree char *kept = g_build_filename (src, "kept", NULL);
  vss_test_put_file (old, "an older image", 0644);
  vss_test_put_file (kept, "data", 0644);
  g_autofree char *top = g_build_filename (src, ".vss-snapshots", NULL);
  struct stat st;
  cr_assert_eq (stat (top, &st), 0);
  VssFsCopyOptions options = { .stay_on_device = TRUE, .skip_dev = st.st_dev, .skip_ino = st.st_ino };
  g_autofree char *dst = tmp_path ("without-store");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree_full (src, dst, &options, &error), "%s", error ? error->message : "");
  g_autofree char *copied_kept = g_build_filename (dst, "kept", NULL);
  g_autofree char *copied_top = g_build_filename (dst, ".vss-snapshots", NULL);
  g_autofree char *copied_store = g_build_filename (dst, ".vss-snapshots", "old", NULL);
  cr_assert (g_file_test (copied_kept, G_FILE_TEST_IS_REGULAR));
  cr_assert (g_file_test (copied_top, G_FILE_TEST_IS_DIR), "the skipped directory is not there, empty");
  cr_assert_not (g_file_test (copied_store, G_FILE_TEST_EXISTS), "the image store was copied");
}

Test (fs, copy_tree_full_clone_only_never_copies_bytes)
{
  g_autofree char *src = tmp_path ("to-clone");
  cr_assert_eq (g_mkdir (src, 0755), 0);
  g_autofree char *file = g_build_filename (src, "f", NULL);
  vss_test_put_file (file, "x", 0644);
  g_autofree char *fs = vss_fs_type_name (src);
  if (g_str_equal (fs, "xfs") || g_str_equal (fs, "btrfs"))
    cr_skip_test ("the temp filesystem (%s) can clone", fs);
  VssFsCopyOptions options = { .clone_only = TRUE };
  g_autofree char *dst = tmp_path ("cloned");
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_fs_copy_tree_full (src, dst, &options, &error), "a byte copy was made on %s", fs);
  cr_assert_not_null (strstr (error->message, "cannot clone"), "%s", error->message);
  cr_assert_not (g_file_test (dst, G_FILE_TEST_EXISTS), "the partial clone was left");
}
