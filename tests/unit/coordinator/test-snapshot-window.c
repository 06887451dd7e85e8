/* test-snapshot-window.c — a tree no writer owns, snapshotted after the
 * thaw, does not hold the writers: their freeze, as the writer sees it,
 * does not grow with the size of that tree, even with the copy provider
 * and a disk under write load. */
#include "lifecycle-fixture.h"

#include <fcntl.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "util/vss-fs.h"

#define OK(call)                                                       \
  do {                                                                 \
    g_autoptr(GError) e_ = NULL;                                       \
    cr_assert (call, "%s: %s", #call, e_ != NULL ? e_->message : "");  \
  } while (0)
#define error_ptr (&e_)

TestSuite (window, .init = fx_setup, .fini = fx_teardown, .timeout = 110);

/* @files files of @kib KiB each under a new directory @name of tmpdir. */
static char *
make_tree (const char *name, guint files, guint kib)
{
  char *dir = g_build_filename (fx.tmpdir, name, NULL);
  cr_assert_eq (g_mkdir_with_parents (dir, 0755), 0);
  g_autofree char *block = g_malloc (kib * 1024);
  for (guint i = 0; i < kib * 1024; i++)
    block[i] = (char) g_random_int ();
  for (guint i = 0; i < files; i++) {
    g_autofree char *path = g_strdup_printf ("%s/f%03u", dir, i);
    cr_assert (g_file_set_contents (path, block, kib * 1024, NULL));
  }
  return dir;
}

/* ---- write load: a thread appending and syncing until told to stop ---- */

typedef struct {
  char *path;
  gint stop;
} WriteLoad;

static gpointer
write_load_run (gpointer user_data)
{
  WriteLoad *load = user_data;
  int fd = open (load->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  char chunk[65536];
  memset (chunk, 'w', sizeof chunk);
  /* bounded: at most 4096 rounds (256 MiB), rewound every 64 */
  for (guint i = 0; fd >= 0 && i < 4096 && !g_atomic_int_get (&load->stop); i++) {
    if (i % 64 == 0)
      lseek (fd, 0, SEEK_SET);
    if (write (fd, chunk, sizeof chunk) < 0 || fdatasync (fd) != 0)
      break;
  }
  if (fd >= 0)
    close (fd);
  return NULL;
}

/* The writer's own view: from its freeze to its thaw, in ms. */
static double
writer_freeze_ms (void)
{
  gint64 freeze = fx_event_time ("recorder", "freeze");
  gint64 thaw = fx_event_time ("recorder", "thaw");
  cr_assert (freeze > 0 && thaw >= freeze, "the writer recorded no freeze/thaw");
  return (thaw - freeze) / 1000.0;
}

static void
clear_records (void)
{
  g_autofree char *events = g_build_filename (fx.record_dir, "recorder.events", NULL);
  g_unlink (events);
}

/* One backup of the writer's data plus @tree (copy provider) in @window;
 * the writer-visible freeze in ms. */
static double
backup_with_tree (const char *tree, VssSnapshotWindow window)
{
  clear_records ();
  g_autoptr(VssBackupComponents) bc = fx_new ("recorder", NULL);
  fx_gather (bc, VSS_BT_FULL);
  fx_add_all (bc);
  VssAsync *async = NULL;
  g_autofree char *data_id = NULL, *tree_id = NULL;
  OK (vss_backup_components_start_snapshot_set (bc, NULL, error_ptr));
  OK (vss_backup_components_add_to_snapshot_set (bc, fx.data_dir, "copy", &data_id, error_ptr));
  OK (vss_backup_components_add_to_snapshot_set (bc, tree, "copy", &tree_id, error_ptr));
  OK (vss_backup_components_set_snapshot_window (bc, tree_id, window, error_ptr));
  OK (vss_backup_components_prepare_for_backup (bc, &async, error_ptr));
  fx_finish (async);
  fx_do_snapshot (bc);
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, tree_id, NULL);
  cr_assert (prop != NULL && prop->snapshot_path != NULL, "the tree's snapshot has no image");
  g_autofree char *first = g_build_filename (prop->snapshot_path, "f000", NULL);
  cr_assert (g_file_test (first, G_FILE_TEST_IS_REGULAR), "%s is not in the image", first);
  fx_complete (bc);
  return writer_freeze_ms ();
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Median of three backups, alternating nothing: each measured alone. */
static double
median_freeze (const char *tree, VssSnapshotWindow window)
{
  double runs[3];
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    runs[i] = backup_with_tree (tree, window);
  qsort (runs, G_N_ELEMENTS (runs), sizeof runs[0], compare_doubles);
  return runs[1];
}

/* What copying @tree costs here, now: the freeze would grow by this much
 * if the tree were copied inside it. */
static double
copy_ms (const char *tree)
{
  g_autofree char *dst = g_build_filename (fx.tmpdir, "copy-probe", NULL);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  cr_assert (vss_fs_copy_tree (tree, dst, 0, &error), "%s", error ? error->message : "");
  double ms = (g_get_monotonic_time () - start) / 1000.0;
  cr_assert (vss_fs_remove_tree (dst, NULL));
  return ms;
}

typedef struct {
  double small_ms, large_ms, copy_ms;
} Growth;

static Growth
measure (VssSnapshotWindow window)
{
  g_autofree char *small = make_tree ("small", 1, 4);
  g_autofree char *large = make_tree ("large", 48, 2048);   /* 96 MiB */
  WriteLoad load = { g_build_filename (fx.tmpdir, "load.bin", NULL), 0 };
  GThread *writer = g_thread_new ("write-load", write_load_run, &load);
  Growth g = { median_freeze (small, window), median_freeze (large, window), copy_ms (large) };
  g_atomic_int_set (&load.stop, 1);
  g_thread_join (writer);
  g_free (load.path);
  cr_log_info ("window %d: freeze small %.1f ms, large %.1f ms; copying the large tree %.1f ms",
               (int) window, g.small_ms, g.large_ms, g.copy_ms);
  return g;
}

Test (window, after_thaw_tree_does_not_grow_the_freeze)
{
  Growth g = measure (VSS_SNAPSHOT_WINDOW_AFTER_THAW);
  /* Slack: half of what copying the tree costs, so noise passes and a
   * copy inside the window (growth about the whole copy) does not. */
  cr_assert_lt (g.large_ms - g.small_ms, g.copy_ms / 2,
                "the freeze grew by %.1f ms with a larger tree (copying it takes %.1f ms)",
                g.large_ms - g.small_ms, g.copy_ms);
}

/* The control: the same measure sees a copy made inside the window. */
Test (window, freeze_window_tree_grows_the_freeze)
{
  Growth g = measure (VSS_SNAPSHOT_WINDOW_FREEZE);
  cr_assert_gt (g.large_ms - g.small_ms, g.copy_ms / 4,
                "the freeze grew by only %.1f ms though copying the tree takes %.1f ms",
                g.large_ms - g.small_ms, g.copy_ms);
}

/* The hold limit bounds the window only: a tree the copy provider would
 * refuse inside it is copied after the thaw. */
Test (window, after_thaw_tree_is_not_refused_by_the_hold_limit)
{
  g_autofree char *tree = make_tree ("tree", 4, 1024);   /* 4 MiB at 1 MiB/s: 4 s */
  g_setenv ("VSS_COPY_RATE_MIBS", "1", TRUE);
  for (int window = VSS_SNAPSHOT_WINDOW_FREEZE; window <= VSS_SNAPSHOT_WINDOW_AFTER_THAW; window++) {
    g_autoptr(VssBackupComponents) bc = fx_new ("recorder", NULL);
    OK (vss_backup_components_set_hold_timeout (bc, 500, error_ptr));
    fx_gather (bc, VSS_BT_FULL);
    fx_add_all (bc);
    VssAsync *async = NULL;
    g_autofree char *id = NULL;
    OK (vss_backup_components_start_snapshot_set (bc, NULL, error_ptr));
    OK (vss_backup_components_add_to_snapshot_set (bc, tree, "copy", &id, error_ptr));
    OK (vss_backup_components_set_snapshot_window (bc, id, window, error_ptr));
    OK (vss_backup_components_prepare_for_backup (bc, &async, error_ptr));
    fx_finish (async);
    OK (vss_backup_components_do_snapshot_set (bc, &async, error_ptr));
    g_autoptr(GError) error = NULL;
    VssAsyncStatus status = fx_wait (async, &error);
    if (window == VSS_SNAPSHOT_WINDOW_FREEZE) {
      cr_assert_eq (status, VSS_ASYNC_FAILED, "a 4 s copy inside a 500 ms hold limit was allowed");
      fx_assert_error (error, VSS_ERROR_PROVIDER_VETO, "hold limit");
    } else {
      cr_assert_eq (status, VSS_ASYNC_FINISHED, "%s", error != NULL ? error->message : "");
      g_autofree char *bcd = vss_backup_components_save_as_json (bc, NULL);
      cr_assert_not_null (strstr (bcd, "\"window\": \"after-thaw\""), "the BCD: %s", bcd);
    }
  }
  g_unsetenv ("VSS_COPY_RATE_MIBS");
}

Test (window, set_snapshot_window_checks_its_arguments)
{
  g_autoptr(VssBackupComponents) bc = fx_new ("recorder", NULL);
  fx_gather (bc, VSS_BT_FULL);
  fx_add_all (bc);
  g_autofree char *id = fx_prepare (bc);
  EXPECT (vss_backup_components_set_snapshot_window (bc, "00000000-0000-4000-8000-000000000000",
                                                     VSS_SNAPSHOT_WINDOW_AFTER_THAW, error),
          VSS_ERROR_OBJECT_NOT_FOUND, "no snapshot");
  EXPECT (vss_backup_components_set_snapshot_window (bc, id, (VssSnapshotWindow) 7, error),
          VSS_ERROR_INVALID_ARG, "unknown window");
  fx_do_snapshot (bc);
  EXPECT (vss_backup_components_set_snapshot_window (bc, id, VSS_SNAPSHOT_WINDOW_AFTER_THAW, error),
          VSS_ERROR_BAD_STATE, "before do_snapshot_set");
}

/* ---- the pre-flush: only for what the window copies ---- */

static GPtrArray *flushed;   /* the paths the coordinator said it pre-flushed */

static GLogWriterOutput
capture_flushes (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  (void) level;
  (void) data;
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        g_str_has_prefix (fields[i].value, "pre-flush of "))
      g_ptr_array_add (flushed, g_strdup ((const char *) fields[i].value + strlen ("pre-flush of ")));
  return G_LOG_WRITER_HANDLED;
}

/* A syncfs before the window makes the applications on that filesystem
 * wait for the flush; an after-thaw snapshot's commit holds nobody, so
 * its filesystem gets none, the window's still does. */
Test (window, only_the_window_snapshots_are_pre_flushed)
{
  g_autofree char *tree = make_tree ("tree", 2, 4);
  flushed = g_ptr_array_new_with_free_func (g_free);
  g_setenv ("G_MESSAGES_DEBUG", "vss", TRUE);
  g_log_set_writer_func (capture_flushes, NULL, NULL);
  backup_with_tree (tree, VSS_SNAPSHOT_WINDOW_AFTER_THAW);
  g_autofree char *data = realpath (fx.data_dir, NULL);
  g_autofree char *tree_real = realpath (tree, NULL);
  cr_assert_eq (flushed->len, 1, "%u paths pre-flushed, expected only the window's (%s)",
                flushed->len, data);
  cr_assert_str_eq (g_ptr_array_index (flushed, 0), data);
  for (guint i = 0; i < flushed->len; i++)
    cr_assert_str_neq (g_ptr_array_index (flushed, i), tree_real,
                       "the after-thaw tree's filesystem was pre-flushed");
  g_ptr_array_unref (flushed);
}
