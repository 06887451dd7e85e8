/* test-tamper.c — a backup set is untrusted input: changed data, paths
 * that climb out, absolute stored paths and symlinks placed to redirect
 * later writes are refused before anything is written; verify reports
 * missing, changed and extra files. */
#include <criterion/criterion.h>

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-test.h"

TestSuite (tamper, .init = bs_setup, .fini = bs_teardown);

static char *
make_set (void)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = bs_path ("set");
  return bs_write_set (dir, "path:/srv/data", src, "/srv/data", VSS_BT_FULL, NULL);
}

/* A restore root holding one file, and its listing before the restore. */
static char *
make_target (char **out_listing)
{
  char *root = bs_path ("target");
  g_autofree char *keep = g_build_filename (root, "srv", "data", NULL);
  cr_assert_eq (g_mkdir_with_parents (keep, 0755), 0);
  g_autofree char *file = g_build_filename (keep, "a.txt", NULL);
  vss_test_put_file (file, "current contents", 0644);
  *out_listing = bs_snapshot_tree (root);
  return root;
}

static GError *
restore_error (const char *dir, const char *root)
{
  GError *error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  if (set == NULL)
    return error;
  guint restored = 99;
  cr_assert (!vss_backup_set_restore_component (set, NULL, "path:/srv/data", root, NULL, VSS_RESTORE_REPLACE,
                                                NULL, NULL, &restored, &error),
             "a tampered set was restored");
  cr_assert_eq (restored, 0, "%u entries were written", restored);
  return error;
}

Test (tamper, changed_byte_stops_restore_naming_the_file)
{
  g_autofree char *dir = make_set ();
  g_autofree char *stored = g_build_filename (dir, "files/0/srv/data/sub/deep/big.bin", NULL);
  bs_flip_byte (stored, 100000);
  g_autofree char *before = NULL;
  g_autofree char *root = make_target (&before);
  g_autoptr(GError) error = restore_error (dir, root);
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT);
  cr_assert_not_null (strstr (error->message, "checksum mismatch"), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "big.bin"), "%s", error->message);
  g_autofree char *after = bs_snapshot_tree (root);
  cr_assert_str_eq (before, after, "the target changed");
}

Test (tamper, dotdot_path_is_refused)
{
  g_autofree char *dir = make_set ();
  bs_edit_manifest (dir, "\"path\":\"/srv/data/a.txt\"", "\"path\":\"/srv/data/../../etc/a.txt\"");
  g_autofree char *before = NULL;
  g_autofree char *root = make_target (&before);
  g_autoptr(GError) error = restore_error (dir, root);
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT);
  cr_assert_not_null (strstr (error->message, "line "), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "\"..\""), "%s", error->message);
  g_autofree char *after = bs_snapshot_tree (root);
  cr_assert_str_eq (before, after);
}

Test (tamper, absolute_stored_path_is_refused)
{
  g_autofree char *dir = make_set ();
  bs_edit_manifest (dir, "\"stored\":\"files/0/srv/data/a.txt\"", "\"stored\":\"/etc/passwd\"");
  g_autoptr(GError) error = NULL;
  cr_assert_null (vss_backup_set_open (dir, &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT);
  cr_assert_not_null (strstr (error->message, "stored"), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "absolute"), "%s", error->message);
}

Test (tamper, symlinked_stored_path_is_not_followed)
{
  g_autofree char *dir = make_set ();
  /* files/0/srv → /etc: the stored path is clean, the set is not. */
  g_autofree char *srv = g_build_filename (dir, "files", "0", "srv", NULL);
  g_autofree char *moved = g_build_filename (dir, "files", "0", "srv-moved", NULL);
  cr_assert_eq (rename (srv, moved), 0);
  cr_assert_eq (symlink (moved, srv), 0);
  g_autofree char *before = NULL;
  g_autofree char *root = make_target (&before);
  g_autoptr(GError) error = restore_error (dir, root);
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT, "%s", error->message);
  g_autofree char *after = bs_snapshot_tree (root);
  cr_assert_str_eq (before, after);
}

/* The same with a relative symlink that stays inside the set: the stored
 * file is still reached through a link, which a set never holds. */
Test (tamper, relative_symlink_inside_the_set_is_not_followed)
{
  g_autofree char *dir = make_set ();
  g_autofree char *srv = g_build_filename (dir, "files", "0", "srv", NULL);
  g_autofree char *moved = g_build_filename (dir, "files", "0", "srv-moved", NULL);
  cr_assert_eq (rename (srv, moved), 0);
  cr_assert_eq (symlink ("srv-moved", srv), 0);
  g_autofree char *before = NULL;
  g_autofree char *root = make_target (&before);
  g_autoptr(GError) error = restore_error (dir, root);
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT, "%s", error->message);
  g_autofree char *after = bs_snapshot_tree (root);
  cr_assert_str_eq (before, after);
}

/* Adds an entry "/srv/data/link/pwned" (data of a.txt) after the symlink
 * entry /srv/data/link, and points that link outside the target. */
static void
add_escape_entry (const char *dir, const char *outside)
{
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *text = vss_test_read_file (path);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GString *out = g_string_new (NULL);
  json_object *copy = NULL;
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    json_object *e = json_tokener_parse (lines[i]);
    cr_assert_not_null (e, "line %u", i + 1);
    json_object *p = NULL;
    if (g_str_has_prefix (lines[i], "{\"end\":") && copy != NULL) {
      json_object_object_add (copy, "path", json_object_new_string ("/srv/data/link/pwned"));
      g_string_append_printf (out, "%s\n", json_object_to_json_string_ext (copy, JSON_C_TO_STRING_PLAIN));
      g_clear_pointer (&copy, json_object_put);
    }
    if (json_object_object_get_ex (e, "path", &p) && strcmp (json_object_get_string (p), "/srv/data/link") == 0)
      json_object_object_add (e, "target", json_object_new_string (outside));
    if (p != NULL && strcmp (json_object_get_string (p), "/srv/data/a.txt") == 0)
      json_object_deep_copy (e, &copy, NULL);
    g_string_append_printf (out, "%s\n", json_object_to_json_string_ext (e, JSON_C_TO_STRING_PLAIN));
    json_object_put (e);
  }
  cr_assert_null (copy, "no a.txt entry, or no closing line");
  cr_assert (g_file_set_contents (path, out->str, (gssize) out->len, NULL));
  g_string_free (out, TRUE);
  bs_reseal_manifest (dir);
}

Test (tamper, symlink_then_file_under_it_is_refused)
{
  g_autofree char *dir = make_set ();
  g_autofree char *outside = bs_path ("outside");
  cr_assert_eq (g_mkdir_with_parents (outside, 0755), 0);
  add_escape_entry (dir, outside);
  g_autofree char *before = NULL;
  g_autofree char *root = make_target (&before);
  g_autoptr(GError) error = restore_error (dir, root);
  cr_assert_eq (error->code, VSS_ERROR_ACCESS_DENIED, "%s", error->message);
  cr_assert_not_null (strstr (error->message, "/srv/data/link/pwned"), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "symlink"), "%s", error->message);
  g_autofree char *after = bs_snapshot_tree (root);
  cr_assert_str_eq (before, after, "something was written before the refusal");
  g_autofree char *pwned = g_build_filename (outside, "pwned", NULL);
  cr_assert (!g_file_test (pwned, G_FILE_TEST_EXISTS), "the restore escaped");
}

Test (tamper, existing_symlink_in_target_is_refused)
{
  g_autofree char *dir = make_set ();
  g_autofree char *outside = bs_path ("outside");
  g_autofree char *root = bs_path ("target");
  cr_assert_eq (g_mkdir_with_parents (outside, 0755), 0);
  cr_assert_eq (g_mkdir_with_parents (root, 0755), 0);
  g_autofree char *srv = g_build_filename (root, "srv", NULL);
  cr_assert_eq (symlink (outside, srv), 0);
  g_autoptr(GError) error = restore_error (dir, root);
  cr_assert_eq (error->code, VSS_ERROR_ACCESS_DENIED, "%s", error->message);
  g_autoptr(GDir) d = g_dir_open (outside, 0, NULL);
  const char *name = g_dir_read_name (d);
  cr_assert_null (name, "the restore wrote %s through the symlink", name);
}

Test (tamper, bad_mapping_is_refused)
{
  g_autofree char *dir = make_set ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  const char *mappings[] = { "/srv/data", "/tmp/../etc", NULL };
  cr_assert (!vss_backup_set_restore_component (set, NULL, "path:/srv/data", NULL, mappings,
                                                VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_ARG, "%s", error->message);
  g_clear_error (&error);
  cr_assert (!vss_backup_set_restore_component (set, NULL, "nope", "/nonexistent-root", NULL,
                                                VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_OBJECT_NOT_FOUND);
}

static void
collect (VssVerifyProblem problem, const char *stored, const char *detail, gpointer user_data)
{
  static const char *names[] = { "missing", "changed", "extra" };
  g_string_append_printf (user_data, "%s %s\n", names[problem], stored);
}

Test (tamper, verify_reports_missing_changed_and_extra)
{
  g_autofree char *dir = make_set ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) log = g_string_new (NULL);
  {
    g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
    cr_assert (vss_backup_set_verify (set, collect, log, NULL, NULL, &error),
               "a fresh set fails verify: %s", log->str);
  }
  g_autofree char *a = g_build_filename (dir, "files/0/srv/data/a.txt", NULL);
  g_autofree char *secret = g_build_filename (dir, "files/0/srv/data/sub/secret", NULL);
  g_autofree char *extra = g_build_filename (dir, "files/0/srv/data/planted", NULL);
  cr_assert_eq (unlink (a), 0);
  bs_flip_byte (secret, 0);
  vss_test_put_file (extra, "x", 0600);
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert (!vss_backup_set_verify (set, collect, log, NULL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT);
  cr_assert_not_null (strstr (error->message, "3 problems"), "%s", error->message);
  cr_assert_not_null (strstr (log->str, "missing files/0/srv/data/a.txt\n"), "%s", log->str);
  cr_assert_not_null (strstr (log->str, "changed files/0/srv/data/sub/secret\n"), "%s", log->str);
  cr_assert_not_null (strstr (log->str, "extra files/0/srv/data/planted\n"), "%s", log->str);
}
