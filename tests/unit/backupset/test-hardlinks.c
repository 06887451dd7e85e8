/* test-hardlinks.c — files with several links inside one component are
 * recorded once and the other names as links to the first entry; a
 * restore makes them links again (the same link count inside the
 * restored tree), in a full set and through a chain; a link entry that
 * names no earlier file with the same data is refused at open. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-test.h"

TestSuite (hardlinks, .init = bs_setup, .fini = bs_teardown);

#define COMPONENT "path:/data"

/* src/a, src/b and src/sub/c are one inode; src/d another. */
static char *
make_source (void)
{
  char *src = bs_path ("src");
  g_autofree char *sub = g_build_filename (src, "sub", NULL);
  cr_assert_eq (g_mkdir_with_parents (sub, 0755), 0);
  g_autofree char *a = g_build_filename (src, "a", NULL);
  g_autofree char *b = g_build_filename (src, "b", NULL);
  g_autofree char *c = g_build_filename (src, "sub", "c", NULL);
  g_autofree char *d = g_build_filename (src, "d", NULL);
  vss_test_put_file (a, "linked data", 0640);
  vss_test_put_file (d, "single", 0644);
  cr_assert_eq (link (a, b), 0);
  cr_assert_eq (link (a, c), 0);
  return src;
}

static VssBackupSet *
open_set (const char *dir)
{
  g_autoptr(GError) error = NULL;
  VssBackupSet *set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  return set;
}

static void
restore (VssBackupSet *set, GPtrArray *chain, const char *root)
{
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_set_restore_component (set, chain, COMPONENT, root, NULL,
                                               VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error),
             "%s", error ? error->message : "");
}

static void
assert_links (const char *root)
{
  g_autofree char *a = g_build_filename (root, "data", "a", NULL);
  g_autofree char *b = g_build_filename (root, "data", "b", NULL);
  g_autofree char *c = g_build_filename (root, "data", "sub", "c", NULL);
  g_autofree char *d = g_build_filename (root, "data", "d", NULL);
  struct stat sa, sb, sc, sd;
  cr_assert (lstat (a, &sa) == 0 && lstat (b, &sb) == 0 && lstat (c, &sc) == 0 &&
             lstat (d, &sd) == 0);
  cr_assert_eq (sa.st_nlink, 3, "a has %ju links", (uintmax_t) sa.st_nlink);
  cr_assert (sa.st_ino == sb.st_ino && sa.st_ino == sc.st_ino, "the links came back as copies");
  cr_assert_eq (sd.st_nlink, 1);
  cr_assert_eq (sa.st_mode & 07777, 0640);
  g_autofree char *data = vss_test_read_file (c);
  cr_assert_str_eq (data, "linked data");
  /* No temp name left beside them. */
  g_autofree char *parent = g_path_get_dirname (a);
  g_autoptr(GDir) dir = g_dir_open (parent, 0, NULL);
  for (const char *name; (name = g_dir_read_name (dir)) != NULL;)
    cr_assert (strstr (name, ".vss-") == NULL, "left behind: %s", name);
}

Test (hardlinks, links_are_recorded_once_and_restored_as_links)
{
  g_autofree char *src = make_source ();
  g_autofree char *dir = bs_path ("set");
  g_free (bs_write_set (dir, COMPONENT, src, "/data", VSS_BT_FULL, NULL));
  g_autofree char *manifest = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *text = vss_test_read_file (manifest);
  cr_assert_not_null (strstr (text, "\"path\":\"/data/b\",\"hardlink\":\"/data/a\""), "%s", text);
  cr_assert_not_null (strstr (text, "\"path\":\"/data/sub/c\",\"hardlink\":\"/data/a\""), "%s", text);
  g_autofree char *stored_b = g_build_filename (dir, "files", "0", "data", "b", NULL);
  cr_assert (!g_file_test (stored_b, G_FILE_TEST_EXISTS), "a link's data were stored again");

  g_autoptr(VssBackupSet) set = open_set (dir);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_set_verify (set, NULL, NULL, NULL, NULL, &error), "%s",
             error ? error->message : "");
  g_autofree char *root = bs_path ("target");
  restore (set, NULL, root);
  assert_links (root);
  /* Again over the restored tree: still one inode, no leftovers. */
  restore (set, NULL, root);
  assert_links (root);
}

Test (hardlinks, links_survive_an_incremental_chain)
{
  g_autofree char *src = make_source ();
  g_autofree char *full_dir = bs_path ("full");
  g_free (bs_write_set (full_dir, COMPONENT, src, "/data", VSS_BT_FULL, NULL));
  g_autoptr(VssBackupSet) full = open_set (full_dir);
  g_autofree char *d = g_build_filename (src, "d", NULL);
  vss_test_put_file (d, "changed", 0644);
  g_autofree char *incr_dir = bs_path ("incr");
  g_free (bs_write_set (incr_dir, COMPONENT, src, "/data", VSS_BT_INCREMENTAL, full));
  g_autoptr(VssBackupSet) incr = open_set (incr_dir);
  g_autoptr(GPtrArray) chain = g_ptr_array_new ();
  g_ptr_array_add (chain, full);
  g_autofree char *root = bs_path ("target");
  restore (incr, chain, root);
  assert_links (root);
}

static const struct {
  const char *to, *expect;
} bad_links[] = {
  { "\"hardlink\":\"/data/nowhere\"", "names no earlier entry" },
  { "\"hardlink\":\"/data/sub\"", "not a file with data" },
  { "\"hardlink\":\"/data/d\"", "differs in size or checksum" },
  { "\"hardlink\":\"/data/b\"", "not a file with data" },
};

Test (hardlinks, a_link_to_anything_but_an_earlier_file_with_its_data_is_refused)
{
  g_autofree char *src = make_source ();
  g_autofree char *dir = bs_path ("set");
  g_free (bs_write_set (dir, COMPONENT, src, "/data", VSS_BT_FULL, NULL));
  g_autofree char *manifest = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *good = vss_test_read_file (manifest);
  for (guint i = 0; i < G_N_ELEMENTS (bad_links); i++) {
    cr_assert (g_file_set_contents (manifest, good, -1, NULL));
    /* the link of sub/c */
    g_autofree char *edited = g_strconcat ("\"path\":\"/data/sub/c\",", bad_links[i].to, NULL);
    bs_edit_manifest (dir, "\"path\":\"/data/sub/c\",\"hardlink\":\"/data/a\"", edited);
    g_autoptr(GError) error = NULL;
    g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
    cr_assert_null (set, "edit %u was accepted", i);
    cr_assert_not_null (strstr (error->message, bad_links[i].expect), "edit %u: %s", i,
                        error->message);
  }
}
