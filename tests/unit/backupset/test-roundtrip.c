/* test-roundtrip.c — a tree written into a backup set and restored comes
 * back byte for byte with its metadata; mappings, roots and "if not
 * there" put it where asked. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bs-test.h"

TestSuite (roundtrip, .init = bs_setup, .fini = bs_teardown);

static void
restore (const char *set_dir, const char *component, const char *root,
         const char *const *mappings, VssRestoreExisting existing, guint *restored)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (set_dir, &error);
  cr_assert_not_null (set, "open: %s", error ? error->message : "");
  cr_assert (vss_backup_set_restore_component (set, NULL, component, root, mappings, existing,
                                               NULL, NULL, restored, &error),
             "restore: %s", error ? error->message : "");
}

Test (roundtrip, tree_comes_back_identical)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *set = bs_path ("set");
  g_free (bs_write_set (set, "path:/srv/data", src, "/srv/data", VSS_BT_FULL, NULL));
  g_autofree char *root = bs_path ("restored");
  guint restored = 0;
  restore (set, "path:/srv/data", root, NULL, VSS_RESTORE_REPLACE, &restored);
  g_autofree char *back = g_build_filename (root, "srv", "data", NULL);
  vss_test_assert_same_tree (src, back);
  cr_assert_geq (restored, 9, "restored %u entries", restored);

  /* The sparse file keeps its holes in the set and after restore. */
  g_autofree char *sparse = g_build_filename (back, "sparse.img", NULL);
  struct stat st;
  cr_assert_eq (stat (sparse, &st), 0);
  cr_assert_lt (st.st_blocks * 512, st.st_size / 4, "restored sparse file is not sparse");
}

Test (roundtrip, set_layout_and_accessors)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = bs_path ("set");
  g_free (bs_write_set (dir, "writer/db/main", src, "/srv/data", VSS_BT_FULL, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  cr_assert (g_uuid_string_is_valid (vss_backup_set_get_id (set)));
  cr_assert_null (vss_backup_set_get_base_id (set));
  cr_assert_eq (vss_backup_set_get_backup_type (set), VSS_BT_FULL);
  gint64 age = g_get_real_time () - vss_backup_set_get_created_usec (set);
  cr_assert (age >= 0 && age < 60 * G_USEC_PER_SEC);
  cr_assert_not_null (strstr (vss_backup_set_get_bcd (set), "\"version\""));
  cr_assert_str_eq (vss_backup_set_get_writer_metadata (set, "test"), "{\"w\":1}");
  cr_assert_null (vss_backup_set_get_writer_metadata (set, "../test"));
  g_autoptr(GPtrArray) components = vss_backup_set_list_components (set);
  cr_assert_eq (components->len, 1);
  cr_assert_str_eq (g_ptr_array_index (components, 0), "writer/db/main");
  /* Component names are indexed, never used raw as directory names. */
  g_autofree char *stored = g_build_filename (dir, "files", "0", "srv", "data", "a.txt", NULL);
  cr_assert (g_file_test (stored, G_FILE_TEST_IS_REGULAR), "no %s", stored);
  struct stat st;
  cr_assert_eq (stat (dir, &st), 0);
  cr_assert_eq (st.st_mode & 0777, 0700, "the set is readable by others: %o", st.st_mode);
}

Test (roundtrip, mapping_and_root)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *set = bs_path ("set");
  g_free (bs_write_set (set, "path:/srv/data", src, "/srv/data", VSS_BT_FULL, NULL));
  g_autofree char *root = bs_path ("alt");
  const char *mappings[] = { "/srv/other", "/nowhere", "/srv/data", "/new/place", NULL };
  restore (set, "path:/srv/data", root, mappings, VSS_RESTORE_REPLACE, NULL);
  g_autofree char *back = g_build_filename (root, "new", "place", NULL);
  vss_test_assert_same_tree (src, back);
  g_autofree char *unmapped = g_build_filename (root, "srv", NULL);
  cr_assert (!g_file_test (unmapped, G_FILE_TEST_EXISTS), "the unmapped path was written");
}

/* Mappings can put two entries on one target: refused before anything is
 * written. */
Test (roundtrip, two_entries_mapped_onto_one_target_are_refused)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = bs_path ("set");
  g_free (bs_write_set (dir, "path:/srv/data", src, "/srv/data", VSS_BT_FULL, NULL));
  g_autofree char *root = bs_path ("alt");
  const char *mappings[] = { "/srv/data/a.txt", "/one", "/srv/data/sub/secret", "/one", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  cr_assert_not (vss_backup_set_restore_component (set, NULL, "path:/srv/data", root, mappings,
                                                   VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error));
  cr_assert_not_null (strstr (error->message, "restored to one target"), "%s", error->message);
  g_autofree char *one = g_build_filename (root, "one", NULL);
  cr_assert (!g_file_test (one, G_FILE_TEST_EXISTS), "something was written");
}

Test (roundtrip, mapping_onto_an_absolute_target_without_root)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *set = bs_path ("set");
  g_free (bs_write_set (set, "path:/srv/data", src, "/srv/data", VSS_BT_FULL, NULL));
  g_autofree char *target = bs_path ("direct");
  const char *mappings[] = { "/srv/data", target, NULL };
  restore (set, "path:/srv/data", NULL, mappings, VSS_RESTORE_REPLACE, NULL);
  vss_test_assert_same_tree (src, target);
}

Test (roundtrip, if_not_there_leaves_existing_files_alone)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *set = bs_path ("set");
  g_free (bs_write_set (set, "path:/d", src, "/d", VSS_BT_FULL, NULL));
  g_autofree char *root = bs_path ("r");
  g_autofree char *d = g_build_filename (root, "d", NULL);
  cr_assert_eq (g_mkdir_with_parents (d, 0755), 0);
  g_autofree char *a = g_build_filename (d, "a.txt", NULL);
  vss_test_put_file (a, "mine", 0600);
  guint restored = 0;
  restore (set, "path:/d", root, NULL, VSS_RESTORE_IF_NOT_THERE, &restored);
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (a, &text, NULL, NULL));
  cr_assert_str_eq (text, "mine");
  g_autofree char *secret = g_build_filename (d, "sub", "secret", NULL);
  cr_assert (g_file_test (secret, G_FILE_TEST_IS_REGULAR), "missing files were not restored");

  /* REPLACE puts the backed-up file in place. */
  restore (set, "path:/d", root, NULL, VSS_RESTORE_REPLACE, NULL);
  g_free (g_steal_pointer (&text));
  cr_assert (g_file_get_contents (a, &text, NULL, NULL));
  cr_assert_str_eq (text, "hello, world\n");
}

Test (roundtrip, filespec_and_non_recursive_select_files)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = bs_path ("set");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (w);
  cr_assert (vss_backup_set_writer_add_files (w, "path:/x", src, "/x", "*.txt", FALSE, NULL, NULL,
                                              NULL, &error), "%s", error ? error->message : "");
  /* The root dir and a.txt; nothing from sub/ nor the other files. */
  cr_assert_eq (vss_backup_set_writer_get_entries (w), 2);
  cr_assert_eq (vss_backup_set_writer_get_bytes (w), strlen ("hello, world\n"));
  /* An overlapping file set adds each path once. */
  cr_assert (vss_backup_set_writer_add_files (w, "path:/x", src, "/x", "*", TRUE, NULL, NULL, NULL,
                                              &error));
  guint all = vss_backup_set_writer_get_entries (w);
  cr_assert (vss_backup_set_writer_add_files (w, "path:/x", src, "/x", "*", TRUE, NULL, NULL, NULL,
                                              &error));
  cr_assert_eq (vss_backup_set_writer_get_entries (w), all);
}

static void
count_progress (guint64 done, guint64 total, const char *path, gpointer user_data)
{
  guint64 *last = user_data;
  cr_assert_geq (done, *last, "progress went backwards");
  *last = done;
}

Test (roundtrip, progress_reports_bytes)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = bs_path ("set");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_COPY, NULL, &error);
  guint64 last = 0;
  cr_assert (vss_backup_set_writer_add_files (w, "path:/x", src, "/x", "*", TRUE, NULL,
                                              count_progress, &last, &error));
  cr_assert_eq (last, vss_backup_set_writer_get_bytes (w));
  cr_assert_gt (last, 8 * 1024 * 1024, "the sparse file's size counts: %" G_GUINT64_FORMAT, last);
}

Test (roundtrip, bad_arguments_are_refused)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = bs_path ("set");
  cr_assert_null (vss_backup_set_writer_new (dir, VSS_BT_INCREMENTAL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_ARG);
  cr_assert_not_null (strstr (error->message, "base"), "%s", error->message);
  g_clear_error (&error);
  g_autofree char *partial = bs_path ("x.partial");
  cr_assert_null (vss_backup_set_writer_new (partial, VSS_BT_FULL, NULL, &error));
  g_clear_error (&error);
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (w);
  cr_assert (!vss_backup_set_writer_add_files (w, "path:/x", "/nonexistent-dir", "/x", "*", TRUE,
                                               NULL, NULL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_OBJECT_NOT_FOUND, "%s", error->message);
  g_clear_error (&error);
  cr_assert (!vss_backup_set_writer_add_files (w, "path:/x", bs_tmpdir, "/x/../etc", "*", TRUE, NULL,
                                               NULL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_ARG);
  g_clear_error (&error);
  cr_assert (!vss_backup_set_writer_add_writer_metadata (w, "../evil", "{}", &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_ARG);
  g_clear_error (&error);
  cr_assert (!vss_backup_set_writer_commit (w, "{not json", &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT, "%s", error->message);
  g_clear_error (&error);
  /* The set can still be committed after those refusals. */
  g_autofree char *bcd = bs_bcd ();
  cr_assert (vss_backup_set_writer_commit (w, bcd, &error), "%s", error ? error->message : "");
  cr_assert (!vss_backup_set_writer_commit (w, bcd, &error));
  cr_assert_eq (error->code, VSS_ERROR_BAD_STATE);
  g_clear_error (&error);
  /* An existing DIR is never written over. */
  cr_assert_null (vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_OBJECT_ALREADY_EXISTS);
}
