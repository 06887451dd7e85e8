/* vss-provider-reflink.c — the "reflink" provider: every file of the
 * added path cloned (FICLONE) into a hidden directory on the same
 * filesystem, inside the frozen window.
 *
 * A clone shares the data extents, so the commit costs per file and per
 * extent (about 6 µs per extent on xfs), not per byte, and needs no
 * privilege.  Images live in <dir>/.vss-snapshots/<set id>/<snapshot
 * id>/image, where <dir> is the root of the filesystem (or btrfs
 * subvolume) when we may write there, else the highest writable directory
 * between it and the added path: FICLONE needs the same filesystem. */
#include "vss-provider-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vss-fs.h"
#include "vss-clone-tree.h"

static gboolean
reflink_error (GError **error, const char *what, const char *path, int saved)
{
  g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "reflink: %s %s: %s",
               what, path, g_strerror (saved));
  return FALSE;
}

/* The directories from the filesystem root down to @path's directory. */
static GPtrArray *
candidate_dirs (const char *path, GError **error)
{
  g_autofree char *root = vss_provider_fs_root (path, error);
  if (root == NULL)
    return NULL;
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  struct stat st;
  g_autofree char *last = (lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
                              ? g_strdup (path) : g_path_get_dirname (path);
  for (char *dir = g_strdup (last); ; ) {
    g_ptr_array_insert (dirs, 0, dir);
    if (strlen (dir) <= strlen (root))
      break;
    dir = g_path_get_dirname (dir);
  }
  return dirs;
}

/* xfs clones only when made with reflink=1: ask the kernel with two empty
 * unnamed files (O_TMPFILE leaves nothing behind). */
static gboolean
xfs_clones (const char *path)
{
  g_autoptr(GPtrArray) dirs = candidate_dirs (path, NULL);
  for (guint i = 0; dirs != NULL && i < dirs->len; i++) {
    int a = open (g_ptr_array_index (dirs, i), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    int b = a >= 0 ? open (g_ptr_array_index (dirs, i), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600) : -1;
    int rc = b >= 0 ? ioctl (b, FICLONE, a) : -1;
    int saved = errno;
    if (a >= 0)
      close (a);
    if (b >= 0)
      close (b);
    if (b >= 0)
      return rc == 0 || (saved != EOPNOTSUPP && saved != EINVAL);
  }
  return TRUE;   /* nowhere to try: prepare will tell */
}

static gboolean
reflink_supports (const char *path, GError **error)
{
  g_autofree char *fs = vss_fs_type_name (path);
  if (g_strcmp0 (fs, "btrfs") != 0 && g_strcmp0 (fs, "xfs") != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
                 "reflink: %s is on %s; reflinks need xfs (with reflink) or btrfs", path, fs);
    return FALSE;
  }
  if (g_str_equal (fs, "xfs") && !xfs_clones (path)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
                 "reflink: %s is on an xfs made without reflink (mkfs.xfs -m reflink=1)", path);
    return FALSE;
  }
  return TRUE;
}

/* The first candidate where .vss-snapshots exists (ours) or can be made. */
static char *
hidden_dir_for (const char *path, GError **error)
{
  g_autoptr(GPtrArray) dirs = candidate_dirs (path, error);
  int last_errno = EACCES;
  for (guint i = 0; dirs != NULL && i < dirs->len; i++) {
    g_autofree char *hidden = g_build_filename (g_ptr_array_index (dirs, i),
                                                VSS_PROVIDER_HIDDEN_DIR, NULL);
    struct stat st;
    if (mkdir (hidden, 0700) == 0)
      return g_steal_pointer (&hidden);
    last_errno = errno;
    if (errno == EEXIST && lstat (hidden, &st) == 0 && S_ISDIR (st.st_mode) &&
        st.st_uid == geteuid () && access (hidden, W_OK) == 0)
      return g_steal_pointer (&hidden);
  }
  if (dirs != NULL)
    reflink_error (error, "no directory on the filesystem of", path, last_errno);
  return NULL;
}

static gboolean
reflink_prepare (VssSnapshot *snapshot, guint hold_budget_ms, GError **error)
{
  g_autofree char *hidden = hidden_dir_for (snapshot->original_path, error);
  if (hidden == NULL)
    return FALSE;
  g_autofree char *set_dir = g_build_filename (hidden, snapshot->snapshot_set_id, NULL);
  g_autofree char *storage = g_build_filename (set_dir, snapshot->snapshot_id, NULL);
  if ((mkdir (set_dir, 0700) != 0 && errno != EEXIST) || mkdir (storage, 0700) != 0)
    return reflink_error (error, "cannot create", storage, errno);
  g_free (snapshot->storage_path);
  snapshot->storage_path = g_steal_pointer (&storage);
  return TRUE;
}

static gboolean
reflink_commit (VssSnapshot *snapshot, gint64 deadline_usec, GError **error)
{
  if (snapshot->storage_path == NULL)
    return reflink_error (error, "commit before prepare of", snapshot->original_path, EINVAL);
  gint64 start = g_get_monotonic_time ();
  /* The store itself may lie inside the added tree: leave it out. */
  g_autofree char *set_dir = g_path_get_dirname (snapshot->storage_path);
  g_autofree char *hidden = g_path_get_dirname (set_dir);
  struct stat st;
  if (lstat (hidden, &st) != 0)
    return reflink_error (error, "cannot stat", hidden, errno);
  g_autofree char *image = g_build_filename (snapshot->storage_path, "image", NULL);
  g_autoptr(GError) local = NULL;
  if (!vss_clone_tree (snapshot->original_path, image, st.st_dev, st.st_ino, deadline_usec, &local)) {
    if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
      g_autofree char *what = g_strdup_printf ("reflink clone of %s", snapshot->original_path);
      vss_provider_set_timeout_error (error, what, deadline_usec, start);
    } else {
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "reflink: %s",
                   local->message);
    }
    return FALSE;
  }
  return vss_provider_expose (snapshot, g_steal_pointer (&image), error);
}

static gboolean
reflink_remove (VssSnapshot *snapshot, GError **error)
{
  if (snapshot->storage_path == NULL)
    return TRUE;   /* never prepared: nothing was made */
  g_autofree char *image = g_build_filename (snapshot->storage_path, "image", NULL);
  vss_provider_unseal (image);
  g_autoptr(GError) local = NULL;
  if (!vss_fs_remove_tree (snapshot->storage_path, &local)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "reflink: cannot remove the snapshot of %s: %s", snapshot->original_path,
                 local->message);
    return FALSE;
  }
  g_autofree char *set_dir = g_path_get_dirname (snapshot->storage_path);
  if (rmdir (set_dir) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
    g_debug ("cannot remove %s: %s", set_dir, g_strerror (errno));
  return TRUE;
}

const VssProvider vss_provider_reflink = {
  .name = "reflink",
  .cost = 20,
  .supports = reflink_supports,
  .prepare = reflink_prepare,
  .commit = reflink_commit,
  .remove = reflink_remove,
};
