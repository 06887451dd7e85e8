/* test-live.c — a live tree (--path-consistency=crash reads one): files
 * and directories created and removed while the set walks it are skipped
 * when gone, never a failure, and what stays is in the set. */
#include <criterion/criterion.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "backupset/vss-backup-set-private.h"
#include "bs-test.h"

TestSuite (live, .init = bs_setup, .fini = bs_teardown, .timeout = 60);

typedef struct {
  char *dir;
  gint stop;
} Churn;

/* Makes and removes files, symlinks and directories until told to stop
 * (bounded: at most 2,000,000 rounds). */
static gpointer
churn (gpointer data)
{
  Churn *c = data;
  for (guint i = 0; i < 2000000 && !g_atomic_int_get (&c->stop); i++) {
    g_autofree char *file = g_strdup_printf ("%s/tmp-%u", c->dir, i % 32);
    g_autofree char *link = g_strdup_printf ("%s/link-%u", c->dir, i % 32);
    g_autofree char *dir = g_strdup_printf ("%s/dir-%u", c->dir, i % 32);
    g_autofree char *inner = g_strdup_printf ("%s/dir-%u/f", c->dir, i % 32);
    g_file_set_contents (file, "x", 1, NULL);
    symlink ("target", link);
    g_mkdir (dir, 0755);
    g_file_set_contents (inner, "y", 1, NULL);
    g_unlink (file);
    g_unlink (link);
    g_unlink (inner);
    g_rmdir (dir);
  }
  return NULL;
}

Test (live, entries_vanishing_during_the_walk_are_skipped)
{
  g_autofree char *src = bs_path ("live");
  cr_assert_eq (g_mkdir_with_parents (src, 0755), 0);
  for (int i = 0; i < 300; i++) {
    g_autofree char *name = g_strdup_printf ("%s/keep-%03d", src, i);
    vss_test_put_file (name, "kept", 0644);
  }
  Churn c = { src, 0 };
  GThread *thread = g_thread_new ("churn", churn, &c);
  for (int round = 0; round < 30; round++) {
    g_autofree char *leaf = g_strdup_printf ("set-%d", round);
    g_autofree char *dir = bs_path (leaf);
    g_autoptr(GError) error = NULL;
    g_autoptr(VssBackupSetWriter) w = vss_backup_set_writer_new (dir, VSS_BT_FULL, NULL, &error);
    cr_assert_not_null (w);
    cr_assert (vss_backup_set_writer_add_files (w, "path:/live", src, "/live", "*", TRUE, NULL,
                                                NULL, NULL, &error),
               "round %d: %s", round, error ? error->message : "");
    g_autofree char *bcd = bs_bcd ();
    cr_assert (vss_backup_set_writer_commit (w, bcd, &error), "%s", error ? error->message : "");
    g_autoptr(VssBackupSet) set = vss_backup_set_open (dir, &error);
    cr_assert_not_null (set, "%s", error ? error->message : "");
    cr_assert_not_null (vss_backup_set_lookup (set, "path:/live", "/live/keep-299"),
                        "round %d lost a file that stayed", round);
  }
  g_atomic_int_set (&c.stop, 1);
  g_thread_join (thread);
}
