/* test-verify.c — verify means restorable: a set whose base was moved
 * away, replaced or loops, whose in-base entry has no data in the chain,
 * which has no component, or whose entries a restore would refuse (a
 * path edited outside the component's file sets, a directory under a
 * symlink entry) fails verify, naming the problem; restore refuses the
 * same entries before writing anything. */
#include <criterion/criterion.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "bs-test.h"
#include "document/vss-document-private.h"

TestSuite (verify, .init = bs_setup, .fini = bs_teardown);

#define COMPONENT "path:/data"

static void
collect (VssVerifyProblem problem, const char *where, const char *detail, gpointer user_data)
{
  static const char *names[] = { "missing", "changed", "extra", "chain", "refused" };
  g_string_append_printf (user_data, "%s %s: %s\n", names[problem], where, detail);
}

/* verify's report of @dir ("" when it is clean). */
static char *
verify_log (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  GString *log = g_string_new (NULL);
  gboolean ok = vss_backup_set_verify (set, collect, log, NULL, NULL, &error);
  cr_assert_eq (ok, log->len == 0, "verify returned %d with problems: %s", ok, log->str);
  cr_assert (ok || error->code == VSS_ERROR_INVALID_DOCUMENT);
  return g_string_free (log, FALSE);
}

static void
assert_has (const char *log, const char *a, const char *b)
{
  cr_assert_not_null (strstr (log, a), "no \"%s\" in: %s", a, log);
  cr_assert (b == NULL || strstr (log, b) != NULL, "no \"%s\" in: %s", b, log);
}

/* sets/full and sets/incr (a.txt changed, the rest in base). */
static void
make_chain (char **full_dir, char **incr_dir)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *sets = bs_path ("sets");
  cr_assert_eq (g_mkdir_with_parents (sets, 0700), 0);
  *full_dir = bs_path ("sets/full");
  g_free (bs_write_set (*full_dir, COMPONENT, src, "/data", VSS_BT_FULL, NULL));
  g_autofree char *a = g_build_filename (src, "a.txt", NULL);
  vss_test_put_file (a, "changed!\n", 0644);
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) full = vss_backup_set_open (*full_dir, &error);
  *incr_dir = bs_path ("sets/incr");
  g_free (bs_write_set (*incr_dir, COMPONENT, src, "/data", VSS_BT_INCREMENTAL, full));
}

Test (verify, a_complete_chain_is_clean)
{
  g_autofree char *full = NULL, *incr = NULL;
  make_chain (&full, &incr);
  g_autofree char *log = verify_log (incr);
  cr_assert_str_empty (log);
}

Test (verify, base_moved_away_fails_naming_it)
{
  g_autofree char *full = NULL, *incr = NULL;
  make_chain (&full, &incr);
  g_autoptr(VssBackupSet) base = vss_backup_set_open (full, NULL);
  g_autofree char *id = g_strdup (vss_backup_set_get_id (base));
  g_autofree char *away = bs_path ("away");
  cr_assert_eq (rename (full, away), 0);
  g_autofree char *log = verify_log (incr);
  assert_has (log, "chain manifest.json", id);
}

Test (verify, base_replaced_by_another_set_fails)
{
  g_autofree char *full = NULL, *incr = NULL;
  make_chain (&full, &incr);
  g_autoptr(VssBackupSet) base = vss_backup_set_open (full, NULL);
  g_autofree char *id = g_strdup (vss_backup_set_get_id (base));
  /* Another full backup of other data, given the base's id. */
  g_autofree char *other_src = bs_path ("other-src");
  g_autofree char *f = g_build_filename (other_src, "a.txt", NULL);
  cr_assert_eq (g_mkdir_with_parents (other_src, 0755), 0);
  vss_test_put_file (f, "other", 0644);
  g_autofree char *other = bs_path ("other");
  g_free (bs_write_set (other, COMPONENT, other_src, "/data", VSS_BT_FULL, NULL));
  g_autoptr(VssBackupSet) o = vss_backup_set_open (other, NULL);
  bs_edit_manifest (other, vss_backup_set_get_id (o), id);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s' && mv '%s' '%s'", full, other, full);
  cr_assert_eq (system (cmd), 0);
  g_autofree char *log = verify_log (incr);
  assert_has (log, "chain manifest.json", "replaced");

  /* restore refuses it too, before writing anything. */
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (incr, &error);
  g_autoptr(GPtrArray) chain = NULL;
  cr_assert (!vss_backup_set_find_chain (set, &chain, &error));
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT, "%s", error->message);
}

Test (verify, chain_that_loops_fails)
{
  g_autofree char *full = NULL, *incr = NULL;
  make_chain (&full, &incr);
  g_autoptr(VssBackupSet) i = vss_backup_set_open (incr, NULL);
  /* The full set now says it builds on the incremental. */
  g_autofree char *loop = g_strdup_printf ("\"base_id\":\"%s\",\"backup_type\":\"incremental\"",
                                           vss_backup_set_get_id (i));
  bs_edit_manifest (full, "\"backup_type\":\"full\"", loop);
  g_autofree char *log = verify_log (incr);
  assert_has (log, "chain manifest.json", "loops");
}

Test (verify, base_manifest_edited_after_the_incremental_fails)
{
  g_autofree char *full = NULL, *incr = NULL;
  make_chain (&full, &incr);
  /* The base no longer lists a file the incremental takes from it. */
  bs_edit_manifest (full, "\"path\":\"/data/sub/secret\"", "\"path\":\"/data/sub/secret2\"");
  g_autofree char *log = verify_log (incr);
  /* Any edit of the base manifest is seen through the recorded SHA-256. */
  assert_has (log, "chain manifest.json", "replaced");
}

Test (verify, in_base_entry_whose_checksum_differs_fails)
{
  g_autofree char *full = NULL, *incr = NULL;
  make_chain (&full, &incr);
  g_autofree char *path = g_build_filename (incr, "manifest.json", NULL);
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (path, &text, NULL, NULL));
  /* The in-base entry of sub/secret claims another checksum. */
  const char *line = strstr (text, "\"path\":\"/data/sub/secret\"");
  cr_assert_not_null (line);
  const char *sha = strstr (line, "\"sha256\":\"");
  cr_assert_not_null (sha);
  g_autofree char *old = g_strndup (sha, strlen ("\"sha256\":\"") + 64);
  g_autofree char *new_sha = g_strdup_printf ("\"sha256\":\"%064d", 0);
  bs_edit_manifest (incr, old, new_sha);
  g_autofree char *log = verify_log (incr);
  assert_has (log, "refused path:/data", "/data/sub/secret");
}

Test (verify, set_with_no_component_fails)
{
  g_autofree char *dir = bs_path ("empty-set");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  g_autofree char *bcd = bs_bcd ();
  cr_assert (vss_backup_set_writer_commit (w, bcd, &error), "%s", error ? error->message : "");
  g_autofree char *log = verify_log (dir);
  assert_has (log, "refused manifest.json", "no component");
}

/* A path edited to lie outside the component's file set: verify reports
 * it, restore refuses it and writes nothing. */
Test (verify, path_outside_the_file_sets_is_refused)
{
  g_autofree char *full = NULL, *incr = NULL;
  make_chain (&full, &incr);
  bs_edit_manifest (full, "\"path\":\"/data/a.txt\"", "\"path\":\"/etc/a.txt\"");
  g_autofree char *log = verify_log (full);
  assert_has (log, "refused path:/data", "/etc/a.txt");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (full, &error);
  g_autofree char *root = bs_path ("target");
  cr_assert (!vss_backup_set_restore_component (set, NULL, COMPONENT, root, NULL,
                                                VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error));
  cr_assert_eq (error->code, VSS_ERROR_ACCESS_DENIED, "%s", error->message);
  cr_assert_not_null (strstr (error->message, "/etc/a.txt"), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "file sets"), "%s", error->message);
  cr_assert (!g_file_test (root, G_FILE_TEST_EXISTS), "something was written");
}

Test (verify, directory_under_a_symlink_entry_is_refused)
{
  g_autofree char *full = NULL, *incr = NULL;
  make_chain (&full, &incr);
  /* /data/link is a symlink entry; a directory entry under it follows. */
  bs_edit_manifest (full, "\"target\":\"sub/secret\"", "\"target\":\"/etc\"");
  bs_edit_manifest (full, "\n{\"end\":", "\n{\"component\":\"path:/data\",\"path\":\"/data/link/cron.d\","
                    "\"type\":\"dir\",\"size\":0,\"mode\":493,\"uid\":0,\"gid\":0,"
                    "\"mtime_nsec\":0}\n{\"end\":");
  g_autofree char *log = verify_log (full);
  assert_has (log, "refused path:/data", "symlink");
}

/* A writer's component: its file sets come from writers/NAME.json. */
static char *
writer_set (const char *src)
{
  g_autoptr(VssWriterMetadata) md = vss_writer_metadata_new (
      "0b5c8a2e-64b4-4e6a-9a43-7b1f6f7c9d11", "0b5c8a2e-64b4-4e6a-9a43-7b1f6f7c9d12", "w",
      VSS_UT_USERDATA);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_writer_metadata_add_component (md, VSS_CT_FILEGROUP, "db", "main", NULL, TRUE,
                                                TRUE, &error));
  cr_assert (vss_writer_metadata_add_files_to_file_group (md, "db", "main", "/srv/db", "*.txt",
                                                          FALSE, NULL, &error),
             "%s", error ? error->message : "");
  g_autofree char *json = vss_writer_metadata_to_json (md);
  g_autofree char *dir = bs_path ("wset");
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert (vss_backup_set_writer_add_files (w, "w/db/main", src, "/srv/db", "*.txt", FALSE,
                                              NULL, NULL, NULL, &error));
  cr_assert (vss_backup_set_writer_add_writer_metadata (w, "w", json, &error));
  g_autofree char *bcd = bs_bcd ();
  cr_assert (vss_backup_set_writer_commit (w, bcd, &error), "%s", error ? error->message : "");
  return g_steal_pointer (&dir);
}

Test (verify, writer_component_is_bounded_by_its_declared_file_sets)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = writer_set (src);
  g_autofree char *clean = verify_log (dir);
  cr_assert_str_empty (clean);
  g_autoptr(GError) error = NULL;
  g_autofree char *root = bs_path ("target");
  {
    g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
    cr_assert (vss_backup_set_restore_component (set, NULL, "w/db/main", root, NULL,
                                                 VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error),
               "%s", error ? error->message : "");
  }
  /* The file set is not recursive: a path one level down is outside. */
  bs_edit_manifest (dir, "\"path\":\"/srv/db/a.txt\"", "\"path\":\"/srv/db/sub/a.txt\"");
  g_autofree char *log = verify_log (dir);
  assert_has (log, "refused w/db/main", "/srv/db/sub/a.txt");
  /* …and without the writer's metadata nothing of it is restorable. */
  bs_edit_manifest (dir, "\"path\":\"/srv/db/sub/a.txt\"", "\"path\":\"/srv/db/a.txt\"");
  g_autofree char *md = g_build_filename (dir, "writers", "w.json", NULL);
  cr_assert_eq (g_unlink (md), 0);
  g_autofree char *log2 = verify_log (dir);
  assert_has (log2, "refused w/db/main", "no file set");
}
