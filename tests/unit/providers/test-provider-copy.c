/* test-provider-copy.c — the provider table and the copy provider. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/vss-provider.h"
#include "util/vss-fs.h"
#include "util/vss-paths.h"
#include "vss-test.h"

static char *tmpdir;

static void
setup (void)
{
  tmpdir = vss_test_setup_env ();
  g_unsetenv ("VSS_COPY_RATE_MIBS");
}

/* As root the images are read-only bind mounts: a test that failed before
 * its remove leaves one, which the removal of tmpdir would not cross. */
static void
unmount_images (void)
{
  g_autofree char *mounts = NULL;
  if (tmpdir == NULL || !g_file_get_contents ("/proc/self/mounts", &mounts, NULL, NULL))
    return;
  g_auto(GStrv) lines = g_strsplit (mounts, "\n", -1);
  for (char **line = lines; *line != NULL; line++) {
    g_auto(GStrv) fields = g_strsplit (*line, " ", 3);
    if (g_strv_length (fields) >= 2 && g_str_has_prefix (fields[1], tmpdir))
      umount2 (fields[1], MNT_DETACH);
  }
}

static void
teardown (void)
{
  unmount_images ();
  vss_test_teardown_env (g_steal_pointer (&tmpdir));
}

TestSuite (provider, .init = setup, .fini = teardown);
TestSuite (copy, .init = setup, .fini = teardown);

#define SET_ID "11111111-2222-4333-8444-555555555555"

static char *
tmp_path (const char *rel)
{
  return g_build_filename (tmpdir, rel, NULL);
}

static void
put_file (const char *path, const char *contents, gssize len, int mode)
{
  cr_assert (g_file_set_contents (path, contents, len, NULL), "cannot write %s", path);
  cr_assert_eq (chmod (path, mode), 0);
}

/* data/ with two files and a subdirectory. */
static char *
make_data (void)
{
  char *data = tmp_path ("data");
  g_autofree char *sub = g_build_filename (data, "sub", NULL);
  cr_assert_eq (g_mkdir_with_parents (sub, 0755), 0);
  g_autofree char *a = g_build_filename (data, "a.db", NULL);
  g_autofree char *b = g_build_filename (sub, "b.log", NULL);
  put_file (a, "records", -1, 0600);
  put_file (b, "log line\n", -1, 0644);
  return data;
}

static VssSnapshot *
prepared_snapshot (const char *path)
{
  VssSnapshot *snap = vss_snapshot_new (SET_ID, path, &vss_provider_copy, VSS_CTX_BACKUP);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_provider_copy.prepare (snap, 10000, &error), "%s", error ? error->message : "");
  return snap;
}

/* ---- the table ---- */

Test (provider, list_and_lookup)
{
  const VssProvider *const *list = vss_provider_list ();
  cr_assert_not_null (list[0]);
  cr_assert_str_eq (list[0]->name, "btrfs");
  cr_assert_str_eq (list[1]->name, "reflink");
  cr_assert_str_eq (list[2]->name, "copy");
  cr_assert_str_eq (list[3]->name, "fsfreeze");
  cr_assert (list[3]->by_name_only, "fsfreeze runs a configured command: never auto-selected");
  cr_assert (list[3]->freezes_filesystem);
  for (gsize i = 0; i < 3; i++)
    cr_assert_not (list[i]->by_name_only || list[i]->freezes_filesystem, "%s", list[i]->name);
  for (gsize i = 1; list[i] != NULL; i++)
    cr_assert_leq (list[i - 1]->cost, list[i]->cost, "not cheapest first");
  g_autoptr(GError) error = NULL;
  cr_assert_eq (vss_provider_lookup ("copy", &error), &vss_provider_copy);
  cr_assert_null (vss_provider_lookup ("x", &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_PROVIDER_NOT_REGISTERED));
  cr_assert_str_eq (error->message, "unknown provider \"x\" (known: btrfs, reflink, copy, fsfreeze)");
}

Test (provider, choose_picks_copy_for_a_directory)
{
  g_autofree char *data = make_data ();
  g_autoptr(GError) error = NULL;
  cr_assert_eq (vss_provider_choose (data, &error), &vss_provider_copy,
                "%s", error ? error->message : "");
}

Test (provider, choose_refuses_proc_naming_the_filesystem)
{
  g_autoptr(GError) error = NULL;
  cr_assert_null (vss_provider_choose ("/proc/self", &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED));
  cr_assert (strstr (error->message, "/proc/self") != NULL, "%s", error->message);
  cr_assert (strstr (error->message, "proc filesystem") != NULL, "%s", error->message);
  cr_assert (strstr (error->message, "copy: ") != NULL, "%s", error->message);
}

Test (provider, choose_a_missing_path)
{
  g_autofree char *missing = tmp_path ("missing");
  g_autoptr(GError) error = NULL;
  cr_assert_null (vss_provider_choose (missing, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND));
  cr_assert (strstr (error->message, missing) != NULL, "%s", error->message);
}

Test (provider, snapshot_new_has_a_fresh_uuid)
{
  g_autoptr(VssSnapshot) a = vss_snapshot_new (SET_ID, "/x", &vss_provider_copy, VSS_CTX_BACKUP);
  g_autoptr(VssSnapshot) b = vss_snapshot_new (SET_ID, "/x", &vss_provider_copy, VSS_CTX_BACKUP);
  cr_assert (g_uuid_string_is_valid (a->snapshot_id));
  cr_assert_str_neq (a->snapshot_id, b->snapshot_id);
  cr_assert_str_eq (a->snapshot_set_id, SET_ID);
  cr_assert_str_eq (a->original_path, "/x");
  cr_assert_eq (a->provider, &vss_provider_copy);
  cr_assert_null (a->snapshot_path);
  cr_assert_not (a->committed);
}

/* ---- copy: supports ---- */

Test (copy, supports_files_and_dirs_but_not_pseudo_filesystems)
{
  g_autofree char *data = make_data ();
  g_autofree char *file = g_build_filename (data, "a.db", NULL);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_provider_copy.supports (data, &error));
  cr_assert (vss_provider_copy.supports (file, &error));

  cr_assert_not (vss_provider_copy.supports ("/sys/kernel", &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER));
  cr_assert (strstr (error->message, "sysfs") != NULL, "%s", error->message);
  g_clear_error (&error);

  g_autofree char *fifo = tmp_path ("fifo");
  cr_assert_eq (mkfifo (fifo, 0600), 0);
  cr_assert_not (vss_provider_copy.supports (fifo, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER));
  g_clear_error (&error);

  g_autofree char *dev_fs = vss_fs_type_name ("/dev");
  if (g_str_equal (dev_fs, "tmpfs")) {
    /* /dev is usually devtmpfs, which says tmpfs in statfs. */
    gboolean ok = vss_provider_copy.supports ("/dev", &error);
    if (!ok)
      cr_assert (strstr (error->message, "devtmpfs") != NULL, "%s", error->message);
  }
}

/* ---- copy: prepare ---- */

Test (copy, prepare_vetoes_a_copy_longer_than_the_hold_budget)
{
  g_autofree char *data = make_data ();
  g_autofree char *big = g_build_filename (data, "big", NULL);
  gsize len = 4 * 1024 * 1024;
  g_autofree char *zeros = g_malloc0 (len);
  put_file (big, zeros, len, 0644);
  g_setenv ("VSS_COPY_RATE_MIBS", "1", TRUE);

  g_autoptr(VssSnapshot) snap = vss_snapshot_new (SET_ID, data, &vss_provider_copy, VSS_CTX_BACKUP);
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_provider_copy.prepare (snap, 100, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_PROVIDER_VETO));
  const char *msg = error->message;
  cr_assert (strstr (msg, data) != NULL, "%s", msg);
  cr_assert (strstr (msg, "4.0 MiB") != NULL, "size missing: %s", msg);
  /* 4 MiB plus the two small files' blocks (allocated sizes: 4000-4010 ms) */
  cr_assert (strstr (msg, "about 400") != NULL, "estimate missing: %s", msg);
  cr_assert (strstr (msg, "hold limit of 100 ms") != NULL, "budget missing: %s", msg);
  /* The temp dir is on neither btrfs nor xfs here: nothing cheaper fits. */
  cr_assert (strstr (msg, "no cheaper provider supports it here") != NULL, "%s", msg);
  cr_assert_null (snap->storage_path);
  g_autofree char *snapshots = g_build_filename (vss_paths_state_dir (), "snapshots", NULL);
  cr_assert_neq (access (snapshots, F_OK), 0, "storage made despite the veto");
}

/* The copy keeps holes, so the estimate counts what a file stores: a
 * sparse 3 GiB file with 4 KiB of data is no reason to refuse. */
Test (copy, prepare_counts_allocated_blocks_not_apparent_size)
{
  g_autofree char *data = make_data ();
  g_autofree char *sparse = g_build_filename (data, "sparse.img", NULL);
  int fd = open (sparse, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  cr_assert_geq (fd, 0);
  cr_assert_eq (pwrite (fd, "data", 4, 1024 * 1024), 4);
  cr_assert_eq (ftruncate (fd, (off_t) 3 << 30), 0);
  close (fd);
  g_setenv ("VSS_COPY_RATE_MIBS", "200", TRUE);   /* 3 GiB apparent: 15 s */

  g_autoptr(VssSnapshot) snap = vss_snapshot_new (SET_ID, data, &vss_provider_copy, VSS_CTX_BACKUP);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_provider_copy.prepare (snap, 1000, &error), "refused: %s",
             error != NULL ? error->message : "");
  cr_assert_not_null (snap->storage_path);
  cr_assert (vss_provider_copy.remove (snap, NULL));
}

Test (copy, prepare_makes_a_private_storage_dir)
{
  g_autofree char *data = make_data ();
  g_autoptr(VssSnapshot) snap = prepared_snapshot (data);
  g_autofree char *want = g_build_filename (vss_paths_state_dir (), "snapshots", SET_ID,
                                            snap->snapshot_id, NULL);
  cr_assert_str_eq (snap->storage_path, want);
  struct stat st;
  cr_assert_eq (stat (want, &st), 0);
  cr_assert (S_ISDIR (st.st_mode));
  cr_assert_eq (st.st_mode & 07777, 0700);
}

/* ---- copy: commit and remove ---- */

Test (copy, commit_produces_an_identical_tree)
{
  g_autofree char *data = make_data ();
  g_autoptr(VssSnapshot) snap = prepared_snapshot (data);
  g_autoptr(GError) error = NULL;
  gint64 before = g_get_real_time ();
  cr_assert (vss_provider_copy.commit (snap, g_get_monotonic_time () + 10 * G_USEC_PER_SEC, &error),
             "%s", error ? error->message : "");
  g_autofree char *image = g_build_filename (snap->storage_path, "image", NULL);
  cr_assert_str_eq (snap->snapshot_path, image);
  cr_assert (snap->committed);
  cr_assert_geq (snap->created_usec, before);
  vss_test_assert_same_tree (data, image);

  /* A write after the commit does not reach the image. */
  g_autofree char *a = g_build_filename (data, "a.db", NULL);
  put_file (a, "changed", -1, 0600);
  g_autofree char *copy_a = g_build_filename (image, "a.db", NULL);
  g_autofree char *frozen = vss_test_read_file (copy_a);
  cr_assert_str_eq (frozen, "records");

  /* Read-only (a bind mount as root, no write bit otherwise), and gone
   * with remove. */
  g_autofree char *extra = g_build_filename (image, "extra", NULL);
  cr_assert_not (g_file_set_contents (extra, "x", -1, NULL), "wrote into the image");
  cr_assert (vss_provider_copy.remove (snap, &error), "%s", error ? error->message : "");
  cr_assert_neq (access (image, F_OK), 0);
}

Test (copy, commit_past_the_deadline_is_a_hold_timeout)
{
  g_autofree char *data = make_data ();
  g_autoptr(VssSnapshot) snap = prepared_snapshot (data);
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_provider_copy.commit (snap, g_get_monotonic_time () - 1, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_HOLD_WRITES_TIMEOUT));
  g_autofree char *want = g_strdup_printf ("copy of %s did not finish within the hold limit", data);
  cr_assert (g_str_has_prefix (error->message, want), "%s", error->message);
  g_autofree char *image = g_build_filename (snap->storage_path, "image", NULL);
  cr_assert_neq (access (image, F_OK), 0, "partial image left");
  cr_assert_not (snap->committed);
  cr_assert_null (snap->snapshot_path);
}

Test (copy, commit_before_prepare_fails)
{
  g_autofree char *data = make_data ();
  g_autoptr(VssSnapshot) snap = vss_snapshot_new (SET_ID, data, &vss_provider_copy, VSS_CTX_BACKUP);
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_provider_copy.commit (snap, 0, &error));
  cr_assert (g_error_matches (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR));
}

Test (copy, remove_cleans_the_set_dir_after_its_last_snapshot)
{
  g_autofree char *data = make_data ();
  g_autoptr(VssSnapshot) one = prepared_snapshot (data);
  g_autoptr(VssSnapshot) two = prepared_snapshot (data);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_provider_copy.commit (one, 0, &error), "%s", error ? error->message : "");
  cr_assert (vss_provider_copy.commit (two, 0, &error), "%s", error ? error->message : "");
  g_autofree char *set_dir = g_build_filename (vss_paths_state_dir (), "snapshots", SET_ID, NULL);

  cr_assert (vss_provider_copy.remove (one, &error), "%s", error ? error->message : "");
  cr_assert_neq (access (one->storage_path, F_OK), 0);
  cr_assert_eq (access (two->storage_path, F_OK), 0, "the other snapshot went too");
  cr_assert_eq (access (set_dir, F_OK), 0);

  cr_assert (vss_provider_copy.remove (two, &error), "%s", error ? error->message : "");
  cr_assert_neq (access (set_dir, F_OK), 0, "set dir left behind");
  cr_assert_eq (access (data, F_OK), 0, "the original went");

  /* Removing again, or a snapshot never prepared, is not an error. */
  cr_assert (vss_provider_copy.remove (two, &error));
  g_autoptr(VssSnapshot) never = vss_snapshot_new (SET_ID, data, &vss_provider_copy, VSS_CTX_BACKUP);
  cr_assert (vss_provider_copy.remove (never, &error));
}
