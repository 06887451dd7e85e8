/* vss-fs.c — careful file operations used across libvss (see vss-fs.h).
 *
 * Every walk here is openat()-based with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW:
 * a snapshot copy or a removal must never wander out of its tree through a
 * symlink, nor into another filesystem mounted inside it. */
#include "vss-fs-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

gboolean
vss_fs_errno_error (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/* ---- directory listing ---- */

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The entry names of the open directory @dirfd (without . and ..), sorted
 * so that copies and errors are reproducible.  Names are collected before
 * the caller acts on them, because removing or creating entries while
 * readdir() runs gives unspecified results. */
GPtrArray *
vss_fs_list_dir (int dirfd, const char *path, GError **error)
{
  int fd = fcntl (dirfd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    vss_fs_errno_error (error, errno, "cannot read directory", path);
    return NULL;
  }
  DIR *dir = fdopendir (fd);
  if (dir == NULL) {
    vss_fs_errno_error (error, errno, "cannot read directory", path);
    close (fd);
    return NULL;
  }
  /* fdopendir shares the file offset with @dirfd's duplicate. */
  rewinddir (dir);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  struct dirent *entry;
  errno = 0;
  while ((entry = readdir (dir)) != NULL) {
    if (strcmp (entry->d_name, ".") != 0 && strcmp (entry->d_name, "..") != 0)
      g_ptr_array_add (names, g_strdup (entry->d_name));
    errno = 0;
  }
  int saved = errno;
  closedir (dir);
  if (saved != 0) {
    vss_fs_errno_error (error, saved, "cannot read directory", path);
    return NULL;
  }
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

gboolean
vss_fs_is_mount_root (int dirfd, const char *name)
{
  struct statx stx;
  if (statx (dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, 0, &stx) != 0)
    return FALSE;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

/* ---- remove ---- */

static gboolean remove_at (int parentfd, const char *name, const char *path, GError **error);

/* Opens directory @name for reading; a directory without read or search
 * permission (possible for a non-root owner) is opened after giving the
 * owner rwx, since it is about to be removed anyway. */
static int
open_dir_for_removal (int parentfd, const char *name)
{
  int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  int fd = openat (parentfd, name, flags);
  if (fd < 0 && errno == EACCES && fchmodat (parentfd, name, S_IRWXU, 0) == 0)
    fd = openat (parentfd, name, flags);
  return fd;
}

static gboolean
remove_dir_contents (int dirfd, const char *path, GError **error)
{
  g_autoptr(GPtrArray) names = vss_fs_list_dir (dirfd, path, error);
  if (names == NULL)
    return FALSE;
  /* Unlinking needs write and search permission on the directory. */
  if (names->len > 0 && faccessat (dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0)
    fchmod (dirfd, S_IRWXU);
  for (guint i = 0; i < names->len; i++) {
    const char *child = g_ptr_array_index (names, i);
    g_autofree char *child_path = g_build_filename (path, child, NULL);
    if (!remove_at (dirfd, child, child_path, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
remove_at (int parentfd, const char *name, const char *path, GError **error)
{
  struct stat st;
  if (fstatat (parentfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? TRUE : vss_fs_errno_error (error, errno, "cannot stat", path);
  if (!S_ISDIR (st.st_mode)) {
    if (unlinkat (parentfd, name, 0) != 0 && errno != ENOENT)
      return vss_fs_errno_error (error, errno, "cannot remove", path);
    return TRUE;
  }
  /* Emptying a filesystem mounted inside the tree would destroy data
   * that does not belong to it. */
  if (vss_fs_is_mount_root (parentfd, name)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                 "cannot remove %s: a filesystem is mounted there", path);
    return FALSE;
  }
  int fd = open_dir_for_removal (parentfd, name);
  if (fd < 0)
    return vss_fs_errno_error (error, errno, "cannot open directory", path);
  gboolean ok = remove_dir_contents (fd, path, error);
  close (fd);
  if (!ok)
    return FALSE;
  if (unlinkat (parentfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
    return vss_fs_errno_error (error, errno, "cannot remove directory", path);
  return TRUE;
}

gboolean
vss_fs_remove_tree (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL && *path != '\0', FALSE);
  /* "a/b/" names b: drop trailing slashes before splitting. */
  g_autofree char *trimmed = g_strdup (path);
  for (gsize n = strlen (trimmed); n > 1 && trimmed[n - 1] == '/'; n--)
    trimmed[n - 1] = '\0';
  g_autofree char *dir = g_path_get_dirname (trimmed);
  g_autofree char *base = g_path_get_basename (trimmed);
  if (strcmp (base, "/") == 0 || strcmp (base, ".") == 0 || strcmp (base, "..") == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "refusing to remove %s", path);
    return FALSE;
  }
  int dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return errno == ENOENT ? TRUE : vss_fs_errno_error (error, errno, "cannot open directory", dir);
  gboolean ok = remove_at (dirfd, base, path, error);
  close (dirfd);
  return ok;
}

/* ---- size ---- */

/* @allocated: count the blocks a file takes (a sparse file's holes take
 * none) instead of its apparent size. */
static gboolean
tree_size_at (int parentfd, const char *name, const char *path, gboolean allocated,
              guint64 *total, GError **error)
{
  struct stat st;
  /* A live tree changes while it is walked: an entry gone since its
   * directory was listed (a rollback journal, a temp file) adds nothing. */
  gboolean vanished_ok = parentfd != AT_FDCWD;
  if (fstatat (parentfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return (errno == ENOENT && vanished_ok) || vss_fs_errno_error (error, errno, "cannot stat", path);
  if (S_ISREG (st.st_mode))
    *total += allocated ? (guint64) st.st_blocks * 512 : (guint64) st.st_size;
  if (!S_ISDIR (st.st_mode))
    return TRUE;
  int fd = openat (parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return (errno == ENOENT && vanished_ok) ||
           vss_fs_errno_error (error, errno, "cannot open directory", path);
  g_autoptr(GPtrArray) names = vss_fs_list_dir (fd, path, error);
  gboolean ok = names != NULL;
  for (guint i = 0; ok && i < names->len; i++) {
    const char *child = g_ptr_array_index (names, i);
    g_autofree char *child_path = g_build_filename (path, child, NULL);
    ok = tree_size_at (fd, child, child_path, allocated, total, error);
  }
  close (fd);
  return ok;
}

static gboolean
tree_size (const char *path, gboolean allocated, guint64 *out_bytes, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  guint64 total = 0;
  if (!tree_size_at (AT_FDCWD, path, path, allocated, &total, error))
    return FALSE;
  if (out_bytes != NULL)
    *out_bytes = total;
  return TRUE;
}

gboolean
vss_fs_tree_size (const char *path, guint64 *out_bytes, GError **error)
{
  return tree_size (path, FALSE, out_bytes, error);
}

gboolean
vss_fs_tree_allocated (const char *path, guint64 *out_bytes, GError **error)
{
  return tree_size (path, TRUE, out_bytes, error);
}

/* ---- atomic write ---- */

gboolean
vss_fs_write_all (int fd, const char *contents, gsize length)
{
  while (length > 0) {
    ssize_t n = write (fd, contents, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    contents += n;
    length -= (gsize) n;
  }
  return TRUE;
}

static gboolean
fsync_dir (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vss_fs_errno_error (error, errno, "cannot open directory", dir);
  /* Some filesystems cannot fsync a directory; the rename is done anyway. */
  if (fsync (fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
    int saved = errno;
    close (fd);
    return vss_fs_errno_error (error, saved, "cannot sync directory", dir);
  }
  close (fd);
  return TRUE;
}

gboolean
vss_fs_write_atomic (const char *path, const char *contents, gsize length,
                     int mode, GError **error)
{
  g_return_val_if_fail (path != NULL && (contents != NULL || length == 0), FALSE);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  /* Hidden and beside the target, so the rename stays in one filesystem. */
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    g_autofree char *what = g_strdup_printf ("cannot write %s: cannot create a temp file in", path);
    return vss_fs_errno_error (error, errno, what, dir);
  }
  const char *failed = NULL;
  if (fchmod (fd, mode) != 0)
    failed = "cannot set the mode of";
  else if (!vss_fs_write_all (fd, contents, length))
    failed = "cannot write";
  else if (fsync (fd) != 0)
    failed = "cannot sync";
  int saved = errno;
  if (close (fd) != 0 && failed == NULL) {
    failed = "cannot write";
    saved = errno;
  }
  if (failed == NULL && rename (tmp, path) != 0) {
    failed = "cannot rename the temp file onto";
    saved = errno;
  }
  if (failed != NULL) {
    unlink (tmp);
    return vss_fs_errno_error (error, saved, failed, path);
  }
  return fsync_dir (dir, error);
}

/* ---- filesystem type ---- */

#ifndef ZFS_SUPER_MAGIC
#define ZFS_SUPER_MAGIC 0x2fc12fc1
#endif
#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

static const struct {
  unsigned long magic;
  const char *name;
} fs_types[] = {
  { BTRFS_SUPER_MAGIC, "btrfs" },
  { XFS_SUPER_MAGIC, "xfs" },
  { EXT4_SUPER_MAGIC, "ext4" },   /* also ext2 and ext3: one magic */
  { TMPFS_MAGIC, "tmpfs" },
  { OVERLAYFS_SUPER_MAGIC, "overlay" },
  { NFS_SUPER_MAGIC, "nfs" },
  { ZFS_SUPER_MAGIC, "zfs" },
  { F2FS_SUPER_MAGIC, "f2fs" },
  { MSDOS_SUPER_MAGIC, "vfat" },
  { RAMFS_MAGIC, "ramfs" },
  { PROC_SUPER_MAGIC, "proc" },
  { SYSFS_MAGIC, "sysfs" },
  { DEVPTS_SUPER_MAGIC, "devpts" },
  { CGROUP_SUPER_MAGIC, "cgroup" },
  { CGROUP2_SUPER_MAGIC, "cgroup2" },
  { DEBUGFS_MAGIC, "debugfs" },
  { TRACEFS_MAGIC, "tracefs" },
  { SECURITYFS_MAGIC, "securityfs" },
  { BPF_FS_MAGIC, "bpf" },
  { PSTOREFS_MAGIC, "pstore" },
  { EFIVARFS_MAGIC, "efivarfs" },
  { FUSE_SUPER_MAGIC, "fuse" },
  { SQUASHFS_MAGIC, "squashfs" },
};

char *
vss_fs_type_name (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);
  struct statfs sfs;
  if (statfs (path, &sfs) != 0)
    return g_strdup_printf ("unknown (%s)", g_strerror (errno));
  unsigned long magic = (unsigned long) (unsigned int) sfs.f_type;
  for (gsize i = 0; i < G_N_ELEMENTS (fs_types); i++) {
    if (fs_types[i].magic == magic)
      return g_strdup (fs_types[i].name);
  }
  return g_strdup_printf ("unknown (0x%lx)", magic);
}

/* How much a file being written may have dirty or in flight: enough that
 * the writer never waits for the disk's latency, only for its rate. */
#define WRITE_BEHIND_WINDOW (16 * 1024 * 1024)

void
vss_fs_write_behind (int fd, off_t offset, off_t length, off_t *flushed)
{
  sync_file_range (fd, offset, length, SYNC_FILE_RANGE_WRITE);
  off_t settled = offset + length - WRITE_BEHIND_WINDOW;
  if (settled - *flushed < WRITE_BEHIND_WINDOW)
    return;
  sync_file_range (fd, *flushed, settled - *flushed,
                   SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                   SYNC_FILE_RANGE_WAIT_AFTER);
  *flushed = settled;
}
