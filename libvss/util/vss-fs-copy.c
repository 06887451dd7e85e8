/* vss-fs-copy.c — the one tree walker of the providers' images:
 * vss_fs_copy_tree (the copy provider) and vss_fs_copy_tree_full with
 * clone_only (the reflink provider's FICLONE), both by descriptor.
 *
 * Every entry is reached as (open parent directory, name), and once a
 * file or directory is open everything about it — data, xattrs, owner,
 * mode, times — is read from and written to the open descriptors, never
 * through a path again.  A live tree changes while it is copied: an entry
 * gone since its directory was listed is skipped, and one whose name now
 * leads elsewhere cannot mix another file's metadata into the copy.
 * Symlinks and special files cannot be opened for their xattrs, so those
 * are reached through /proc/self/fd/<parent>/<name>, still relative to
 * the held parent. */
#include "vss-fs-private.h"
#include "vss-copy-pace.h"
#include "vss-hash-behind.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* How much data is copied between two looks at the deadline: small enough
 * that a timeout is noticed within a few ms at disk speed, large enough that
 * the clock is not read for every block. */
#define COPY_CHUNK (4 * 1024 * 1024)

static VssFsCopyHook test_hook;

void
vss_fs_copy_tree_set_test_hook (VssFsCopyHook hook)
{
  test_hook = hook;
}

typedef struct {
  gint64 deadline_usec;       /* monotonic; 0 for none */
  const char *root;           /* the source tree, for the timeout message */
  gboolean is_root;           /* euid 0: owners and device nodes are copied */
  const VssFsCopyOptions *options;
  dev_t root_dev;
} CopyCtx;

/* One side of a copy: an open descriptor (fd >= 0), or an entry that
 * cannot be opened (a symlink, a fifo), named in its open parent. */
typedef struct {
  int fd;
  int dirfd;
  const char *name;
  const char *path;           /* for messages only */
} Node;

static gboolean
check_deadline (const CopyCtx *ctx, GError **error)
{
  if (ctx->deadline_usec == 0 || g_get_monotonic_time () < ctx->deadline_usec)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s of %s stopped: its deadline passed",
               ctx->options->clone_only ? "clone" : "copy", ctx->root);
  return FALSE;
}

/* ---- data ---- */

/* pread then pwrite: the bytes read (all written), or -1 with errno. */
static gssize
copy_through_buffer (int sfd, off_t src_offset, int dfd, off_t dst_offset, gsize length)
{
  g_autofree char *buf = g_malloc (length);
  ssize_t n = pread (sfd, buf, length, src_offset);
  for (ssize_t done = 0; n > 0 && done < n;) {
    ssize_t w = pwrite (dfd, buf + done, (size_t) (n - done), dst_offset + done);
    if (w < 0 && errno != EINTR)
      return -1;
    done += MAX (w, 0);
  }
  return n;
}

/* copy_file_range lets the kernel skip the user-space bounce (and share
 * extents where the filesystem can); some filesystems and cross-device
 * pairs refuse it, then plain pread/pwrite does the same job. */
gssize
vss_fs_copy_range (int sfd, off_t src_offset, int dfd, off_t dst_offset, gsize length,
                   gboolean *use_cfr)
{
  for (;;) {
    ssize_t n;
    if (*use_cfr) {
      off_t in = src_offset, out = dst_offset;
      n = copy_file_range (sfd, &in, dfd, &out, length, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
                    errno == EOPNOTSUPP)) {
        *use_cfr = FALSE;
        continue;
      }
    } else {
      n = copy_through_buffer (sfd, src_offset, dfd, dst_offset, length);
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n;
  }
}

/* Copies [@offset, @offset + @length) at the same offsets. */
static gboolean
copy_range (int sfd, int dfd, off_t offset, off_t length, gboolean *use_cfr,
            const char *src, GError **error)
{
  off_t end = offset + length;
  while (offset < end) {
    size_t want = (size_t) MIN (end - offset, (off_t) vss_copy_pace_step (COPY_CHUNK));
    VssCopyPace pace;
    vss_copy_pace_begin (&pace);
    ssize_t n = vss_fs_copy_range (sfd, offset, dfd, offset, want, use_cfr);
    vss_copy_pace_end (&pace);
    if (n < 0)
      return vss_fs_errno_error (error, errno, "cannot copy data of", src);
    if (n == 0)
      break;   /* the source shrank while being copied */
    offset += n;
  }
  return TRUE;
}

/* What happens beside the data copy of a large file. */
typedef struct {
  VssHashBehind *hash;        /* told what is final; NULL for none */
  gboolean write_behind;
  off_t flushed;              /* written out before this offset */
} Behind;

/* Copies the data regions of @sfd, leaving holes as holes: the file is
 * extended to its size at the end with ftruncate, which does not allocate. */
static gboolean
copy_file_data (int sfd, int dfd, off_t size, const CopyCtx *ctx, Behind *behind,
                const char *src, const char *dst, GError **error)
{
  gboolean use_cfr = TRUE;
  off_t pos = 0;
  while (pos < size) {
    off_t data = lseek (sfd, pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO) {
      if (behind->hash != NULL)
        vss_hash_behind_publish_hole (behind->hash, pos, size);
      break;                       /* only a hole is left */
    }
    if (data < 0)
      data = pos;                  /* no SEEK_DATA here: treat all as data */
    if (behind->hash != NULL)
      vss_hash_behind_publish_hole (behind->hash, pos, data);
    off_t hole = lseek (sfd, data, SEEK_HOLE);
    if (hole < 0 || hole > size)
      hole = size;
    for (; data < hole; data += MIN (hole - data, (off_t) COPY_CHUNK)) {
      off_t len = MIN (hole - data, (off_t) COPY_CHUNK);
      if (!check_deadline (ctx, error) ||
          !copy_range (sfd, dfd, data, len, &use_cfr, src, error))
        return FALSE;
      if (behind->hash != NULL)
        vss_hash_behind_publish (behind->hash, data + len);
      if (behind->write_behind)
        vss_fs_write_behind (dfd, data, len, &behind->flushed);
    }
    pos = hole;
  }
  if (ftruncate (dfd, size) != 0)
    return vss_fs_errno_error (error, errno, "cannot set the size of", dst);
  return TRUE;
}

/* One FICLONE shares every extent: the cost is per file and per extent,
 * not per byte, and holes stay holes.  Never a byte copy instead. */
static gboolean
clone_data (int sfd, int dfd, const char *src, GError **error)
{
  if (ioctl (dfd, FICLONE, sfd) != 0)
    return vss_fs_errno_error (error, errno, "cannot clone", src);
  return TRUE;
}

/* ---- metadata, from node to node ---- */

/* The path the l*xattr calls take for an entry that cannot be opened. */
static char *
proc_path (const Node *n)
{
  return n->dirfd == AT_FDCWD ? g_strdup (n->name)
                              : g_strdup_printf ("/proc/self/fd/%d/%s", n->dirfd, n->name);
}

static ssize_t
node_listxattr (const Node *n, char *list, size_t size)
{
  if (n->fd >= 0)
    return flistxattr (n->fd, list, size);
  g_autofree char *p = proc_path (n);
  return llistxattr (p, list, size);
}

static ssize_t
node_getxattr (const Node *n, const char *name, void *value, size_t size)
{
  if (n->fd >= 0)
    return fgetxattr (n->fd, name, value, size);
  g_autofree char *p = proc_path (n);
  return lgetxattr (p, name, value, size);
}

static int
node_setxattr (const Node *n, const char *name, const void *value, size_t size)
{
  if (n->fd >= 0)
    return fsetxattr (n->fd, name, value, size, 0);
  g_autofree char *p = proc_path (n);
  return lsetxattr (p, name, value, size, 0);
}

static gboolean
copy_one_xattr (const Node *src, const Node *dst, const char *name, const CopyCtx *ctx,
                GError **error)
{
  ssize_t vlen = node_getxattr (src, name, NULL, 0);
  if (vlen < 0 && errno == ENODATA)
    return TRUE;   /* removed since the listing */
  if (vlen < 0)
    return vss_fs_errno_error (error, errno, "cannot read xattrs of", src->path);
  g_autofree char *value = g_malloc (vlen + 1);
  vlen = node_getxattr (src, name, value, vlen);
  if (vlen < 0)
    return vss_fs_errno_error (error, errno, "cannot read xattrs of", src->path);
  if (node_setxattr (dst, name, value, vlen) == 0)
    return TRUE;
  /* The target may not store xattrs at all, and a non-root copier may not
   * set trusted.* or security.* ones: the copy is still the best we can do. */
  if (errno == ENOTSUP || (errno == EPERM && !ctx->is_root)) {
    g_debug ("not copying xattr %s of %s: %s", name, src->path, g_strerror (errno));
    return TRUE;
  }
  g_autofree char *what = g_strdup_printf ("cannot set xattr %s on", name);
  return vss_fs_errno_error (error, errno, what, dst->path);
}

static gboolean
copy_xattrs (const Node *src, const Node *dst, const CopyCtx *ctx, GError **error)
{
  ssize_t len = node_listxattr (src, NULL, 0);
  if (len < 0)
    return errno == ENOTSUP || vss_fs_errno_error (error, errno, "cannot list xattrs of", src->path);
  if (len == 0)
    return TRUE;
  g_autofree char *names = g_malloc (len);
  len = node_listxattr (src, names, len);
  if (len < 0)
    return vss_fs_errno_error (error, errno, "cannot list xattrs of", src->path);
  for (char *name = names; name < names + len; name += strlen (name) + 1)
    if (!copy_one_xattr (src, dst, name, ctx, error))
      return FALSE;
  return TRUE;
}

/* Owner, mode and times, in that order: chown clears setuid/setgid bits,
 * and anything after the times would change them again. */
static gboolean
copy_metadata (const struct stat *st, const Node *src, const Node *dst, const CopyCtx *ctx,
               GError **error)
{
  if (!copy_xattrs (src, dst, ctx, error))
    return FALSE;
  int rc = dst->fd >= 0 ? fchown (dst->fd, st->st_uid, st->st_gid)
                        : fchownat (dst->dirfd, dst->name, st->st_uid, st->st_gid,
                                    AT_SYMLINK_NOFOLLOW);
  if (rc != 0 && !(errno == EPERM && !ctx->is_root))
    return vss_fs_errno_error (error, errno, "cannot set the owner of", dst->path);
  rc = S_ISLNK (st->st_mode) ? 0
       : dst->fd >= 0 ? fchmod (dst->fd, st->st_mode & 07777)
                      : fchmodat (dst->dirfd, dst->name, st->st_mode & 07777, 0);
  if (rc != 0)
    return vss_fs_errno_error (error, errno, "cannot set the mode of", dst->path);
  struct timespec times[2] = { st->st_atim, st->st_mtim };
  rc = dst->fd >= 0 ? futimens (dst->fd, times)
                    : utimensat (dst->dirfd, dst->name, times, AT_SYMLINK_NOFOLLOW);
  if (rc != 0)
    return vss_fs_errno_error (error, errno, "cannot set the times of", dst->path);
  return TRUE;
}

gboolean
vss_fs_copy_metadata (const struct stat *st, const char *src, const char *dst, GError **error)
{
  VssFsCopyOptions none = { 0 };
  CopyCtx ctx = { 0, src, geteuid () == 0, &none, 0 };
  Node s = { -1, AT_FDCWD, src, src }, d = { -1, AT_FDCWD, dst, dst };
  return copy_metadata (st, &s, &d, &ctx, error);
}

/* ---- the walk ---- */

/* Where one entry is copied from and to. */
typedef struct {
  int sdir;
  const char *sname;
  const char *src;            /* path, for messages */
  int ddir;
  const char *dname;
  const char *dst;
  gboolean is_top;            /* the tree's root: it vanishing is an error */
} Entry;

static gboolean
vanished (const Entry *e, int err)
{
  if (err != ENOENT || e->is_top)
    return FALSE;
  g_debug ("not copying %s: it vanished while the tree was copied", e->src);
  return TRUE;
}

static int
open_source (const Entry *e, int flags)
{
  return openat (e->sdir, e->sname, flags | O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
}

static gboolean
copy_regular (const Entry *e, const CopyCtx *ctx, GError **error)
{
  int sfd = open_source (e, O_NONBLOCK);
  if (sfd < 0)
    return vanished (e, errno) || vss_fs_errno_error (error, errno, "cannot open", e->src);
  struct stat st;
  if (fstat (sfd, &st) != 0) {
    int err = errno;
    close (sfd);
    return vss_fs_errno_error (error, err, "cannot stat", e->src);
  }
  if (!S_ISREG (st.st_mode)) {
    close (sfd);   /* replaced by something else since the listing */
    return TRUE;
  }
  /* Owner-only until the metadata is copied: the source's mode may be
   * stricter than the umask.  Readable too when hashed behind the copy. */
  gboolean large = !ctx->options->clone_only && st.st_size >= VSS_FS_LARGE_FILE;
  gboolean hashed = large && ctx->options->remember_digests;
  int dfd = openat (e->ddir, e->dname, (hashed ? O_RDWR : O_WRONLY) | O_CREAT | O_EXCL |
                    O_NOFOLLOW | O_CLOEXEC, 0600);
  if (dfd < 0) {
    int err = errno;
    close (sfd);
    return vss_fs_errno_error (error, err, "cannot create", e->dst);
  }
  Behind behind = { hashed ? vss_hash_behind_start (dfd) : NULL,
                    large && ctx->options->write_behind, 0 };
  gboolean ok = ctx->options->clone_only ? clone_data (sfd, dfd, e->src, error)
                                         : copy_file_data (sfd, dfd, st.st_size, ctx, &behind,
                                                           e->src, e->dst, error);
  if (ok && test_hook != NULL)
    test_hook (e->src);
  Node s = { sfd, e->sdir, e->sname, e->src }, d = { dfd, e->ddir, e->dname, e->dst };
  ok = ok && copy_metadata (&st, &s, &d, ctx, error);
  /* Recorded with the file's final ctime: after its metadata. */
  char digest[65];
  if (ok && behind.hash != NULL &&
      vss_hash_behind_finish (g_steal_pointer (&behind.hash), st.st_size, digest))
    vss_hash_digests_remember (dfd, digest);
  vss_hash_behind_cancel (behind.hash);
  close (sfd);
  if (close (dfd) != 0 && ok)
    ok = vss_fs_errno_error (error, errno, "cannot write", e->dst);
  return ok;
}

static gboolean
copy_symlink (const Entry *e, const struct stat *st, const CopyCtx *ctx, GError **error)
{
  /* st_size of a symlink is its target length, but procfs-like ones say 0. */
  gsize cap = st->st_size > 0 ? (gsize) st->st_size + 1 : PATH_MAX;
  g_autofree char *target = g_malloc (cap);
  ssize_t n = readlinkat (e->sdir, e->sname, target, cap);
  if (n < 0)
    return vanished (e, errno) || vss_fs_errno_error (error, errno, "cannot read link", e->src);
  if ((gsize) n >= cap) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "cannot read link %s: it changed while being copied", e->src);
    return FALSE;
  }
  target[n] = '\0';
  if (symlinkat (target, e->ddir, e->dname) != 0)
    return vss_fs_errno_error (error, errno, "cannot create symlink", e->dst);
  Node s = { -1, e->sdir, e->sname, e->src }, d = { -1, e->ddir, e->dname, e->dst };
  return copy_metadata (st, &s, &d, ctx, error);
}

static gboolean
copy_special (const Entry *e, const struct stat *st, const CopyCtx *ctx, GError **error)
{
  /* Fifos and sockets can be made by anyone, device nodes only by root. */
  if (mknodat (e->ddir, e->dname, st->st_mode & (S_IFMT | 0700), st->st_rdev) != 0) {
    if (errno == EPERM && !ctx->is_root) {
      g_warning ("not copying %s: creating device nodes needs root", e->src);
      return TRUE;
    }
    return vss_fs_errno_error (error, errno, "cannot create", e->dst);
  }
  Node s = { -1, e->sdir, e->sname, e->src }, d = { -1, e->ddir, e->dname, e->dst };
  return copy_metadata (st, &s, &d, ctx, error);
}

static gboolean copy_entry (const Entry *e, const CopyCtx *ctx, GError **error);

/* With stay_on_device, a directory of another device (a btrfs subvolume
 * is not a mount root) shows up empty, as does the directory to skip. */
static gboolean
left_out (const CopyCtx *ctx, const struct stat *st)
{
  const VssFsCopyOptions *o = ctx->options;
  return (o->stay_on_device && st->st_dev != ctx->root_dev) ||
         (o->skip_ino != 0 && st->st_dev == o->skip_dev && st->st_ino == o->skip_ino);
}

static gboolean
copy_children (int sfd, int dfd, const struct stat *st, const Entry *e, const CopyCtx *ctx,
               GError **error)
{
  /* Like a volume snapshot, the copy stays on the filesystems of its tree:
   * a filesystem mounted below it (a /proc, a USB disk) shows up as an
   * empty directory. */
  if (!e->is_top && vss_fs_is_mount_root (e->sdir, e->sname)) {
    g_debug ("not copying the filesystem mounted on %s", e->src);
    return TRUE;
  }
  if (left_out (ctx, st)) {
    g_debug ("not copying %s: another filesystem, or the image store", e->src);
    return TRUE;
  }
  g_autoptr(GPtrArray) names = vss_fs_list_dir (sfd, e->src, error);
  if (names == NULL)
    return FALSE;
  for (guint i = 0; i < names->len; i++) {
    const char *name = g_ptr_array_index (names, i);
    g_autofree char *child_src = g_build_filename (e->src, name, NULL);
    g_autofree char *child_dst = g_build_filename (e->dst, name, NULL);
    Entry child = { sfd, name, child_src, dfd, name, child_dst, FALSE };
    if (!copy_entry (&child, ctx, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
copy_dir (const Entry *e, const CopyCtx *ctx, GError **error)
{
  int sfd = open_source (e, O_DIRECTORY);
  if (sfd < 0)
    return vanished (e, errno) || vss_fs_errno_error (error, errno, "cannot open directory", e->src);
  struct stat st;
  int dfd = -1;
  gboolean ok = fstat (sfd, &st) == 0 || vss_fs_errno_error (error, errno, "cannot stat", e->src);
  /* Writable by us until its contents are in; the real mode comes last. */
  if (ok && mkdirat (e->ddir, e->dname, 0700) != 0)
    ok = vss_fs_errno_error (error, errno, "cannot create directory", e->dst);
  if (ok && (dfd = openat (e->ddir, e->dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    ok = vss_fs_errno_error (error, errno, "cannot open directory", e->dst);
  ok = ok && copy_children (sfd, dfd, &st, e, ctx, error);
  /* Times after the contents: creating entries changes a directory's mtime. */
  Node s = { sfd, e->sdir, e->sname, e->src }, d = { dfd, e->ddir, e->dname, e->dst };
  ok = ok && copy_metadata (&st, &s, &d, ctx, error);
  close (sfd);
  if (dfd >= 0)
    close (dfd);
  return ok;
}

static gboolean
copy_entry (const Entry *e, const CopyCtx *ctx, GError **error)
{
  if (!check_deadline (ctx, error))
    return FALSE;
  struct stat st;
  if (fstatat (e->sdir, e->sname, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return vanished (e, errno) || vss_fs_errno_error (error, errno, "cannot stat", e->src);
  switch (st.st_mode & S_IFMT) {
  case S_IFREG:
    return copy_regular (e, ctx, error);
  case S_IFDIR:
    return copy_dir (e, ctx, error);
  case S_IFLNK:
    return copy_symlink (e, &st, ctx, error);
  default:
    return copy_special (e, &st, ctx, error);
  }
}

gboolean
vss_fs_copy_tree (const char *src, const char *dst, gint64 deadline_usec, GError **error)
{
  VssFsCopyOptions options = { .deadline_usec = deadline_usec };
  return vss_fs_copy_tree_full (src, dst, &options, error);
}

gboolean
vss_fs_copy_tree_full (const char *src, const char *dst, const VssFsCopyOptions *options,
                       GError **error)
{
  g_return_val_if_fail (src != NULL && dst != NULL && options != NULL, FALSE);
  const char *verb = options->clone_only ? "clone" : "copy";
  struct stat st;
  if (lstat (dst, &st) == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                 "cannot %s %s to %s: the target already exists", verb, src, dst);
    return FALSE;
  }
  if (errno != ENOENT)
    return vss_fs_errno_error (error, errno, "cannot stat", dst);
  if (lstat (src, &st) != 0)
    return vss_fs_errno_error (error, errno, "cannot stat", src);

  CopyCtx ctx = { options->deadline_usec, src, geteuid () == 0, options, st.st_dev };
  Entry top = { AT_FDCWD, src, src, AT_FDCWD, dst, dst, TRUE };
  GError *local = NULL;
  if (copy_entry (&top, &ctx, &local))
    return TRUE;
  /* @dst did not exist before, so whatever is there now is ours. */
  g_autoptr(GError) cleanup_error = NULL;
  if (!vss_fs_remove_tree (dst, &cleanup_error))
    g_warning ("cannot remove the partial %s: %s", verb, cleanup_error->message);
  g_propagate_error (error, local);
  return FALSE;
}
