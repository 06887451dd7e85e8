/* test-move.c — copy once: with move_files, the files of a staged image
 * on the set's filesystem are renamed into the set, not copied: they
 * leave the image, the stored file is the same inode, data-only (0600,
 * no xattrs), and the set verifies and restores like a copied one.
 * A file with two names stays.  Without it the image is left as it was. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bs-test.h"
#include "backupset/vss-backup-set-private.h"
#include "util/vss-fs.h"

TestSuite (move, .init = bs_setup, .fini = bs_teardown);

#define COMPONENT "path:/d"

static ino_t
inode_of (const char *path)
{
  struct stat st;
  cr_assert_eq (lstat (path, &st), 0, "%s", path);
  return st.st_ino;
}

/* A set of @src made with move_files = @move. */
static VssBackupSet *
write_set (const char *src, gboolean move)
{
  g_autofree char *dir = bs_path (move ? "moved" : "copied");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (w, "%s", error ? error->message : "");
  vss_backup_set_writer_set_move_files (w, move);
  cr_assert (vss_backup_set_writer_add_files (w, COMPONENT, src, "/d", "*", TRUE, NULL, NULL,
                                              NULL, &error), "%s", error ? error->message : "");
  g_autofree char *bcd = bs_bcd ();
  cr_assert (vss_backup_set_writer_commit (w, bcd, &error), "%s", error ? error->message : "");
  VssBackupSet *set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  cr_assert (vss_backup_set_verify (set, NULL, NULL, NULL, NULL, &error), "%s",
             error ? error->message : "");
  return set;
}

Test (move, staged_files_are_moved_into_the_set_not_copied)
{
  g_autofree char *src = bs_path ("image");
  bs_make_tree (src);
  g_autofree char *a = g_build_filename (src, "a.txt", NULL);
  g_autofree char *big = g_build_filename (src, "sub", "deep", "big.bin", NULL);
  gboolean has_xattr = setxattr (a, "user.vss.tag", "t", 1, 0) == 0;
  ino_t a_ino = inode_of (a), big_ino = inode_of (big);

  g_autoptr(VssBackupSet) set = write_set (src, TRUE);
  cr_assert_not (g_file_test (a, G_FILE_TEST_EXISTS), "a.txt was copied, not moved");
  cr_assert_not (g_file_test (big, G_FILE_TEST_EXISTS), "big.bin was copied, not moved");
  g_autofree char *stored_a = bs_path ("moved/files/0/d/a.txt");
  g_autofree char *stored_big = bs_path ("moved/files/0/d/sub/deep/big.bin");
  cr_assert_eq (inode_of (stored_a), a_ino);
  cr_assert_eq (inode_of (stored_big), big_ino);
  struct stat st;
  cr_assert_eq (stat (stored_a, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0600, "the stored file keeps the original's mode");
  if (has_xattr)
    cr_assert_lt (getxattr (stored_a, "user.vss.tag", NULL, 0), 0, "the stored file keeps an xattr");
  g_autofree char *root = bs_path ("restored");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_set_restore_component (set, NULL, COMPONENT, root, NULL,
                                               VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error),
             "%s", error ? error->message : "");
  g_autofree char *back = g_build_filename (root, "d", "a.txt", NULL);
  g_autofree char *data = vss_test_read_file (back);
  cr_assert_str_eq (data, "hello, world\n");
  if (has_xattr) {
    char v[4] = { 0 };
    cr_assert_eq (getxattr (back, "user.vss.tag", v, sizeof v), 1, "the entry lost its xattr");
  }
}

/* A file with another name in the image is copied: the other name may be
 * read by another component, which must find it as it was. */
Test (move, a_file_with_two_names_stays_in_the_image)
{
  g_autofree char *src = bs_path ("image");
  bs_make_tree (src);
  g_autofree char *a = g_build_filename (src, "a.txt", NULL);
  g_autofree char *twin = g_build_filename (src, "sub", "a-twin", NULL);
  cr_assert_eq (link (a, twin), 0);
  g_autoptr(VssBackupSet) set = write_set (src, TRUE);
  struct stat st;
  cr_assert_eq (lstat (a, &st), 0, "a.txt, with two names, was moved out of the image");
  cr_assert_eq (st.st_mode & 07777, 0644, "a.txt's mode was changed in the image");
  cr_assert_eq (st.st_nlink, 2);
  g_autofree char *stored_big = bs_path ("moved/files/0/d/sub/deep/big.bin");
  cr_assert (g_file_test (stored_big, G_FILE_TEST_EXISTS), "a file with one name was not moved");
}

static int
compare_lines (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* bs_snapshot_tree's lines in a fixed order (it lists in readdir order). */
static char *
sorted_listing (const char *root)
{
  g_autofree char *text = bs_snapshot_tree (root);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  qsort (lines, g_strv_length (lines), sizeof *lines, compare_lines);
  return g_strjoinv ("\n", lines);
}

Test (move, without_move_files_the_image_is_left_whole)
{
  g_autofree char *src = bs_path ("image");
  bs_make_tree (src);
  g_autofree char *before = sorted_listing (src);
  g_autoptr(VssBackupSet) set = write_set (src, FALSE);
  g_autofree char *after = sorted_listing (src);
  cr_assert_str_eq (after, before);
}

/* ---- the digest taken while staging (util/vss-hash-behind.c) ---- */

#define MiB (1024 * 1024)

/* An image staged as the copy provider stages an after-thaw tree: large
 * files hashed while copied. */
static char *
stage_with_digests (const char *name, gsize size)
{
  g_autofree char *src = bs_path ("live");
  cr_assert_eq (g_mkdir_with_parents (src, 0755), 0);
  g_autofree char *file = g_build_filename (src, name, NULL);
  g_autofree char *data = g_malloc (size);
  for (gsize i = 0; i < size; i++)
    data[i] = (char) (i * 7 + i / 4093);
  cr_assert (g_file_set_contents (file, data, size, NULL));
  char *image = bs_path ("image");
  VssFsCopyOptions options = { .remember_digests = TRUE };
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree_full (src, image, &options, &error), "%s",
             error ? error->message : "");
  return image;
}


static const char *
entry_sha256 (VssBackupSet *set, const char *path)
{
  VssSetEntry *e = vss_backup_set_lookup (set, COMPONENT, path);
  cr_assert_not_null (e, "%s", path);
  return e->sha256;
}

Test (move, a_file_hashed_while_staged_is_recorded_with_that_digest)
{
  g_autofree char *image = stage_with_digests ("big.bin", 3 * MiB + 5);
  g_autofree char *staged = g_build_filename (image, "big.bin", NULL);
  g_autofree char *expected = vss_test_digest_of_file (staged);
  g_autoptr(VssBackupSet) set = write_set (image, TRUE);   /* it verifies the set too */
  cr_assert_str_eq (entry_sha256 (set, "/d/big.bin"), expected);
}

Test (move, a_staged_file_changed_since_is_hashed_again)
{
  g_autofree char *image = stage_with_digests ("big.bin", 2 * MiB);
  g_autofree char *staged = g_build_filename (image, "big.bin", NULL);
  bs_flip_byte (staged, MiB);   /* size and times kept: only the ctime tells */
  g_autofree char *expected = vss_test_digest_of_file (staged);
  g_autoptr(VssBackupSet) set = write_set (image, TRUE);
  cr_assert_str_eq (entry_sha256 (set, "/d/big.bin"), expected,
                    "the set recorded the digest of the data before the change");
}
