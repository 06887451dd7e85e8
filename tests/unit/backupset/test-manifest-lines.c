/* test-manifest-lines.c — the version 4 manifest is lines, read one at a
 * time: a manifest cut short, a damaged line or one whose closing line
 * does not match is refused naming the line; a version 3 set made before
 * still loads, verifies, restores and is a base for an incremental. */
#include <criterion/criterion.h>

#include <string.h>
#include <unistd.h>

#include "bs-test.h"

TestSuite (lines, .init = bs_setup, .fini = bs_teardown);

static char *
small_set (void)
{
  g_autofree char *src = bs_path ("src");
  bs_make_tree (src);
  g_autofree char *dir = bs_path ("set");
  return bs_write_set (dir, "path:/data", src, "/data", VSS_BT_FULL, NULL);
}

static char *
manifest_text (const char *dir, gsize *len)
{
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  char *text = NULL;
  cr_assert (g_file_get_contents (path, &text, len, NULL));
  return text;
}

static void
put_manifest (const char *dir, const char *text, gsize len)
{
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  cr_assert (g_file_set_contents (path, text, (gssize) len, NULL));
}

static void
assert_refused (const char *dir, const char *expect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_null (set, "the set was opened; expected \"%s\"", expect);
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT), "%s", error->message);
  cr_assert_not_null (strstr (error->message, expect), "%s", error->message);
}

/* The offset just after the @n-th "\n". */
static gsize
after_line (const char *text, guint n)
{
  const char *p = text;
  for (guint i = 0; i < n; i++) {
    p = strchr (p, '\n');
    cr_assert_not_null (p);
    p++;
  }
  return (gsize) (p - text);
}

Test (lines, a_manifest_cut_short_is_refused_naming_the_line)
{
  g_autofree char *dir = small_set ();
  gsize len = 0;
  g_autofree char *good = manifest_text (dir, &len);
  /* in the middle of line 3 */
  put_manifest (dir, good, after_line (good, 2) + 10);
  assert_refused (dir, "line 3 ends without a newline");
  /* after whole lines, before the closing line */
  put_manifest (dir, good, after_line (good, 4));
  assert_refused (dir, "ends at line 4 without its closing line");
  put_manifest (dir, good, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
}

Test (lines, a_damaged_line_is_refused_naming_it)
{
  g_autofree char *dir = small_set ();
  gsize len = 0;
  g_autofree char *text = manifest_text (dir, &len);
  gsize at = after_line (text, 3);
  text[at + 1] = '#';   /* line 4, right after its "{" */
  put_manifest (dir, text, len);
  bs_reseal_manifest (dir);
  assert_refused (dir, "line 4 is not one JSON object");
}

Test (lines, text_after_the_closing_line_is_refused)
{
  g_autofree char *dir = small_set ();
  gsize len = 0;
  g_autofree char *text = manifest_text (dir, &len);
  g_autofree char *more = g_strconcat (text, "{}\n", NULL);
  put_manifest (dir, more, len + 3);
  assert_refused (dir, "text after the closing line");
}

/* An edit the closing line does not account for: the set does not open,
 * so vss verify reports it. */
Test (lines, a_manifest_whose_checksum_does_not_match_fails_verify)
{
  g_autofree char *dir = small_set ();
  gsize len = 0;
  g_autofree char *text = manifest_text (dir, &len);
  char *mode = strstr (text, "\"mode\":420");
  cr_assert_not_null (mode);
  memcpy (mode, "\"mode\":384", 10);   /* 0644 → 0600, same length */
  put_manifest (dir, text, len);
  assert_refused (dir, "the manifest was damaged or edited");
  g_autofree char *vss = g_build_filename (VSS_TEST_BUILD_ROOT, "requester", "vss", NULL);
  const char *argv[] = { vss, "verify", dir, NULL };
  g_autofree char *out = NULL;
  int status = 0;
  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                           &out, NULL, &status, NULL));
  cr_assert_neq (status, 0, "vss verify passed a manifest with a wrong checksum: %s", out);
}

/* The entry count on the closing line is checked too. */
Test (lines, a_closing_line_with_another_count_is_refused)
{
  g_autofree char *dir = small_set ();
  gsize len = 0;
  g_autofree char *text = manifest_text (dir, &len);
  char *count = strstr (text, "{\"end\":{\"entries\":");
  cr_assert_not_null (count);
  count += strlen ("{\"end\":{\"entries\":");
  *count = *count == '9' ? '8' : *count + 1;
  put_manifest (dir, text, len);
  assert_refused (dir, "the manifest was damaged or edited");
}

static char *
copy_fixture (void)
{
  char *dir = bs_path ("set-v3");
  const char *argv[] = { "cp", "-a", VSS_TEST_SET_DATA "/set-v3", dir, NULL };
  int status = 0;
  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                           NULL, &status, NULL));
  cr_assert_eq (status, 0);
  return dir;
}

static gboolean
count_entry (const VssBackupSetEntry *e, gpointer user_data)
{
  (void) e;
  (*(guint *) user_data)++;
  return TRUE;
}

static gboolean
note_link (const VssBackupSetEntry *e, gpointer user_data)
{
  *(char **) user_data = g_strdup (e->hardlink);
  return TRUE;
}

Test (lines, a_version_3_set_still_loads_verifies_and_restores)
{
  g_autofree char *dir = copy_fixture ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  cr_assert_str_eq (vss_backup_set_get_consistency (set, "path:/tmp/vss-fixture"), "crash");
  guint entries = 0;
  cr_assert (vss_backup_set_foreach_entry (set, count_entry, &entries, &error));
  cr_assert_eq (entries, 6);
  g_autofree char *link = NULL;
  cr_assert (vss_backup_set_find_entry (set, "path:/tmp/vss-fixture", "/tmp/vss-fixture/sub/a-link",
                                        note_link, &link));
  cr_assert_str_eq (link, "/tmp/vss-fixture/a.txt");
  cr_assert (vss_backup_set_verify (set, NULL, NULL, NULL, NULL, &error), "%s",
             error ? error->message : "");
  g_autofree char *root = bs_path ("target");
  guint restored = 0;
  cr_assert (vss_backup_set_restore_component (set, NULL, "path:/tmp/vss-fixture", root, NULL,
                                               VSS_RESTORE_REPLACE, NULL, NULL, &restored, &error),
             "%s", error ? error->message : "");
  cr_assert_eq (restored, 6);
  g_autofree char *b = g_build_filename (root, "tmp/vss-fixture/sub/b.txt", NULL);
  g_autofree char *data = vss_test_read_file (b);
  cr_assert_str_eq (data, "beta\n");
}

/* An incremental looks every path up in its base: here a version 3 one. */
Test (lines, an_incremental_on_a_version_3_base_takes_unchanged_files_from_it)
{
  g_autofree char *dir = copy_fixture ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) base = vss_backup_set_open (dir, &error);
  cr_assert_not_null (base, "%s", error ? error->message : "");
  g_autofree char *src = bs_path ("again");
  g_autofree char *sub = g_build_filename (src, "sub", NULL);
  g_autofree char *a = g_build_filename (src, "a.txt", NULL);
  g_autofree char *b = g_build_filename (sub, "b.txt", NULL);
  cr_assert_eq (g_mkdir_with_parents (sub, 0755), 0);
  vss_test_put_file (a, "alpha\n", 0644);
  vss_test_put_file (b, "BETA!\n", 0644);
  vss_test_set_mtime (a, 1000000000, 0);
  g_autofree char *incr = bs_path ("incr");
  bs_write_set (incr, "path:/tmp/vss-fixture", src, "/tmp/vss-fixture", VSS_BT_INCREMENTAL, base);
  g_autoptr(VssBackupSet) set = vss_backup_set_open (incr, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  g_autofree char *manifest = g_build_filename (incr, "manifest.json", NULL);
  g_autofree char *text = vss_test_read_file (manifest);
  if (getuid () == 0)   /* the fixture's files are root's */
    cr_assert_not_null (strstr (text, "\"path\":\"/tmp/vss-fixture/a.txt\",\"in_base\":"), "%s", text);
  cr_assert_not_null (strstr (text, "\"path\":\"/tmp/vss-fixture/sub/b.txt\",\"stored\":"), "%s", text);
  g_autoptr(GPtrArray) chain = NULL;
  cr_assert (vss_backup_set_find_chain (set, &chain, &error), "%s", error ? error->message : "");
  g_autofree char *root = bs_path ("target");
  cr_assert (vss_backup_set_restore_component (set, chain, "path:/tmp/vss-fixture", root, NULL,
                                               VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error),
             "%s", error ? error->message : "");
  g_autofree char *ra = g_build_filename (root, "tmp/vss-fixture/a.txt", NULL);
  g_autofree char *data = vss_test_read_file (ra);
  cr_assert_str_eq (data, "alpha\n");
}
