/* test-manifest.c — the manifest reader refuses every malformed manifest
 * with the place of the problem, and loads large ones. */
#include <criterion/criterion.h>

#include <string.h>
#include <unistd.h>

#include "bs-test.h"

TestSuite (manifest, .init = bs_setup, .fini = bs_teardown);

static char *
small_set (void)
{
  g_autofree char *src = bs_path ("src");
  g_autofree char *f = g_build_filename (src, "f", NULL);
  cr_assert_eq (g_mkdir_with_parents (src, 0755), 0);
  vss_test_put_file (f, "data", 0644);
  vss_test_set_mtime (f, 1000, 0);
  g_autofree char *dir = bs_path ("set");
  return bs_write_set (dir, "path:/d", src, "/d", VSS_BT_FULL, NULL);
}

typedef struct {
  const char *from, *to, *expect;
} Edit;

static const Edit edits[] = {
  { "\"version\":5", "\"version\":6", "version" },
  { "\"version\":5", "\"version\":3", "line 1: version: a manifest of lines is version 4 or later" },
  { "\"version\":5,", "", "version: required" },
  { "\"sha256\":\"", "\"sha256_tree\":\"", "a file of at most one 4 MiB piece has a \"sha256\"" },
  { "\"components\":[", "\"consistency\":{\"path:/d\":\"sometimes\"},\"components\":[", "consistency: values are" },
  { "\"components\":[", "\"consistency\":{\"zz\":\"crash\"},\"components\":[", "consistency: names a component" },
  { "\"components\":[", "\"consistency\":[],\"components\":[", "consistency: must be an object" },
  { "\"set_id\":\"", "\"set_id\":\"x", "set_id: must be a UUID" },
  { "\"backup_type\":\"full\"", "\"backup_type\":\"weekly\"", "backup_type" },
  { "\"backup_type\":\"full\"", "\"backup_type\":\"incremental\"", "base_id: required" },
  { "\"components\":[\"path:/d\"]", "\"components\":[\"path:/d\",\"path:/d\"]", "components[1]: listed twice" },
  { "\"component\":\"path:/d\"", "\"component\":\"zz\"", "not listed" },
  { "\"type\":\"file\"", "\"type\":\"fifo\"", "line 3.type" },
  { "\"sha256\":\"", "\"sha256\":\"AB", "sha256: must be 64" },
  { "\"mode\":420", "\"mode\":99999", "mode: 99999 is out of range" },
  { "\"uid\":", "\"uid\":-1,\"x\":", "unknown member" },
  { "\"stored\":\"files/0/d/f\"", "\"in_base\":\"nope\"", "in_base: must be a set id" },
  { "\"stored\":\"files/0/d/f\"", "\"stored\":\"files/0/d/f\",\"in_base\":\"0b5c8a2e-64b4-4e6a-9a43-7b1f6f7c9d11\"", "exactly one" },
  { "\"stored\":\"files/0/d/f\"", "\"stored\":\"elsewhere/f\"", "must be under files/" },
  { "\"stored\":\"files/0/d/f\"", "\"stored\":\"files/0/d//f\"", "empty part" },
  { "\"path\":\"/d/f\"", "\"path\":\"d/f\"", "line 3.path: must be an absolute path" },
  { "\"path\":\"/d/f\"", "\"path\":\"/d\"", "listed twice" },
  { "\"mtime_nsec\":", "\"mtime_nsec\":{", "line 2 is not one JSON object" },
  { "\"type\":\"file\"", "\"type\":\"file", "line 3 is not one JSON object" },
};

Test (manifest, malformed_manifests_are_refused_with_the_place)
{
  g_autofree char *dir = small_set ();
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *good = NULL;
  cr_assert (g_file_get_contents (path, &good, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (edits); i++) {
    cr_assert (g_file_set_contents (path, good, -1, NULL));
    bs_edit_manifest (dir, edits[i].from, edits[i].to);
    g_autoptr(GError) error = NULL;
    g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
    cr_assert_null (set, "edit %u (%s) was accepted", i, edits[i].to);
    cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT, "edit %u: %s", i, error->message);
    cr_assert_not_null (strstr (error->message, edits[i].expect), "edit %u: %s", i,
                        error->message);
  }
}

Test (manifest, damaged_bcd_is_refused)
{
  g_autofree char *dir = small_set ();
  g_autofree char *bcd = g_build_filename (dir, "bcd.json", NULL);
  vss_test_put_file (bcd, "{\"version\":1", 0600);
  g_autoptr(GError) error = NULL;
  cr_assert_null (vss_backup_set_open (dir, &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT);
  cr_assert_not_null (strstr (error->message, "bcd.json"), "%s", error->message);
}

/* 20,000 entries written the way the writer writes them load and index;
 * the time for 100k is measured in bench/backupset, not here. */
Test (manifest, large_manifest_loads)
{
  g_autofree char *dir = small_set ();
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (path, &text, NULL, NULL));
  const char *start = strstr (text, "\n{\"component\":\"path:/d\",\"path\":\"/d/f\"");
  cr_assert_not_null (start);
  const char *end = strchr (start + 1, '\n');
  g_autofree char *line = g_strndup (start + 1, end - start - 1);
  GString *big = g_string_new_len (text, end + 1 - text);
  for (guint i = 0; i < 20000; i++) {
    g_autofree char *name = g_strdup_printf ("\"/d/f%u\"", i);
    g_autofree char *stored = g_strdup_printf ("\"files/0/d/f%u\"", i);
    g_auto(GStrv) a = g_strsplit (line, "\"/d/f\"", 2);
    g_autofree char *l1 = g_strjoin (name, a[0], a[1], NULL);
    g_auto(GStrv) b = g_strsplit (l1, "\"files/0/d/f\"", 2);
    g_autofree char *l2 = g_strjoin (stored, b[0], b[1], NULL);
    g_string_append_printf (big, "%s\n", l2);
  }
  g_string_append (big, end + 1);
  cr_assert (g_file_set_contents (path, big->str, big->len, NULL));
  g_string_free (big, TRUE);
  bs_reseal_manifest (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  /* The entries are there; their data are not, which verify says. */
  cr_assert (!vss_backup_set_verify (set, NULL, NULL, NULL, NULL, &error));
  cr_assert_not_null (strstr (error->message, "20000 problems"), "%s", error->message);
}

/* Sets written before version 2 (no base_manifest_sha256, no hard links)
 * still load, verify and restore; version 2 members in them are refused. */
Test (manifest, version_1_sets_still_load_and_restore)
{
  g_autofree char *dir = small_set ();
  bs_manifest_to_document (dir, 1);
  g_autoptr(GError) error = NULL;
  {
    g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
    cr_assert_not_null (set, "%s", error ? error->message : "");
    cr_assert (vss_backup_set_verify (set, NULL, NULL, NULL, NULL, &error), "%s",
               error ? error->message : "");
    g_autofree char *root = bs_path ("target");
    cr_assert (vss_backup_set_restore_component (set, NULL, "path:/d", root, NULL,
                                                 VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error),
               "%s", error ? error->message : "");
    g_autofree char *f = g_build_filename (root, "d", "f", NULL);
    g_autofree char *data = vss_test_read_file (f);
    cr_assert_str_eq (data, "data");
  }
  bs_edit_manifest (dir, "\"type\":\"file\"", "\"type\":\"file\",\"hardlink\":\"/d/g\"");
  cr_assert_null (vss_backup_set_open (dir, &error));
  cr_assert_not_null (strstr (error->message, "unknown member \"hardlink\""), "%s", error->message);
}

/* Version 3 records how each --path tree was read; version 2 sets (no
 * such member) still load, and a version 2 set with it is refused. */
Test (manifest, consistency_round_trips_and_version_2_sets_still_load)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = bs_path ("set");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (w, "%s", error ? error->message : "");
  cr_assert (vss_backup_set_writer_add_files (w, "path:/d", src, "/d", "*", TRUE, NULL, NULL,
                                              NULL, &error), "%s", error ? error->message : "");
  cr_assert_not (vss_backup_set_writer_set_consistency (w, "path:/d", "sometimes", &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_INVALID_ARG));
  g_clear_error (&error);
  cr_assert (vss_backup_set_writer_set_consistency (w, "path:/d", "after-thaw", &error));
  g_autofree char *bcd = bs_bcd ();
  cr_assert (vss_backup_set_writer_commit (w, bcd, &error), "%s", error ? error->message : "");
  {
    g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
    cr_assert_not_null (set, "%s", error ? error->message : "");
    cr_assert_str_eq (vss_backup_set_get_consistency (set, "path:/d"), "after-thaw");
    cr_assert_null (vss_backup_set_get_consistency (set, "path:/other"));
  }
  bs_manifest_to_document (dir, 2);
  cr_assert_null (vss_backup_set_open (dir, &error));
  cr_assert_not_null (strstr (error->message, "unknown member \"consistency\""), "%s", error->message);
  g_clear_error (&error);
  bs_edit_manifest (dir, "\"consistency\":{\"path:/d\":\"after-thaw\"},", "");
  g_autoptr(VssBackupSet) old = vss_backup_set_open (dir, &error);
  cr_assert_not_null (old, "a version 2 set: %s", error ? error->message : "");
  cr_assert (vss_backup_set_verify (old, NULL, NULL, NULL, NULL, &error), "%s",
             error ? error->message : "");
  cr_assert_null (vss_backup_set_get_consistency (old, "path:/d"));
}

/* Version 5: a file above one 4 MiB piece has its piece digest
 * ("sha256_tree", computed here independently), a smaller one the
 * SHA-256 of its bytes; a changed byte in any piece fails verify.  A set
 * of version 4 (the SHA-256 of every file) still verifies and restores,
 * and in it a piece digest is an unknown member. */
Test (manifest, large_files_have_piece_digests_and_version_4_sets_still_restore)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = bs_path ("set");
  g_free (bs_write_set (dir, "path:/d", src, "/d", VSS_BT_FULL, NULL));
  g_autofree char *manifest = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *text = vss_test_read_file (manifest);
  g_autofree char *sparse = g_build_filename (src, "sparse.img", NULL);
  g_autofree char *big = g_build_filename (src, "sub", "deep", "big.bin", NULL);
  g_autofree char *sparse_digest = vss_test_digest_of_file (sparse);
  g_autofree char *big_sha = vss_test_sha256_of_file (big);
  g_autofree char *want_tree = g_strdup_printf ("\"sha256_tree\":\"%s\"", sparse_digest);
  g_autofree char *want_plain = g_strdup_printf ("\"sha256\":\"%s\"", big_sha);
  cr_assert_not_null (strstr (text, want_tree), "no %s in %s", want_tree, text);
  cr_assert_not_null (strstr (text, want_plain), "no %s in %s", want_plain, text);
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = g_build_filename (dir, "files", "0", "d", "sparse.img", NULL);
  /* a byte of the first piece (whole), then of the last (short) */
  const gsize flips[] = { 1, 8 * 1024 * 1024 };
  for (guint i = 0; i < G_N_ELEMENTS (flips); i++) {
    bs_flip_byte (stored, flips[i]);
    g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
    cr_assert_not_null (set, "%s", error ? error->message : "");
    cr_assert_not (vss_backup_set_verify (set, NULL, NULL, NULL, NULL, &error), "byte %zu", flips[i]);
    cr_assert_not_null (strstr (error->message, "has 1 problem"), "%s", error->message);
    g_clear_error (&error);
    bs_flip_byte (stored, flips[i]);
  }
  bs_manifest_to_version_4 (dir);
  g_autofree char *v4 = vss_test_read_file (manifest);
  cr_assert_null (strstr (v4, "sha256_tree"));
  {
    g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
    cr_assert_not_null (set, "a version 4 set: %s", error ? error->message : "");
    cr_assert (vss_backup_set_verify (set, NULL, NULL, NULL, NULL, &error), "%s",
               error ? error->message : "");
    g_autofree char *root = bs_path ("target");
    cr_assert (vss_backup_set_restore_component (set, NULL, "path:/d", root, NULL,
                                                 VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error),
               "%s", error ? error->message : "");
    g_autofree char *restored = g_build_filename (root, "d", NULL);
    vss_test_assert_same_tree (src, restored);
  }
  g_autofree char *sparse_sha = vss_test_sha256_of_file (sparse);
  g_autofree char *plain = g_strdup_printf ("\"sha256\":\"%s\"", sparse_sha);
  bs_edit_manifest (dir, plain, want_tree);
  cr_assert_null (vss_backup_set_open (dir, &error));
  cr_assert_not_null (strstr (error->message, "unknown member \"sha256_tree\""), "%s",
                      error->message);
}
