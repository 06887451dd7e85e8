/* test-bounds.c — sizes in a manifest are claims, checked against the
 * stored files before they drive any loop: a file claimed to be 2^62
 * bytes whose stored data are 13 bytes fails at once, naming the entry,
 * in restore and in verify. */
#include <criterion/criterion.h>

#include <string.h>

#include "bs-test.h"

TestSuite (bounds, .init = bs_setup, .fini = bs_teardown);

#define COMPONENT "path:/srv/data"
/* Every call on a hostile set ends well within this. */
#define BOUND_USEC (2 * G_USEC_PER_SEC)

static char *
small_set (void)
{
  g_autofree char *src = bs_path ("src");
  g_autofree char *a = g_build_filename (src, "a.txt", NULL);
  cr_assert_eq (g_mkdir_with_parents (src, 0755), 0);
  vss_test_put_file (a, "hello, world\n", 0644);
  g_autofree char *dir = bs_path ("set");
  return bs_write_set (dir, COMPONENT, src, "/srv/data", VSS_BT_FULL, NULL);
}

static void
assert_restore_fails_fast (const char *dir, const char *expect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set, "%s", error ? error->message : "");
  g_autofree char *root = bs_path ("target");
  gint64 start = g_get_monotonic_time ();
  cr_assert (!vss_backup_set_restore_component (set, NULL, COMPONENT, root, NULL,
                                                VSS_RESTORE_REPLACE, NULL, NULL, NULL, &error));
  gint64 took = g_get_monotonic_time () - start;
  cr_assert_lt (took, BOUND_USEC, "restore took %" G_GINT64_FORMAT " us", took);
  cr_assert_eq (error->code, VSS_ERROR_INVALID_DOCUMENT, "%s", error->message);
  cr_assert_not_null (strstr (error->message, "/srv/data/a.txt"), "%s", error->message);
  cr_assert_not_null (strstr (error->message, expect), "%s", error->message);
  cr_assert (!g_file_test (root, G_FILE_TEST_EXISTS), "something was written");

  g_autoptr(GString) log = g_string_new (NULL);
  start = g_get_monotonic_time ();
  g_clear_error (&error);
  cr_assert (!vss_backup_set_verify (set, NULL, NULL, NULL, NULL, &error));
  took = g_get_monotonic_time () - start;
  cr_assert_lt (took, BOUND_USEC, "verify took %" G_GINT64_FORMAT " us", took);
}

Test (bounds, huge_claimed_size_fails_at_once_naming_the_entry)
{
  g_autofree char *dir = small_set ();
  bs_edit_manifest (dir, "\"size\":13", "\"size\":4611686018427387904");
  assert_restore_fails_fast (dir, "4611686018427387904");
}

Test (bounds, stored_file_shorter_or_longer_than_its_size_fails)
{
  g_autofree char *dir = small_set ();
  bs_edit_manifest (dir, "\"size\":13", "\"size\":14");
  assert_restore_fails_fast (dir, "13 bytes, the manifest says 14");
  bs_edit_manifest (dir, "\"size\":14", "\"size\":12");
  assert_restore_fails_fast (dir, "13 bytes, the manifest says 12");
}
