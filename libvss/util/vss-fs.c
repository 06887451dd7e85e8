/* vss-fs.c — careful file operations used across libvss (see vss-fs.h).
 *
 * Every walk here is openat()-based with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW:
 * a snapshot copy or a removal must never wander out of its tree through a
 * symlink, nor into another filesystem mounted inside it. */
#include "vss-fs.h"

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

/* How much data is copied between two looks at the deadline: small enough
 * that a timeout is noticed within a few ms at disk speed, large enough that
 * the clock is not read for every block. */
#define COPY_CHUNK (4 * 1024 * 1024)

static gboolean
set_errno_error (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0) {
    close (*fd);
    *fd = -1;
  }
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
static GPtrArray *
list_dir (int dirfd, const char *path, GError **error)
{
  int fd = fcntl (dirfd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    set_errno_error (error, errno, "cannot read directory", path);
    return NULL;
  }
  DIR *dir = fdopendir (fd);
  if (dir == NULL) {
    set_errno_error (error, errno, "cannot read directory", path);
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
    set_errno_error (error, saved, "cannot read directory", path);
    return NULL;
  }
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

static gboolean
is_mount_root (int dirfd, const char *name)
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
  g_autoptr(GPtrArray) names = list_dir (dirfd, path, error);
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
    return errno == ENOENT ? TRUE : set_errno_error (error, errno, "cannot stat", path);
  if (!S_ISDIR (st.st_mode)) {
    if (unlinkat (parentfd, name, 0) != 0 && errno != ENOENT)
      return set_errno_error (error, errno, "cannot remove", path);
    return TRUE;
  }
  /* Emptying a filesystem mounted inside the tree would destroy data
   * that does not belong to it. */
  if (is_mount_root (parentfd, name)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                 "cannot remove %s: a filesystem is mounted there", path);
    return FALSE;
  }
  int fd = open_dir_for_removal (parentfd, name);
  if (fd < 0)
    return set_errno_error (error, errno, "cannot open directory", path);
  gboolean ok = remove_dir_contents (fd, path, error);
  close (fd);
  if (!ok)
    return FALSE;
  if (unlinkat (parentfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
    return set_errno_error (error, errno, "cannot remove directory", path);
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
    return errno == ENOENT ? TRUE : set_errno_error (error, errno, "cannot open directory", dir);
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
    return (errno == ENOENT && vanished_ok) || set_errno_error (error, errno, "cannot stat", path);
  if (S_ISREG (st.st_mode))
    *total += allocated ? (guint64) st.st_blocks * 512 : (guint64) st.st_size;
  if (!S_ISDIR (st.st_mode))
    return TRUE;
  int fd = openat (parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return (errno == ENOENT && vanished_ok) ||
           set_errno_error (error, errno, "cannot open directory", path);
  g_autoptr(GPtrArray) names = list_dir (fd, path, error);
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

/* ---- copy ---- */

typedef struct {
  gint64 deadline_usec;       /* monotonic; 0 for none */
  const char *root;           /* the source tree, for the timeout message */
  gboolean is_root;           /* euid 0: owners and device nodes are copied */
} CopyCtx;

static gboolean
check_deadline (const CopyCtx *ctx, GError **error)
{
  if (ctx->deadline_usec == 0 || g_get_monotonic_time () < ctx->deadline_usec)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "copy of %s stopped: its deadline passed", ctx->root);
  return FALSE;
}

/* Copies [@offset, @offset + @length) at the same offsets.  copy_file_range
 * lets the kernel skip the user-space bounce (and share extents where the
 * filesystem can); some filesystems and cross-device pairs refuse it, then
 * plain pread/pwrite does the same job. */
static gboolean
copy_range (int sfd, int dfd, off_t offset, off_t length, gboolean *use_cfr,
            const char *src, const char *dst, GError **error)
{
  off_t end = offset + length;
  while (offset < end) {
    size_t want = (size_t) MIN (end - offset, (off_t) COPY_CHUNK);
    ssize_t n = -1;
    if (*use_cfr) {
      off_t in = offset, out = offset;
      n = copy_file_range (sfd, &in, dfd, &out, want, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
                    errno == EOPNOTSUPP)) {
        *use_cfr = FALSE;
        continue;
      }
    } else {
      g_autofree char *buf = g_malloc (want);
      n = pread (sfd, buf, want, offset);
      for (ssize_t done = 0; n > 0 && done < n;) {
        ssize_t w = pwrite (dfd, buf + done, (size_t) (n - done), offset + done);
        if (w < 0) {
          if (errno == EINTR)
            continue;
          return set_errno_error (error, errno, "cannot write", dst);
        }
        done += w;
      }
    }
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return set_errno_error (error, errno, "cannot copy data of", src);
    }
    if (n == 0)
      break;   /* the source shrank while being copied */
    offset += n;
  }
  return TRUE;
}

/* Copies the data regions of @sfd, leaving holes as holes: the file is
 * extended to its size at the end with ftruncate, which does not allocate. */
static gboolean
copy_file_data (int sfd, int dfd, off_t size, const CopyCtx *ctx,
                const char *src, const char *dst, GError **error)
{
  gboolean use_cfr = TRUE;
  off_t pos = 0;
  while (pos < size) {
    off_t data = lseek (sfd, pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO)
      break;                       /* only a hole is left */
    if (data < 0)
      data = pos;                  /* no SEEK_DATA here: treat all as data */
    off_t hole = lseek (sfd, data, SEEK_HOLE);
    if (hole < 0 || hole > size)
      hole = size;
    while (data < hole) {
      off_t len = MIN (hole - data, (off_t) COPY_CHUNK);
      if (!check_deadline (ctx, error) ||
          !copy_range (sfd, dfd, data, len, &use_cfr, src, dst, error))
        return FALSE;
      data += len;
    }
    pos = hole;
  }
  if (ftruncate (dfd, size) != 0)
    return set_errno_error (error, errno, "cannot set the size of", dst);
  return TRUE;
}

static gboolean
copy_xattrs (const char *src, const char *dst, const CopyCtx *ctx, GError **error)
{
  ssize_t len = llistxattr (src, NULL, 0);
  if (len < 0)
    return (errno == ENOTSUP) ? TRUE : set_errno_error (error, errno, "cannot list xattrs of", src);
  if (len == 0)
    return TRUE;
  g_autofree char *names = g_malloc (len);
  len = llistxattr (src, names, len);
  if (len < 0)
    return set_errno_error (error, errno, "cannot list xattrs of", src);
  for (char *name = names; name < names + len; name += strlen (name) + 1) {
    ssize_t vlen = lgetxattr (src, name, NULL, 0);
    if (vlen < 0 && errno == ENODATA)
      continue;   /* removed since the listing */
    if (vlen < 0)
      return set_errno_error (error, errno, "cannot read xattrs of", src);
    g_autofree char *value = g_malloc (vlen + 1);
    vlen = lgetxattr (src, name, value, vlen);
    if (vlen < 0)
      return set_errno_error (error, errno, "cannot read xattrs of", src);
    if (lsetxattr (dst, name, value, vlen, 0) == 0)
      continue;
    /* The target may not store xattrs at all, and a non-root copier may not
     * set trusted.* or security.* ones: the copy is still the best we can do. */
    if (errno == ENOTSUP || (errno == EPERM && !ctx->is_root)) {
      g_debug ("not copying xattr %s of %s: %s", name, src, g_strerror (errno));
      continue;
    }
    g_autofree char *what = g_strdup_printf ("cannot set xattr %s on", name);
    return set_errno_error (error, errno, what, dst);
  }
  return TRUE;
}

/* Owner, mode and times, in that order: chown clears setuid/setgid bits,
 * and anything after utimensat would change the times again. */
static gboolean
copy_metadata (const struct stat *st, const char *src, const char *dst,
               const CopyCtx *ctx, GError **error)
{
  if (!copy_xattrs (src, dst, ctx, error))
    return FALSE;
  if (lchown (dst, st->st_uid, st->st_gid) != 0 && !(errno == EPERM && !ctx->is_root))
    return set_errno_error (error, errno, "cannot set the owner of", dst);
  if (!S_ISLNK (st->st_mode) && chmod (dst, st->st_mode & 07777) != 0)
    return set_errno_error (error, errno, "cannot set the mode of", dst);
  struct timespec times[2] = { st->st_atim, st->st_mtim };
  if (utimensat (AT_FDCWD, dst, times, AT_SYMLINK_NOFOLLOW) != 0)
    return set_errno_error (error, errno, "cannot set the times of", dst);
  return TRUE;
}

static gboolean
copy_regular (const struct stat *st, const char *src, const char *dst,
              const CopyCtx *ctx, GError **error)
{
  int sfd = open (src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (sfd < 0 && errno == ENOENT && strcmp (src, ctx->root) != 0) {
    g_debug ("not copying %s: it vanished while the tree was copied", src);
    return TRUE;
  }
  if (sfd < 0)
    return set_errno_error (error, errno, "cannot open", src);
  /* Owner-only until the metadata is copied: the source's mode may be
   * stricter than the umask. */
  int dfd = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (dfd < 0) {
    set_errno_error (error, errno, "cannot create", dst);
    close_fd (&sfd);
    return FALSE;
  }
  struct stat now;
  gboolean ok = fstat (sfd, &now) == 0 || set_errno_error (error, errno, "cannot stat", src);
  ok = ok && copy_file_data (sfd, dfd, now.st_size, ctx, src, dst, error);
  close_fd (&sfd);
  if (close (dfd) != 0 && ok)
    ok = set_errno_error (error, errno, "cannot write", dst);
  return ok && copy_metadata (st, src, dst, ctx, error);
}

static gboolean
copy_symlink (const struct stat *st, const char *src, const char *dst,
              const CopyCtx *ctx, GError **error)
{
  /* st_size of a symlink is its target length, but procfs-like ones say 0. */
  gsize cap = st->st_size > 0 ? (gsize) st->st_size + 1 : PATH_MAX;
  g_autofree char *target = g_malloc (cap);
  ssize_t n = readlink (src, target, cap);
  if (n < 0)
    return set_errno_error (error, errno, "cannot read link", src);
  if ((gsize) n >= cap) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "cannot read link %s: it changed while being copied", src);
    return FALSE;
  }
  target[n] = '\0';
  if (symlink (target, dst) != 0)
    return set_errno_error (error, errno, "cannot create symlink", dst);
  return copy_metadata (st, src, dst, ctx, error);
}

static gboolean
copy_special (const struct stat *st, const char *src, const char *dst,
              const CopyCtx *ctx, GError **error)
{
  /* Fifos and sockets can be made by anyone, device nodes only by root. */
  if (mknod (dst, st->st_mode & (S_IFMT | 0700), st->st_rdev) != 0) {
    if (errno == EPERM && !ctx->is_root) {
      g_warning ("not copying %s: creating device nodes needs root", src);
      return TRUE;
    }
    return set_errno_error (error, errno, "cannot create", dst);
  }
  return copy_metadata (st, src, dst, ctx, error);
}

static gboolean copy_node (const char *src, const char *dst, const CopyCtx *ctx, GError **error);

/* Like a volume snapshot, the copy stays on the filesystems of its tree:
 * a filesystem mounted below it (a /proc, a USB disk) shows up as an empty
 * directory. */
static gboolean
is_nested_mount (const char *src, const CopyCtx *ctx)
{
  return strcmp (src, ctx->root) != 0 && is_mount_root (AT_FDCWD, src);
}

static gboolean
copy_dir (const struct stat *st, const char *src, const char *dst,
          const CopyCtx *ctx, GError **error)
{
  g_autoptr(GPtrArray) names = NULL;
  if (is_nested_mount (src, ctx)) {
    g_debug ("not copying the filesystem mounted on %s", src);
    names = g_ptr_array_new ();
  } else {
    int sfd = open (src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
      return set_errno_error (error, errno, "cannot open directory", src);
    names = list_dir (sfd, src, error);
    close_fd (&sfd);
    if (names == NULL)
      return FALSE;
  }
  /* Writable by us until its contents are in; the real mode comes last. */
  if (mkdir (dst, 0700) != 0)
    return set_errno_error (error, errno, "cannot create directory", dst);
  for (guint i = 0; i < names->len; i++) {
    const char *name = g_ptr_array_index (names, i);
    g_autofree char *child_src = g_build_filename (src, name, NULL);
    g_autofree char *child_dst = g_build_filename (dst, name, NULL);
    if (!copy_node (child_src, child_dst, ctx, error))
      return FALSE;
  }
  /* Times after the contents: creating entries changes a directory's mtime. */
  return copy_metadata (st, src, dst, ctx, error);
}

static gboolean
copy_node (const char *src, const char *dst, const CopyCtx *ctx, GError **error)
{
  if (!check_deadline (ctx, error))
    return FALSE;
  struct stat st;
  if (lstat (src, &st) != 0) {
    /* Gone since its directory was listed: like tar, copy what is there. */
    if (errno == ENOENT && strcmp (src, ctx->root) != 0) {
      g_debug ("not copying %s: it vanished while the tree was copied", src);
      return TRUE;
    }
    return set_errno_error (error, errno, "cannot stat", src);
  }
  switch (st.st_mode & S_IFMT) {
  case S_IFREG:
    return copy_regular (&st, src, dst, ctx, error);
  case S_IFDIR:
    return copy_dir (&st, src, dst, ctx, error);
  case S_IFLNK:
    return copy_symlink (&st, src, dst, ctx, error);
  default:
    return copy_special (&st, src, dst, ctx, error);
  }
}

gboolean
vss_fs_copy_tree (const char *src, const char *dst, gint64 deadline_usec, GError **error)
{
  g_return_val_if_fail (src != NULL && dst != NULL, FALSE);
  struct stat st;
  if (lstat (dst, &st) == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                 "cannot copy %s to %s: the target already exists", src, dst);
    return FALSE;
  }
  if (errno != ENOENT)
    return set_errno_error (error, errno, "cannot stat", dst);

  CopyCtx ctx = { deadline_usec, src, geteuid () == 0 };
  GError *local = NULL;
  if (copy_node (src, dst, &ctx, &local))
    return TRUE;
  /* @dst did not exist before, so whatever is there now is ours. */
  g_autoptr(GError) cleanup_error = NULL;
  if (!vss_fs_remove_tree (dst, &cleanup_error))
    g_warning ("cannot remove the partial copy: %s", cleanup_error->message);
  g_propagate_error (error, local);
  return FALSE;
}

gboolean
vss_fs_copy_metadata (const struct stat *st, const char *src, const char *dst, GError **error)
{
  CopyCtx ctx = { 0, src, geteuid () == 0 };
  return copy_metadata (st, src, dst, &ctx, error);
}

/* ---- atomic write ---- */

static gboolean
write_all (int fd, const char *contents, gsize length)
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
    return set_errno_error (error, errno, "cannot open directory", dir);
  /* Some filesystems cannot fsync a directory; the rename is done anyway. */
  if (fsync (fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
    int saved = errno;
    close (fd);
    return set_errno_error (error, saved, "cannot sync directory", dir);
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
    return set_errno_error (error, errno, what, dir);
  }
  const char *failed = NULL;
  if (fchmod (fd, mode) != 0)
    failed = "cannot set the mode of";
  else if (!write_all (fd, contents, length))
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
    return set_errno_error (error, saved, failed, path);
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
