/* test-interrupted.c — an unfinished set never looks like a set: freed
 * without commit, crashed (a DIR.partial left behind), out of space, or
 * failed half-way through a file set. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-test.h"

TestSuite (interrupted, .init = bs_setup, .fini = bs_teardown);

Test (interrupted, free_without_commit_leaves_nothing)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = bs_path ("set");
  g_autofree char *partial = bs_path ("set.partial");
  g_autoptr(GError) error = NULL;
  VssBackupSetWriter *w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert (vss_backup_set_writer_add_files (w, "path:/x", src, "/x", "*", TRUE, NULL, NULL, NULL,
                                              &error));
  cr_assert (g_file_test (partial, G_FILE_TEST_IS_DIR), "data go to DIR.partial");
  cr_assert (!g_file_test (dir, G_FILE_TEST_EXISTS), "DIR exists before commit");
  vss_backup_set_writer_free (w);
  cr_assert (!g_file_test (partial, G_FILE_TEST_EXISTS));
  cr_assert (!g_file_test (dir, G_FILE_TEST_EXISTS));
}

/* What a crash leaves: DIR.partial with data, no lock holder, maybe no
 * manifest. */
static void
fake_crash (const char *partial)
{
  g_autofree char *files = g_build_filename (partial, "files", "0", NULL);
  cr_assert_eq (g_mkdir_with_parents (files, 0700), 0);
  g_autofree char *data = g_build_filename (files, "half", NULL);
  vss_test_put_file (data, "half a fi", 0600);
  g_autofree char *manifest = g_build_filename (partial, "manifest.json", NULL);
  vss_test_put_file (manifest, "{\"version\":1,", 0600);
}

Test (interrupted, crashed_partial_is_not_a_set_and_is_cleaned)
{
  g_autofree char *dir = bs_path ("set");
  g_autofree char *partial = bs_path ("set.partial");
  fake_crash (partial);
  g_autoptr(GError) error = NULL;
  cr_assert_null (vss_backup_set_open (partial, &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT);
  cr_assert_not_null (strstr (error->message, "incomplete"), "%s", error->message);
  g_clear_error (&error);
  cr_assert_null (vss_backup_set_open (dir, &error));
  cr_assert_eq (error->code, VSS_ERROR_OBJECT_NOT_FOUND, "%s", error->message);
  g_clear_error (&error);

  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (w, "%s", error ? error->message : "");
  g_autofree char *half = g_build_filename (partial, "files", "0", "half", NULL);
  g_autofree char *manifest = g_build_filename (partial, "manifest.json", NULL);
  cr_assert (!g_file_test (half, G_FILE_TEST_EXISTS), "the stale data were kept");
  cr_assert (!g_file_test (manifest, G_FILE_TEST_EXISTS), "the stale manifest was kept");
}

Test (interrupted, set_without_manifest_is_refused)
{
  g_autofree char *dir = bs_path ("renamed");
  g_autofree char *files = g_build_filename (dir, "files", NULL);
  cr_assert_eq (g_mkdir_with_parents (files, 0700), 0);
  g_autoptr(GError) error = NULL;
  cr_assert_null (vss_backup_set_open (dir, &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT);
  cr_assert_not_null (strstr (error->message, "no manifest.json"), "%s", error->message);
}

Test (interrupted, a_running_writer_is_not_disturbed)
{
  g_autofree char *dir = bs_path ("set");
  g_autofree char *partial = bs_path ("set.partial");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) first = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (first);
  cr_assert_null (vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_OBJECT_ALREADY_EXISTS);
  cr_assert_not_null (strstr (error->message, "another backup"), "%s", error->message);
  cr_assert (g_file_test (partial, G_FILE_TEST_IS_DIR), "the running writer's data were removed");
  g_clear_error (&error);
  g_autofree char *bcd = bs_bcd ();
  cr_assert (vss_backup_set_writer_commit (first, bcd, &error));
}

Test (interrupted, disk_full_fails_cleanly)
{
  if (geteuid () != 0) {
    bs_teardown ();   /* a skipped test's fini does not run */
    cr_skip_test ("needs root: mounts a 1 MiB tmpfs to fill");
  }
  g_autofree char *mnt = bs_path ("small");
  cr_assert_eq (g_mkdir_with_parents (mnt, 0700), 0);
  cr_assert_eq (mount ("tmpfs", mnt, "tmpfs", 0, "size=1m"), 0, "mount: %s", g_strerror (errno));
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);   /* ~2 MB of data plus an 8 MiB sparse file */
  g_autofree char *dir = g_build_filename (mnt, "set", NULL);
  g_autofree char *partial = g_build_filename (mnt, "set.partial", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (w);
  gboolean ok = vss_backup_set_writer_add_files (w, "path:/x", src, "/x", "*", TRUE, NULL, NULL, NULL,
                                                 &error);
  cr_assert (!ok, "a 2 MB backup fit in 1 MiB");
  cr_assert_eq (error->code, VSS_ERROR_INSUFFICIENT_STORAGE, "%s", error->message);
  cr_assert_not_null (strstr (error->message, dir), "the message names the set: %s", error->message);
  cr_assert (!g_file_test (partial, G_FILE_TEST_EXISTS), "DIR.partial was left");
  cr_assert (!g_file_test (dir, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_autofree char *bcd = bs_bcd ();
  cr_assert (!vss_backup_set_writer_commit (w, bcd, &error));
  cr_assert_eq (error->code, VSS_ERROR_BAD_STATE);
  cr_assert (!g_file_test (dir, G_FILE_TEST_EXISTS), "a failed set was committed");
  g_clear_pointer (&w, vss_backup_set_writer_free);
  cr_assert_eq (umount (mnt), 0);
}

/* An unreadable file fails its file set; the entries that call added are
 * taken back and the set can still be committed with the rest. */
Test (interrupted, failed_file_set_is_rolled_back)
{
  gboolean was_root = geteuid () == 0;
  g_autofree char *open_dir = bs_path ("open");
  cr_assert_eq (g_mkdir_with_parents (open_dir, 0777), 0);
  cr_assert_eq (chmod (bs_tmpdir, 0755), 0);
  cr_assert_eq (chmod (open_dir, 0777), 0);
  if (was_root)
    cr_assert_eq (seteuid (65534), 0, "cannot become nobody: %s", g_strerror (errno));
  g_autofree char *good = g_build_filename (open_dir, "good", NULL);
  g_autofree char *bad = g_build_filename (open_dir, "bad", NULL);
  cr_assert_eq (g_mkdir_with_parents (good, 0755), 0);
  cr_assert_eq (g_mkdir_with_parents (bad, 0755), 0);
  g_autofree char *g1 = g_build_filename (good, "one", NULL);
  g_autofree char *b1 = g_build_filename (bad, "a-readable", NULL);
  g_autofree char *b2 = g_build_filename (bad, "b-locked", NULL);
  vss_test_put_file (g1, "1", 0644);
  vss_test_put_file (b1, "readable", 0644);
  vss_test_put_file (b2, "locked", 0000);
  g_autofree char *dir = g_build_filename (open_dir, "set", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert (vss_backup_set_writer_add_files (w, "good", good, "/good", "*", TRUE, NULL, NULL,
                                              NULL, &error));
  guint entries = vss_backup_set_writer_get_entries (w);
  guint64 bytes = vss_backup_set_writer_get_bytes (w);
  cr_assert (!vss_backup_set_writer_add_files (w, "bad", bad, "/bad", "*", TRUE, NULL, NULL,
                                               NULL, &error));
  cr_assert_not_null (strstr (error->message, "b-locked"), "%s", error->message);
  cr_assert_eq (vss_backup_set_writer_get_entries (w), entries, "entries were not taken back");
  g_autofree char *stored = g_build_filename (open_dir, "set.partial", "files", "1", "bad",
                                              "a-readable", NULL);
  cr_assert (!g_file_test (stored, G_FILE_TEST_EXISTS), "the stored data were not taken back");
  g_clear_error (&error);
  g_autofree char *bcd = bs_bcd ();
  cr_assert (vss_backup_set_writer_commit (w, bcd, &error), "%s", error ? error->message : "");
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set);
  g_autoptr(GPtrArray) components = vss_backup_set_list_components (set);
  cr_assert_eq (components->len, 1, "the failed component is still listed");
  (void) bytes;
  if (was_root)
    cr_assert_eq (seteuid (0), 0);
}
