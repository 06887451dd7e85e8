/* vss-clone-tree.c — the reflink provider's tree walk (see
 * vss-clone-tree.h).  The structure follows vss_fs_copy_tree; only the
 * file data differs: one FICLONE per file shares every extent, so the
 * cost is per file and per extent, not per byte, and holes stay holes. */
#include "vss-clone-tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vss-fs.h"

typedef struct {
  const char *root;
  dev_t root_dev;
  dev_t skip_dev;
  ino_t skip_ino;
  gint64 deadline_usec;
} CloneCtx;

static gboolean
errno_error (GError **error, int saved, const char *what, const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s %s: %s", what, path,
               g_strerror (saved));
  return FALSE;
}

static gboolean
check_deadline (const CloneCtx *ctx, GError **error)
{
  if (ctx->deadline_usec == 0 || g_get_monotonic_time () < ctx->deadline_usec)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "clone of %s stopped: its deadline passed",
               ctx->root);
  return FALSE;
}

static gboolean
clone_regular (const struct stat *st, const char *src, const char *dst, GError **error)
{
  int sfd = open (src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (sfd < 0)
    return errno_error (error, errno, "cannot open", src);
  /* Owner-only until the metadata is set: the source may be stricter. */
  int dfd = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (dfd < 0) {
    int saved = errno;
    close (sfd);
    return errno_error (error, saved, "cannot create", dst);
  }
  int rc = ioctl (dfd, FICLONE, sfd);
  int saved = errno;
  close (sfd);
  if (close (dfd) != 0 && rc == 0) {
    rc = -1;
    saved = errno;
  }
  if (rc != 0)
    return errno_error (error, saved, "cannot clone", src);
  return vss_fs_copy_metadata (st, src, dst, error);
}

static gboolean
clone_symlink (const struct stat *st, const char *src, const char *dst, GError **error)
{
  char target[PATH_MAX + 1];
  ssize_t n = readlink (src, target, sizeof target);
  if (n < 0)
    return errno_error (error, errno, "cannot read link", src);
  if (n >= (ssize_t) sizeof target)
    return errno_error (error, ENAMETOOLONG, "cannot read link", src);
  target[n] = '\0';
  if (symlink (target, dst) != 0)
    return errno_error (error, errno, "cannot create symlink", dst);
  return vss_fs_copy_metadata (st, src, dst, error);
}

static gboolean
clone_special (const struct stat *st, const char *src, const char *dst, GError **error)
{
  if (mknod (dst, st->st_mode & (S_IFMT | 0700), st->st_rdev) != 0) {
    if (errno == EPERM && geteuid () != 0) {
      g_warning ("not cloning %s: creating device nodes needs root", src);
      return TRUE;
    }
    return errno_error (error, errno, "cannot create", dst);
  }
  return vss_fs_copy_metadata (st, src, dst, error);
}

static gboolean clone_node (const char *src, const char *dst, const CloneCtx *ctx, GError **error);

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Sorted entry names (reproducible images and errors), read before acting
 * on them: creating entries while readdir runs gives unspecified results. */
static GPtrArray *
list_names (const char *path, GError **error)
{
  DIR *dir = opendir (path);
  if (dir == NULL) {
    errno_error (error, errno, "cannot open directory", path);
    return NULL;
  }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  struct dirent *entry;
  while ((entry = readdir (dir)) != NULL) {
    if (strcmp (entry->d_name, ".") != 0 && strcmp (entry->d_name, "..") != 0)
      g_ptr_array_add (names, g_strdup (entry->d_name));
  }
  closedir (dir);
  g_ptr_array_sort (names, compare_names);
  return names;
}

static gboolean
clone_dir (const struct stat *st, const char *src, const char *dst, const CloneCtx *ctx,
           GError **error)
{
  /* Like a volume snapshot the image stays on its filesystem (a nested
   * mount or btrfs subvolume shows up empty) and leaves out the images. */
  gboolean skip = st->st_dev != ctx->root_dev ||
                  (st->st_dev == ctx->skip_dev && st->st_ino == ctx->skip_ino);
  g_autoptr(GPtrArray) names = skip ? g_ptr_array_new () : list_names (src, error);
  if (names == NULL)
    return FALSE;
  if (mkdir (dst, 0700) != 0)
    return errno_error (error, errno, "cannot create directory", dst);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *child_src = g_build_filename (src, g_ptr_array_index (names, i), NULL);
    g_autofree char *child_dst = g_build_filename (dst, g_ptr_array_index (names, i), NULL);
    if (!clone_node (child_src, child_dst, ctx, error))
      return FALSE;
  }
  return vss_fs_copy_metadata (st, src, dst, error);
}

static gboolean
clone_node (const char *src, const char *dst, const CloneCtx *ctx, GError **error)
{
  if (!check_deadline (ctx, error))
    return FALSE;
  struct stat st;
  if (lstat (src, &st) != 0)
    return errno_error (error, errno, "cannot stat", src);
  switch (st.st_mode & S_IFMT) {
  case S_IFREG:
    return clone_regular (&st, src, dst, error);
  case S_IFDIR:
    return clone_dir (&st, src, dst, ctx, error);
  case S_IFLNK:
    return clone_symlink (&st, src, dst, error);
  default:
    return clone_special (&st, src, dst, error);
  }
}

gboolean
vss_clone_tree (const char *src, const char *dst, dev_t skip_dev, ino_t skip_ino,
                gint64 deadline_usec, GError **error)
{
  g_return_val_if_fail (src != NULL && dst != NULL, FALSE);
  struct stat st;
  if (lstat (dst, &st) == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                 "cannot clone %s to %s: the target already exists", src, dst);
    return FALSE;
  }
  if (lstat (src, &st) != 0)
    return errno_error (error, errno, "cannot stat", src);
  CloneCtx ctx = { src, st.st_dev, skip_dev, skip_ino, deadline_usec };
  GError *local = NULL;
  if (clone_node (src, dst, &ctx, &local))
    return TRUE;
  g_autoptr(GError) cleanup_error = NULL;
  if (!vss_fs_remove_tree (dst, &cleanup_error))
    g_warning ("cannot remove the partial clone: %s", cleanup_error->message);
  g_propagate_error (error, local);
  return FALSE;
}
