/* test-copy.c — the set's own copy of large files (hashed from the copy
 * on a second thread, written out behind it): every entry's SHA-256 equals
 * an independent one (GChecksum) of the source, for sizes around the
 * 1 MiB chunk and threshold, a sparse file, and a file that shrinks
 * while it is copied (a live tree). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "bs-test.h"
#include "backupset/vss-backup-set-private.h"

TestSuite (copy, .init = bs_setup, .fini = bs_teardown);

#define COMPONENT "path:/d"
#define MiB (1024 * 1024)

static const gsize sizes[] = { MiB - 1, MiB, MiB + 1, 2 * MiB - 1, 2 * MiB, 5 * MiB + 12345 };


static void
put_file (const char *path, gsize size, guint seed)
{
  g_autofree char *data = g_malloc (size + 1);
  for (gsize i = 0; i < size; i++)
    data[i] = (char) ((i * 131 + seed) ^ (i >> 11));
  cr_assert (g_file_set_contents (path, data, size, NULL), "%s", path);
}

static VssBackupSet *
write_and_open (const char *src)
{
  g_autofree char *dir = bs_path ("set");
  g_autofree char *done = bs_write_set (dir, COMPONENT, src, "/d", VSS_BT_FULL, NULL);
  g_autoptr(GError) error = NULL;
  VssBackupSet *set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  cr_assert (vss_backup_set_verify (set, NULL, NULL, NULL, NULL, &error), "%s",
             error ? error->message : "");
  return set;
}

static void
assert_entry_sha256 (VssBackupSet *set, const char *src, const char *name)
{
  g_autofree char *path = g_build_filename (src, name, NULL);
  g_autofree char *original = g_strconcat ("/d/", name, NULL);
  VssSetEntry *e = vss_backup_set_lookup (set, COMPONENT, original);
  cr_assert_not_null (e, "%s", original);
  g_autofree char *expected = vss_test_digest_of_file (path);
  cr_assert_str_eq (e->sha256, expected, "%s", name);
}

Test (copy, large_files_are_recorded_with_the_sha256_of_their_data)
{
  g_autofree char *src = bs_path ("src");
  cr_assert_eq (g_mkdir (src, 0755), 0);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree char *name = g_strdup_printf ("f%u", i);
    g_autofree char *path = g_build_filename (src, name, NULL);
    put_file (path, sizes[i], i);
  }
  g_autofree char *sparse = g_build_filename (src, "sparse", NULL);
  int fd = open (sparse, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  cr_assert_eq (pwrite (fd, "data in the middle", 18, 3 * MiB), 18);
  cr_assert_eq (ftruncate (fd, 7 * MiB), 0);
  close (fd);
  g_autoptr(VssBackupSet) set = write_and_open (src);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree char *name = g_strdup_printf ("f%u", i);
    assert_entry_sha256 (set, src, name);
  }
  assert_entry_sha256 (set, src, "sparse");
}

/* A file longer than asked whose bytes at the asked end are a hole (it
 * grew since it was measured): the copy stops at the size asked, the
 * rest a hole, and ends (an empty region once looped for ever). */
Test (copy, a_hole_up_to_the_size_asked_ends_the_copy, .timeout = 20)
{
  g_autofree char *path = bs_path ("grown");
  int fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  cr_assert_geq (fd, 0);
  cr_assert_eq (pwrite (fd, "head", 4, 0), 4);
  cr_assert_eq (pwrite (fd, "tail", 4, 9 * MiB), 4);
  g_autoptr(VssSetCopier) copier = vss_set_copier_new ();
  for (int pieces = 0; pieces <= 1; pieces++) {
    VssSetCopyResult r = { "" };
    cr_assert (vss_set_copier_run (copier, fd, -1, 6 * MiB, pieces, &r));
    cr_assert_eq (r.copied, 6 * MiB);
    g_autofree char *first = bs_path ("first6");
    int out = open (first, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_eq (pwrite (out, "head", 4, 0), 4);
    cr_assert_eq (ftruncate (out, 6 * MiB), 0);
    close (out);
    g_autofree char *expected = pieces ? vss_test_digest_of_file (first)
                                       : vss_test_sha256_of_file (first);
    cr_assert_str_eq (r.sha256, expected, "pieces %d", pieces);
  }
  close (fd);
}
