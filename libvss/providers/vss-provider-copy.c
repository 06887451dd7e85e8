/* vss-provider-copy.c — the "copy" provider: a plain copy of the tree made
 * inside the frozen window.
 *
 * It works on any real filesystem but costs time proportional to the data,
 * all of it while writers hold their writes; prepare() therefore refuses a
 * tree that would not be copied within the hold limit, so the set fails
 * before anything is frozen rather than during the freeze.  A snapshot
 * committed after the thaw (a tree no writer owns) holds nobody and is
 * never refused.  The estimate counts allocated blocks: the copy keeps
 * holes, so a sparse file costs what it stores, not its size.  The image lives
 * in <state dir>/snapshots/<set id>/<snapshot id>/image. */
#include "vss-provider-fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vss-copy-priority.h"
#include "util/vss-fs.h"
#include "util/vss-paths.h"

/* Assumed copy speed.  Deliberately below what a SATA SSD does for one big
 * file (about 400-500 MiB/s) because the copy also pays per-file costs and
 * may share the disk with the frozen applications; a veto at prepare time
 * is far cheaper than a hold timeout during the freeze.  Tunable with
 * $VSS_COPY_RATE_MIBS (MiB per second, a positive number). */
#define COPY_RATE_MIBS_DEFAULT 200.0

/* Filesystems that describe the kernel rather than hold data: a copy of
 * them is meaningless (and /proc alone can be endless). */
static const char *const pseudo_filesystems[] = {
  "proc", "sysfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs",
  "securityfs", "bpf", "pstore", "efivarfs", "devtmpfs", NULL,
};

static double
copy_rate_mibs (void)
{
  const char *env = g_getenv ("VSS_COPY_RATE_MIBS");
  if (env != NULL && *env != '\0') {
    char *end = NULL;
    double rate = g_ascii_strtod (env, &end);
    if (end != NULL && *end == '\0' && rate > 0)
      return rate;
    g_warning ("ignoring VSS_COPY_RATE_MIBS=\"%s\": not a positive number", env);
  }
  return COPY_RATE_MIBS_DEFAULT;
}

/* devtmpfs reports the tmpfs magic, so only the mount table tells it
 * apart. */
static gboolean
is_devtmpfs (dev_t dev)
{
  g_autofree char *type = NULL;
  return vss_provider_fs_mount_source (dev, NULL, NULL, &type) && g_str_equal (type, "devtmpfs");
}

static gboolean
copy_supports (const char *path, GError **error)
{
  struct stat st;
  if (lstat (path, &st) != 0) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
                 "copy: cannot snapshot %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  if (!S_ISDIR (st.st_mode) && !S_ISREG (st.st_mode)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
                 "copy: cannot snapshot %s: not a directory or a regular file", path);
    return FALSE;
  }
  g_autofree char *fs = vss_fs_type_name (path);
  if (is_devtmpfs (st.st_dev))
    g_free (fs), fs = g_strdup ("devtmpfs");
  if (g_strv_contains (pseudo_filesystems, fs)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
                 "copy: cannot snapshot %s: it is on %s, a kernel pseudo filesystem",
                 path, fs);
    return FALSE;
  }
  return TRUE;
}

static char *
storage_path_for (const VssSnapshot *snapshot)
{
  return g_build_filename (vss_paths_state_dir (), "snapshots", snapshot->snapshot_set_id,
                           snapshot->snapshot_id, NULL);
}

static gboolean
make_storage (VssSnapshot *snapshot, GError **error)
{
  g_autofree char *storage = storage_path_for (snapshot);
  if (!vss_paths_ensure_dir (storage, error))
    return FALSE;
  /* The image keeps the files' own modes, but not the protection of the
   * directories above the original: only the owner may enter. */
  if (chmod (storage, 0700) != 0) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "copy: cannot protect %s: %s", storage, g_strerror (saved));
    return FALSE;
  }
  g_free (snapshot->storage_path);
  snapshot->storage_path = g_steal_pointer (&storage);
  return TRUE;
}

/* "4.0 MiB" with a plain space (glib puts a no-break space there, which
 * logs and terminals without UTF-8 show as garbage). */
static char *
format_size (guint64 bytes)
{
  g_autofree char *size = g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_auto(GStrv) parts = g_strsplit (size, "\302\240", -1);
  return g_strjoinv (" ", parts);
}

static gboolean
copy_prepare (VssSnapshot *snapshot, guint hold_budget_ms, GError **error)
{
  if (snapshot->after_thaw)
    return make_storage (snapshot, error);
  guint64 bytes = 0;
  g_autoptr(GError) local = NULL;
  if (!vss_fs_tree_allocated (snapshot->original_path, &bytes, &local)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "copy: cannot measure %s: %s", snapshot->original_path, local->message);
    return FALSE;
  }
  double rate = copy_rate_mibs ();
  double estimate_ms = (double) bytes / (rate * 1024.0 * 1024.0) * 1000.0;
  if (estimate_ms > (double) hold_budget_ms) {
    g_autofree char *size = format_size (bytes);
    g_autofree char *other = vss_provider_alternative (&vss_provider_copy, snapshot->original_path);
    g_set_error (error, VSS_ERROR, VSS_ERROR_PROVIDER_VETO,
                 "copy: %s holds %s, which would take about %.0f ms to copy at %g MiB/s, "
                 "more than the hold limit of %u ms; %s",
                 snapshot->original_path, size, estimate_ms, rate, hold_budget_ms,
                 other != NULL ? other : "no cheaper provider supports it here: raise the "
                 "hold limit, or keep the data on btrfs or on xfs with reflink");
    return FALSE;
  }
  return make_storage (snapshot, error);
}

static gboolean
copy_commit (VssSnapshot *snapshot, gint64 deadline_usec, GError **error)
{
  if (snapshot->storage_path == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "copy: commit of %s before prepare", snapshot->original_path);
    return FALSE;
  }
  /* What this commit was given, for the message: the hold limit as it
   * stands once the writers are frozen. */
  gint64 allowed_ms = deadline_usec > 0 ? (deadline_usec - g_get_monotonic_time ()) / 1000 : 0;
  g_autofree char *image = g_build_filename (snapshot->storage_path, "image", NULL);
  g_autoptr(GError) local = NULL;
  /* An after-thaw image holds nobody: it is copied at the copies' priority
   * and written out behind the copy, and it is what the backup set moves
   * in (copy once), so its large files are hashed while copied and the
   * set need not read them.  A copy inside the freeze runs flat out. */
  VssFsCopyOptions options = { .deadline_usec = deadline_usec,
                               .remember_digests = snapshot->after_thaw,
                               .write_behind = snapshot->after_thaw };
  VssCopyPrioritySaved saved = { 0 };
  if (snapshot->after_thaw)
    vss_copy_priority_enter (&saved);
  gboolean copied = vss_fs_copy_tree_full (snapshot->original_path, image, &options, &local);
  vss_copy_priority_leave (&saved);
  if (!copied) {
    if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
      g_autofree char *other = vss_provider_alternative (&vss_provider_copy,
                                                         snapshot->original_path);
      g_set_error (error, VSS_ERROR, VSS_ERROR_HOLD_WRITES_TIMEOUT,
                   "copy of %s did not finish within the hold limit of %" G_GINT64_FORMAT
                   " ms; the partial copy was removed; %s",
                   snapshot->original_path, MAX (allowed_ms, (gint64) 0),
                   other != NULL ? other : "a larger hold limit would work");
    } else {
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                   "copy: %s", local->message);
    }
    return FALSE;
  }
  return vss_provider_expose (snapshot, g_steal_pointer (&image), error);
}

static gboolean
copy_remove (VssSnapshot *snapshot, GError **error)
{
  g_autofree char *storage = snapshot->storage_path != NULL
                                 ? g_strdup (snapshot->storage_path)
                                 : storage_path_for (snapshot);
  g_autofree char *image = g_build_filename (storage, "image", NULL);
  vss_provider_unseal (image);
  g_autoptr(GError) local = NULL;
  if (!vss_fs_remove_tree (storage, &local)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "copy: cannot remove the snapshot of %s: %s",
                 snapshot->original_path, local->message);
    return FALSE;
  }
  /* The set dir goes with its last snapshot; other snapshots of the set
   * keep it (ENOTEMPTY), and another remove may have taken it already. */
  g_autofree char *set_dir = g_path_get_dirname (storage);
  if (rmdir (set_dir) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
    g_debug ("cannot remove %s: %s", set_dir, g_strerror (errno));
  return TRUE;
}

/* The image is our own copy: unsealed, its files may be moved out. */
static gboolean
copy_release (VssSnapshot *snapshot, GError **error)
{
  if (snapshot->snapshot_path == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "copy: the snapshot of %s is not committed", snapshot->original_path);
    return FALSE;
  }
  vss_provider_unseal (snapshot->snapshot_path);
  return TRUE;
}

const VssProvider vss_provider_copy = {
  .name = "copy",
  .cost = 100,
  .supports = copy_supports,
  .prepare = copy_prepare,
  .commit = copy_commit,
  .remove = copy_remove,
  .release = copy_release,
};
