/* test-memory.c — backing up, verifying and restoring a set take memory
 * that does not grow with its number of files (the manifest is written
 * and read a line at a time, a restore plans batches of entries): the
 * peak RSS of a child doing it for 20,000 files is within a few MiB of
 * the same for 2,000.  Not a timing.  The large tree ends with
 * a hard link to its first file, which a restore reaches batches later. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bs-test.h"

TestSuite (memory, .init = bs_setup, .fini = bs_teardown, .timeout = 600);

#define SMALL 2000
#define LARGE 20000
/* What 18,000 more entries may add: the old reader took ~2.3 KiB each. */
#define GROWTH_LIMIT_KIB (6 * 1024)

/* @n empty files, 1,000 a directory. */
static char *
make_files (const char *name, guint n)
{
  char *root = bs_path (name);
  for (guint i = 0; i < n; i++) {
    g_autofree char *dir = g_strdup_printf ("%s/d%03u", root, i / 1000);
    if (i % 1000 == 0)
      cr_assert_eq (g_mkdir_with_parents (dir, 0755), 0);
    g_autofree char *file = g_strdup_printf ("%s/f%03u", dir, i % 1000);
    int fd = open (file, O_WRONLY | O_CREAT | O_EXCL, 0644);
    cr_assert (fd >= 0, "%s", file);
    close (fd);
  }
  g_autofree char *first = g_strdup_printf ("%s/d000/f000", root);
  g_autofree char *link_path = g_strdup_printf ("%s/zz-link", root);
  cr_assert_eq (link (first, link_path), 0);
  return root;
}

static void
backup (const char *src, const char *set)
{
  bs_write_set (set, "path:/data", src, "/data", VSS_BT_FULL, NULL);
}

static void
verify (const char *src, const char *set)
{
  (void) src;
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) s = vss_backup_set_open (set, &error);
  if (s == NULL || !vss_backup_set_verify (s, NULL, NULL, NULL, NULL, &error)) {
    g_printerr ("%s: %s\n", set, error->message);
    _exit (1);
  }
}

static void
restore (const char *src, const char *set)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_strconcat (src, "-restored", NULL);
  g_autoptr(VssBackupSet) s = vss_backup_set_open (set, &error);
  if (s == NULL || !vss_backup_set_restore_component (s, NULL, "path:/data", root, NULL,
                                                      VSS_RESTORE_REPLACE, NULL, NULL, NULL,
                                                      &error)) {
    g_printerr ("%s: %s\n", set, error->message);
    _exit (1);
  }
}

/* Peak RSS (KiB) of a child running @step, which must succeed. */
static long
child_peak_kib (void (*step) (const char *, const char *), const char *src, const char *set)
{
  pid_t pid = fork ();
  cr_assert (pid >= 0);
  if (pid == 0) {
    step (src, set);
    _exit (0);
  }
  int status = 0;
  struct rusage ru;
  cr_assert_eq (wait4 (pid, &status, 0, &ru), pid);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "the child failed (%d)", status);
  return ru.ru_maxrss;
}

static void
assert_flat (const char *what, void (*step) (const char *, const char *), const char *small_src,
             const char *small_set, const char *large_src, const char *large_set)
{
  long small = child_peak_kib (step, small_src, small_set);
  long large = child_peak_kib (step, large_src, large_set);
  cr_log_info ("%s: peak RSS %ld KiB for %d files, %ld KiB for %d", what, small, SMALL, large, LARGE);
  cr_assert_lt (large - small, GROWTH_LIMIT_KIB,
                "%s: peak RSS grew from %ld KiB (%d files) to %ld KiB (%d files)", what, small,
                SMALL, large, LARGE);
}

/* Why the process's RSS says nothing about the code here, or NULL. */
static const char *
rss_is_not_ours (void)
{
#if defined(__SANITIZE_ADDRESS__)
  return "under AddressSanitizer (its quarantine keeps freed memory resident)";
#else
  const char *preload = g_getenv ("LD_PRELOAD");
  return preload != NULL && strstr (preload, "vgpreload") != NULL
             ? "under valgrind (it holds its own shadow memory)" : NULL;
#endif
}

Test (memory, backup_verify_and_restore_do_not_grow_with_the_files)
{
  const char *why = rss_is_not_ours ();
  if (why != NULL) {
    bs_teardown ();   /* a skipped test's fini does not run */
    cr_skip_test ("peak RSS is not measured %s", why);
  }
  g_autofree char *small_src = make_files ("small", SMALL);
  g_autofree char *large_src = make_files ("large", LARGE);
  g_autofree char *small_set = bs_path ("set-small");
  g_autofree char *large_set = bs_path ("set-large");
  assert_flat ("backup", backup, small_src, small_set, large_src, large_set);
  assert_flat ("verify", verify, small_src, small_set, large_src, large_set);
  assert_flat ("restore", restore, small_src, small_set, large_src, large_set);
  /* the link, restored thousands of entries after its file, is a link */
  struct stat a, b;
  g_autofree char *first = g_strconcat (large_src, "-restored/data/d000/f000", NULL);
  g_autofree char *link_path = g_strconcat (large_src, "-restored/data/zz-link", NULL);
  cr_assert (stat (first, &a) == 0 && stat (link_path, &b) == 0);
  cr_assert_eq (a.st_ino, b.st_ino, "the hard link was restored as another file");
  g_autofree char *count = g_strconcat (large_src, "-restored/data/d019/f999", NULL);
  cr_assert (g_file_test (count, G_FILE_TEST_EXISTS), "the last file was not restored");
}
