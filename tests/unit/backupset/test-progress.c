/* test-progress.c — copy, verify and restore report progress as bytes
 * move within a file, not only after each file: a large file gives a
 * caller something to draw while it is being copied. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bs-test.h"

#define BIG (21u << 20)   /* 1 MiB copy chunks; five 4 MiB pieces hashed on every core */

TestSuite (progress, .init = bs_setup, .fini = bs_teardown);

typedef struct {
  guint calls;
  guint inside;        /* calls with 0 < done < the file's size */
  guint64 last;
  gboolean backwards;
} Seen;

static void
on_progress (guint64 done, guint64 total, const char *path, gpointer user_data)
{
  Seen *seen = user_data;
  seen->calls++;
  if (done > 0 && done < BIG)
    seen->inside++;
  if (done < seen->last)
    seen->backwards = TRUE;
  seen->last = done;
}

/* One file of BIG bytes under src/, and a set of it. */
static char *
big_source (void)
{
  char *src = bs_path ("src");
  cr_assert_eq (g_mkdir_with_parents (src, 0755), 0);
  g_autofree char *file = g_build_filename (src, "big.bin", NULL);
  g_autofree char *data = g_malloc (BIG);
  memset (data, 7, BIG);
  cr_assert (g_file_set_contents (file, data, BIG, NULL));
  return src;
}

static void
assert_within_file (const Seen *seen, const char *what)
{
  cr_assert_geq (seen->inside, 4, "%s: %u progress calls inside the file (of %u), want one per chunk or piece",
                 what, seen->inside, seen->calls);
  cr_assert (!seen->backwards, "%s: progress went backwards", what);
  cr_assert_eq (seen->last, BIG, "%s: ended at %" G_GUINT64_FORMAT, what, seen->last);
}

Test (progress, copy_reports_within_a_file)
{
  g_autofree char *src = big_source ();
  g_autofree char *dir = bs_path ("set");
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
  cr_assert_not_null (w);
  Seen seen = { 0 };
  cr_assert (vss_backup_set_writer_add_files (w, "path:/srv", src, "/srv", "*", TRUE, NULL,
                                              on_progress, &seen, &error), "%s", error ? error->message : "");
  assert_within_file (&seen, "copy");
}

Test (progress, verify_and_restore_report_within_a_file)
{
  g_autofree char *src = big_source ();
  g_autofree char *dir = bs_path ("set");
  g_free (bs_write_set (dir, "path:/srv", src, "/srv", VSS_BT_FULL, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
  cr_assert_not_null (set);
  Seen verified = { 0 };
  cr_assert (vss_backup_set_verify (set, NULL, NULL, on_progress, &verified, &error));
  assert_within_file (&verified, "verify");
  g_autofree char *root = bs_path ("restored");
  Seen restored = { 0 };
  cr_assert (vss_backup_set_restore_component (set, NULL, "path:/srv", root, NULL,
                                               VSS_RESTORE_REPLACE, on_progress, &restored,
                                               NULL, &error), "%s", error ? error->message : "");
  assert_within_file (&restored, "restore");
}
