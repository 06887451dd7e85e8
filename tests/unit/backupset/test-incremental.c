/* test-incremental.c — incremental and differential sets store only what
 * changed; restoring a chain gives the source as it was at the last set;
 * a chain with a hole is refused before anything is written. */
#include <criterion/criterion.h>

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-test.h"

TestSuite (incremental, .init = bs_setup, .fini = bs_teardown);

static guint
count_files (const char *root)
{
  guint n = 0;
  g_autoptr(GDir) d = g_dir_open (root, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *child = g_build_filename (root, name, NULL);
    struct stat st;
    lstat (child, &st);
    n += S_ISDIR (st.st_mode) ? count_files (child) : 1;
  }
  return n;
}

static VssBackupSet *
open_set (const char *dir)
{
  g_autoptr(GError) error = NULL;
  VssBackupSet *set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  return set;
}

/* full → change a.txt, delete secret, add new.txt → incremental. */
static void
make_chain (const char *src, char **full_dir, char **incr_dir)
{
  bs_make_tree (src);
  *full_dir = bs_path ("full");
  g_free (bs_write_set (*full_dir, "path:/data", src, "/data", VSS_BT_FULL, NULL));
  g_autofree char *a = g_build_filename (src, "a.txt", NULL);
  g_autofree char *secret = g_build_filename (src, "sub", "secret", NULL);
  g_autofree char *added = g_build_filename (src, "sub", "new.txt", NULL);
  vss_test_put_file (a, "changed!\n", 0644);
  vss_test_set_mtime (a, 1600000000, 3);
  cr_assert_eq (unlink (secret), 0);
  vss_test_put_file (added, "new file", 0640);
  g_autoptr(VssBackupSet) full = open_set (*full_dir);
  *incr_dir = bs_path ("incr");
  g_free (bs_write_set (*incr_dir, "path:/data", src, "/data", VSS_BT_INCREMENTAL, full));
}

Test (incremental, stores_only_changes_and_chain_restores_the_source)
{
  g_autofree char *src = bs_path ("src");
  g_autofree char *full_dir = NULL, *incr_dir = NULL;
  make_chain (src, &full_dir, &incr_dir);
  g_autofree char *incr_files = g_build_filename (incr_dir, "files", NULL);
  cr_assert_eq (count_files (incr_files), 2, "the incremental stores a.txt and new.txt only");

  g_autoptr(VssBackupSet) full = open_set (full_dir);
  g_autoptr(VssBackupSet) incr = open_set (incr_dir);
  cr_assert_str_eq (vss_backup_set_get_base_id (incr), vss_backup_set_get_id (full));
  cr_assert_eq (vss_backup_set_get_backup_type (incr), VSS_BT_INCREMENTAL);
  g_autoptr(GPtrArray) chain = g_ptr_array_new ();
  g_ptr_array_add (chain, full);
  g_autoptr(GError) error = NULL;
  g_autofree char *root = bs_path ("restored");
  cr_assert (vss_backup_set_restore_component (incr, chain, "path:/data", root, NULL, VSS_RESTORE_REPLACE,
                                               NULL, NULL, NULL, &error),
             "%s", error ? error->message : "");
  g_autofree char *back = g_build_filename (root, "data", NULL);
  vss_test_assert_same_tree (src, back);
}

Test (incremental, second_incremental_points_at_the_set_holding_the_data)
{
  g_autofree char *src = bs_path ("src");
  g_autofree char *full_dir = NULL, *incr_dir = NULL;
  make_chain (src, &full_dir, &incr_dir);
  g_autofree char *added = g_build_filename (src, "sub", "new.txt", NULL);
  vss_test_put_file (added, "newer file", 0640);
  g_autoptr(VssBackupSet) full = open_set (full_dir);
  g_autoptr(VssBackupSet) incr = open_set (incr_dir);
  g_autofree char *incr2_dir = bs_path ("incr2");
  g_free (bs_write_set (incr2_dir, "path:/data", src, "/data", VSS_BT_INCREMENTAL, incr));
  g_autoptr(VssBackupSet) incr2 = open_set (incr2_dir);
  g_autofree char *files = g_build_filename (incr2_dir, "files", NULL);
  cr_assert_eq (count_files (files), 1);

  g_autoptr(GPtrArray) chain = g_ptr_array_new ();
  g_ptr_array_add (chain, full);
  g_ptr_array_add (chain, incr);
  g_autoptr(GError) error = NULL;
  g_autofree char *root = bs_path ("restored");
  cr_assert (vss_backup_set_restore_component (incr2, chain, "path:/data", root, NULL,
                                               VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error),
             "%s", error ? error->message : "");
  g_autofree char *back = g_build_filename (root, "data", NULL);
  vss_test_assert_same_tree (src, back);

  /* Without the middle set the chain has a hole: refused, nothing written. */
  g_ptr_array_remove_index (chain, 1);
  g_autofree char *root2 = bs_path ("restored2");
  cr_assert (!vss_backup_set_restore_component (incr2, chain, "path:/data", root2, NULL,
                                                VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_OBJECT_NOT_FOUND);
  cr_assert_not_null (strstr (error->message, "incomplete"), "%s", error->message);
  cr_assert (!g_file_test (root2, G_FILE_TEST_EXISTS), "something was written");
  g_clear_error (&error);
  cr_assert (!vss_backup_set_check_chain (incr2, NULL, &error));
  g_clear_error (&error);
  g_ptr_array_add (chain, incr);
  cr_assert (vss_backup_set_check_chain (incr2, chain, &error));
  cr_assert (vss_backup_set_check_chain (full, NULL, &error), "a full set needs no chain");
}

Test (incremental, differential_and_wrong_base)
{
  g_autofree char *src = bs_path ("src");
  g_autofree char *full_dir = NULL, *incr_dir = NULL;
  make_chain (src, &full_dir, &incr_dir);
  g_autoptr(VssBackupSet) full = open_set (full_dir);
  g_autoptr(VssBackupSet) incr = open_set (incr_dir);
  g_autofree char *diff_dir = bs_path ("diff");
  g_free (bs_write_set (diff_dir, "path:/data", src, "/data", VSS_BT_DIFFERENTIAL, full));
  g_autofree char *files = g_build_filename (diff_dir, "files", NULL);
  cr_assert_eq (count_files (files), 2);

  /* A writer started on one base refuses another. */
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = bs_path ("bad");
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (bad, VSS_BT_INCREMENTAL,
                                                               vss_backup_set_get_id (full), &error);
  cr_assert (!vss_backup_set_writer_add_files (w, "path:/data", src, "/data", "*", TRUE, incr, NULL, NULL,
                                               &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_ARG);
}
