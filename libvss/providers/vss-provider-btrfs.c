/* vss-provider-btrfs.c — the "btrfs" provider: a read-only snapshot of
 * the subvolume holding the path, made with the kernel's ioctl.
 *
 * The snapshot costs a transaction commit (which also writes out dirty
 * data of the subvolume: the coordinator's pre-flush does most of that
 * before the window) and a few metadata blocks, whatever the data size.
 * Snapshots live in <subvolume root>/.vss-snapshots/<set id>/<snapshot id>;
 * .vss-snapshots is itself a subvolume, so later snapshots of the parent
 * show it as an empty directory instead of nesting older images (btrfs
 * snapshots never descend into nested subvolumes). */
#include "vss-provider-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vss-fs.h"

/* The root directory of every btrfs subvolume has this inode number
 * (BTRFS_FIRST_FREE_OBJECTID). */
#define BTRFS_SUBVOL_ROOT_INO 256

static gboolean
btrfs_error (GError **error, VssError code, const char *what, const char *path, int saved)
{
  g_set_error (error, VSS_ERROR, code, "btrfs: %s %s: %s", what, path, g_strerror (saved));
  return FALSE;
}

static gboolean
btrfs_supports (const char *path, GError **error)
{
  if (!vss_provider_fs_is (path, "btrfs")) {
    g_autofree char *fs = vss_fs_type_name (path);
    g_set_error (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
                 "btrfs: %s is on %s, not btrfs", path, fs);
    return FALSE;
  }
  return TRUE;
}

/* The subvolume root above @path: the same-device walk stops there since
 * each subvolume has its own st_dev; inode 256 confirms it. */
static char *
subvolume_root (const char *path, GError **error)
{
  g_autofree char *root = vss_provider_fs_root (path, error);
  struct stat st;
  if (root == NULL)
    return NULL;
  if (stat (root, &st) != 0 || st.st_ino != BTRFS_SUBVOL_ROOT_INO) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
                 "btrfs: cannot find the subvolume holding %s (%s is not a subvolume root)",
                 path, root);
    return NULL;
  }
  return g_steal_pointer (&root);
}

/* <root>/.vss-snapshots as a subvolume (see the top of the file). */
static gboolean
ensure_hidden_subvolume (const char *root, GError **error)
{
  g_autofree char *hidden = g_build_filename (root, VSS_PROVIDER_HIDDEN_DIR, NULL);
  struct stat st;
  if (lstat (hidden, &st) == 0)
    return S_ISDIR (st.st_mode) ||
           btrfs_error (error, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "cannot use", hidden, ENOTDIR);
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return btrfs_error (error, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "cannot open", root, errno);
  struct btrfs_ioctl_vol_args args = { 0 };
  g_strlcpy (args.name, VSS_PROVIDER_HIDDEN_DIR, sizeof args.name);
  int rc = ioctl (fd, BTRFS_IOC_SUBVOL_CREATE, &args);
  int saved = errno;
  close (fd);
  if (rc != 0 && saved != EEXIST)
    return btrfs_error (error, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                        "cannot create the snapshot subvolume", hidden, saved);
  if (rc == 0 && chmod (hidden, 0700) != 0)
    return btrfs_error (error, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "cannot protect", hidden, errno);
  return TRUE;
}

/* Slow work before the window: find the subvolume, make the place for the
 * snapshot.  storage_path is the snapshot subvolume to be. */
static gboolean
btrfs_prepare (VssSnapshot *snapshot, guint hold_budget_ms, GError **error)
{
  g_autofree char *root = subvolume_root (snapshot->original_path, error);
  if (root == NULL || !ensure_hidden_subvolume (root, error))
    return FALSE;
  g_autofree char *set_dir = g_build_filename (root, VSS_PROVIDER_HIDDEN_DIR,
                                               snapshot->snapshot_set_id, NULL);
  if (mkdir (set_dir, 0700) != 0 && errno != EEXIST)
    return btrfs_error (error, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "cannot create", set_dir, errno);
  g_free (snapshot->storage_path);
  snapshot->storage_path = g_build_filename (set_dir, snapshot->snapshot_id, NULL);
  return TRUE;
}

static gboolean
destroy_subvolume (const char *subvolume, GError **error)
{
  g_autofree char *parent = g_path_get_dirname (subvolume);
  g_autofree char *name = g_path_get_basename (subvolume);
  int fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ||
           btrfs_error (error, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "cannot open", parent, errno);
  struct btrfs_ioctl_vol_args args = { 0 };
  g_strlcpy (args.name, name, sizeof args.name);
  int rc = ioctl (fd, BTRFS_IOC_SNAP_DESTROY, &args);
  int saved = errno;
  close (fd);
  if (rc != 0 && saved != ENOENT)
    return btrfs_error (error, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                        "cannot delete the snapshot", subvolume, saved);
  if (rmdir (parent) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
    g_debug ("cannot remove %s: %s", parent, g_strerror (errno));
  return TRUE;
}

static gboolean
btrfs_commit (VssSnapshot *snapshot, gint64 deadline_usec, GError **error)
{
  if (snapshot->storage_path == NULL)
    return btrfs_error (error, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR, "commit before prepare of",
                        snapshot->original_path, EINVAL);
  gint64 start = g_get_monotonic_time ();
  g_autofree char *root = subvolume_root (snapshot->original_path, error);
  if (root == NULL)
    return FALSE;
  g_autofree char *set_dir = g_path_get_dirname (snapshot->storage_path);
  int src = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int dst = open (set_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct btrfs_ioctl_vol_args_v2 args = { .fd = src, .flags = BTRFS_SUBVOL_RDONLY };
  g_autofree char *name = g_path_get_basename (snapshot->storage_path);
  g_strlcpy (args.name, name, sizeof args.name);
  int rc = (src >= 0 && dst >= 0) ? ioctl (dst, BTRFS_IOC_SNAP_CREATE_V2, &args) : -1;
  int saved = errno;
  if (src >= 0)
    close (src);
  if (dst >= 0)
    close (dst);
  if (rc != 0)
    return btrfs_error (error, saved == EPERM || saved == EACCES ? VSS_ERROR_ACCESS_DENIED
                                                                 : VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                        "cannot snapshot", root, saved);
  /* One ioctl cannot be interrupted; a snapshot that came too late is
   * still not one the writers held still for, so it is undone. */
  if (deadline_usec > 0 && g_get_monotonic_time () > deadline_usec) {
    destroy_subvolume (snapshot->storage_path, NULL);
    g_autofree char *what = g_strdup_printf ("btrfs snapshot of %s", root);
    vss_provider_set_timeout_error (error, what, deadline_usec, start);
    return FALSE;
  }
  /* The added path may lie inside the subvolume: expose the same place. */
  g_free (snapshot->snapshot_path);
  snapshot->snapshot_path = g_build_filename (snapshot->storage_path,
                                              snapshot->original_path + strlen (root), NULL);
  snapshot->committed = TRUE;
  snapshot->created_usec = g_get_real_time ();
  return TRUE;
}

static gboolean
btrfs_remove (VssSnapshot *snapshot, GError **error)
{
  if (snapshot->storage_path == NULL)
    return TRUE;   /* never prepared: nothing was made */
  return destroy_subvolume (snapshot->storage_path, error);
}

const VssProvider vss_provider_btrfs = {
  .name = "btrfs",
  .atomic = TRUE,
  .cost = 10,
  .supports = btrfs_supports,
  .prepare = btrfs_prepare,
  .commit = btrfs_commit,
  .remove = btrfs_remove,
};
