/* test-leftovers.c — a restore run again after one that was killed
 * removes the temp files ".NAME.vss-XXXXXXXX" the killed one left beside
 * its targets, and nothing else: not another scheme, not a NAME it does
 * not write there, not a symlink, not a directory it does not write in. */
#include <criterion/criterion.h>

#include <string.h>
#include <unistd.h>

#include "bs-test.h"

TestSuite (leftovers, .init = bs_setup, .fini = bs_teardown);

static void
put (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  vss_test_put_file (path, "half-written", 0600);
}

static gboolean
exists (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
}

Test (leftovers, rerun_removes_its_own_temp_files_only)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *set_dir = bs_path ("set");
  g_free (bs_write_set (set_dir, "path:/srv/data", src, "/srv/data", VSS_BT_FULL, NULL));
  g_autofree char *root = bs_path ("target");
  g_autofree char *data = g_build_filename (root, "srv", "data", NULL);
  g_autofree char *other = g_build_filename (root, "srv", "other", NULL);
  cr_assert_eq (g_mkdir_with_parents (data, 0755), 0);
  cr_assert_eq (g_mkdir_with_parents (other, 0755), 0);
  put (data, ".a.txt.vss-0123abcd");      /* ours: goes */
  put (data, ".sparse.img.vss-ffffffff"); /* ours: goes */
  put (data, ".a.txt.vss-0123ABCD");      /* not the scheme (upper case) */
  put (data, ".a.txt.vss-0123abc");       /* not the scheme (7 digits) */
  put (data, ".a.txt.vss-0123abcd.bak");  /* not the scheme */
  put (data, "a.txt.vss-0123abcd");       /* not the scheme (no dot) */
  put (data, ".notours.vss-0123abcd");    /* a name this restore does not write */
  put (other, ".a.txt.vss-0123abcd");     /* a directory it does not write in */
  g_autofree char *planted = g_build_filename (data, ".link.vss-deadbeef", NULL);
  cr_assert_eq (symlink ("a.txt", planted), 0);   /* not a regular file */

  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (set_dir, &error);
  cr_assert (vss_backup_set_restore_component (set, NULL, "path:/srv/data", root, NULL,
                                               VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error),
             "%s", error ? error->message : "");
  cr_assert (!exists (data, ".a.txt.vss-0123abcd"));
  cr_assert (!exists (data, ".sparse.img.vss-ffffffff"));
  cr_assert (exists (data, ".a.txt.vss-0123ABCD"));
  cr_assert (exists (data, ".a.txt.vss-0123abc"));
  cr_assert (exists (data, ".a.txt.vss-0123abcd.bak"));
  cr_assert (exists (data, "a.txt.vss-0123abcd"));
  cr_assert (exists (data, ".notours.vss-0123abcd"));
  cr_assert (exists (other, ".a.txt.vss-0123abcd"));
  cr_assert (exists (data, ".link.vss-deadbeef"));
  g_autofree char *a = g_build_filename (data, "a.txt", NULL);
  g_autofree char *text = vss_test_read_file (a);
  cr_assert_str_eq (text, "hello, world\n");
}
