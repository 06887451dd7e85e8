/* vss-set-add-files.c — one file set of a component into the backup set.
 * The walk is openat()-based and never follows a symlink nor leaves the
 * filesystem of @snapshot_root (a snapshot has no mounts inside; a live
 * tree's nested mounts are not the component's data).  A failed call takes
 * back every entry it added, so the set stays consistent and the caller
 * may go on with other components; running out of space abandons the set.
 * The walk runs at the copies' priority (util/vss-copy-priority.h). */
#include "vss-set-writer-private.h"

#include "util/vss-copy-priority.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  VssBackupSetWriter *w;
  guint component;
  const char *component_name;
  const char *filespec;
  gboolean recursive;
  gsize root_len;               /* of the original root: the rest is the path in the tree */
  VssBackupSet *base;
  dev_t dev;
  VssBackupSetProgress progress;
  gpointer user_data;
} AddCtx;

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in @dirfd, sorted so that sets are reproducible. */
static GPtrArray *
list_dir (int dirfd, const char *path, GError **error)
{
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  if (dir == NULL) {
    vss_set_errno_error (error, errno, "cannot read directory", path);
    if (fd >= 0)
      close (fd);
    return NULL;
  }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  struct dirent *d;
  while ((errno = 0, d = readdir (dir)) != NULL) {
    if (strcmp (d->d_name, ".") != 0 && strcmp (d->d_name, "..") != 0)
      g_ptr_array_add (names, g_strdup (d->d_name));
  }
  int err = errno;
  closedir (dir);
  if (err != 0) {
    g_ptr_array_unref (names);
    vss_set_errno_error (error, err, "cannot read directory", path);
    return NULL;
  }
  g_ptr_array_sort (names, compare_names);
  return names;
}

static VssSetEntry *
entry_from_stat (const AddCtx *ctx, const char *original, VssSetEntryType type,
                 const struct stat *st)
{
  VssSetEntry *e = vss_set_entry_new (ctx->component, original, type);
  e->mode = st->st_mode & 07777;
  e->uid = st->st_uid;
  e->gid = st->st_gid;
  e->mtime_nsec = (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_mtim.tv_nsec;
  e->atime_nsec = (gint64) st->st_atim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_atim.tv_nsec;
  e->has_atime = TRUE;
  return e;
}

static void
record (const AddCtx *ctx, VssSetEntry *e)
{
  vss_set_writer_record_entry (ctx->w, e);
}

static gboolean
seen (const AddCtx *ctx, const char *original)
{
  return vss_set_writer_has_entry (ctx->w, ctx->component, original);
}

/* The data are in @base unchanged when type, size, mtime, mode and owner
 * match: then the entry points at the set that holds them. */
static gboolean
take_from_base (const AddCtx *ctx, VssSetEntry *e)
{
  if (ctx->base == NULL)
    return FALSE;
  g_autoptr(VssSetEntry) b = vss_backup_set_lookup (ctx->base, ctx->component_name, e->path);
  if (b == NULL || b->type != VSS_SET_ENTRY_FILE || b->hardlink != NULL || b->size != e->size ||
      b->mtime_nsec != e->mtime_nsec || b->mode != e->mode || b->uid != e->uid ||
      b->gid != e->gid)
    return FALSE;
  e->in_base = g_strdup (b->in_base != NULL ? b->in_base : ctx->base->manifest->set_id);
  memcpy (e->sha256, b->sha256, sizeof e->sha256);
  e->sha256_tree = b->sha256_tree;   /* a base before version 5: its SHA-256 */
  return TRUE;
}

static gboolean
copy_error (const AddCtx *ctx, int err, gboolean dst_side, const char *src, const char *stored,
            GError **error)
{
  g_autofree char *dst = g_build_filename (ctx->w->partial, stored, NULL);
  if (dst_side && vss_set_errno_is_full (err))
    return vss_set_writer_out_of_space (ctx->w, err, dst, error);
  unlinkat (ctx->w->partial_fd, stored, 0);
  return vss_set_errno_error (error, err, dst_side ? "cannot write" : "cannot read",
                              dst_side ? dst : src);
}

/* Copies the open source @sfd into files/<component>/<original path>. */
static gboolean
store_data (const AddCtx *ctx, VssSetEntry *e, int sfd, const char *src, GError **error)
{
  e->stored = g_strdup_printf (VSS_SET_FILES "/%u%s", ctx->component, e->path);
  if (!vss_set_writer_make_parents (ctx->w, e->stored, error))
    return FALSE;
  /* Readable too: a large file is hashed from its copy (vss-set-copy.c). */
  int dfd = openat (ctx->w->partial_fd, e->stored,
                    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (dfd < 0)
    return copy_error (ctx, errno, TRUE, src, e->stored, error);
  VssSetCopyResult r = { "" };
  gboolean ok = vss_set_copier_run (ctx->w->copier, sfd, dfd, e->size, TRUE, &r);
  if (close (dfd) != 0 && ok) {
    ok = FALSE;
    r.err = errno;
    r.dst_side = TRUE;
  }
  if (!ok)
    return copy_error (ctx, r.err, r.dst_side, src, e->stored, error);
  memcpy (e->sha256, r.sha256, sizeof e->sha256);
  e->sha256_tree = r.sha256_tree;
  e->size = r.copied;
  ctx->w->bytes += r.copied;
  return TRUE;
}

static char *
inode_key (const AddCtx *ctx, const struct stat *st)
{
  return g_strdup_printf ("%u\n%ju:%ju", ctx->component, (uintmax_t) st->st_dev,
                          (uintmax_t) st->st_ino);
}

/* A file with more links whose inode an earlier entry of the component
 * already holds becomes a link to that entry: same data, no copy. */
static gboolean
link_to_earlier (const AddCtx *ctx, VssSetEntry *e, const struct stat *st)
{
  if (st->st_nlink < 2)
    return FALSE;
  g_autofree char *key = inode_key (ctx, st);
  const VssSetWriterInode *first = g_hash_table_lookup (ctx->w->inodes, key);
  if (first == NULL)
    return FALSE;
  e->hardlink = g_strdup (first->path);
  e->size = first->size;
  memcpy (e->sha256, first->sha256, sizeof e->sha256);
  e->sha256_tree = first->sha256_tree;
  return TRUE;
}

static void
remember_inode (const AddCtx *ctx, const struct stat *st, const VssSetEntry *e)
{
  if (st->st_nlink < 2)
    return;
  VssSetWriterInode *first = g_new0 (VssSetWriterInode, 1);
  first->path = g_strdup (e->path);
  first->size = e->size;
  memcpy (first->sha256, e->sha256, sizeof first->sha256);
  first->sha256_tree = e->sha256_tree;
  first->entry = ctx->w->n_entries;
  g_hash_table_insert (ctx->w->inodes, inode_key (ctx, st), first);
}

static int
open_source (int dirfd, const char *name)
{
  /* O_NOATIME keeps the backup from touching what it reads, but only the
   * owner (or root) may ask for it. */
  int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  int fd = openat (dirfd, name, flags | O_NOATIME);
  if (fd < 0 && errno == EPERM)
    fd = openat (dirfd, name, flags);
  return fd;
}

/* Progress within the file being copied. */
typedef struct {
  const AddCtx *ctx;
  const char *original;
} AddTick;

static void
add_tick (guint64 file_done, gpointer user_data)
{
  const AddTick *t = user_data;
  t->ctx->progress (t->ctx->w->bytes + file_done, 0, t->original, t->ctx->user_data);
}

static gboolean
add_file (const AddCtx *ctx, int dirfd, const char *name, const char *src,
          const char *original, GError **error)
{
  int sfd = open_source (dirfd, name);
  struct stat st;
  if (sfd < 0 && errno == ENOENT)
    return TRUE;   /* a live tree (crash consistency): gone since the listing */
  if (sfd < 0 || fstat (sfd, &st) != 0) {
    int err = errno;
    if (sfd >= 0)
      close (sfd);
    return vss_set_errno_error (error, err, "cannot open", src);
  }
  if (!S_ISREG (st.st_mode)) {
    close (sfd);   /* replaced by something else since the listing */
    return TRUE;
  }
  VssSetEntry *e = entry_from_stat (ctx, original, VSS_SET_ENTRY_FILE, &st);
  e->size = (guint64) st.st_size;
  gboolean ok = vss_set_read_xattrs (sfd, src, &e->xattrs, error);
  gboolean linked = ok && link_to_earlier (ctx, e, &st);
  AddTick tick = { ctx, original };
  vss_set_copier_set_tick (ctx->w->copier, ctx->progress != NULL ? add_tick : NULL, &tick);
  gboolean moved = FALSE;
  if (ok && !linked && !take_from_base (ctx, e))
    ok = vss_set_writer_try_move (ctx->w, e, dirfd, name, sfd, &st, &moved, error) &&
         (moved || store_data (ctx, e, sfd, src, error));
  vss_set_copier_set_tick (ctx->w->copier, NULL, NULL);
  close (sfd);
  if (!ok) {
    vss_set_entry_free (e);
    return FALSE;
  }
  if (!linked)
    remember_inode (ctx, &st, e);
  record (ctx, e);
  if (ctx->progress != NULL)
    ctx->progress (ctx->w->bytes, 0, original, ctx->user_data);
  return TRUE;
}

static gboolean
add_symlink (const AddCtx *ctx, int dirfd, const char *name, const struct stat *st,
             const char *src, const char *original, GError **error)
{
  char target[4096];
  ssize_t n = readlinkat (dirfd, name, target, sizeof target);
  if (n < 0 && errno == ENOENT)
    return TRUE;   /* gone since the listing */
  if (n < 0 || n >= (ssize_t) sizeof target)
    return vss_set_errno_error (error, n < 0 ? errno : ENAMETOOLONG, "cannot read link", src);
  target[n] = '\0';
  VssSetEntry *e = entry_from_stat (ctx, original, VSS_SET_ENTRY_SYMLINK, st);
  e->target = g_strdup (target);
  record (ctx, e);
  return TRUE;
}

static gboolean walk_dir (const AddCtx *ctx, int dirfd, const char *src, const char *original,
                          GError **error);

static gboolean
add_dir (const AddCtx *ctx, int parentfd, const char *name, const char *src,
         const char *original, GError **error)
{
  int fd = openat (parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 && errno == ENOENT && strlen (original) > ctx->root_len)
    return TRUE;   /* a subdirectory gone since the listing (the root must exist) */
  if (fd < 0 || fstat (fd, &st) != 0) {
    int err = errno;
    if (fd >= 0)
      close (fd);
    return vss_set_errno_error (error, err, "cannot open directory", src);
  }
  gboolean ok = TRUE;
  if (st.st_dev != ctx->dev) {
    g_debug ("not backing up the filesystem mounted on %s", src);
  } else {
    VssSetEntry *e = entry_from_stat (ctx, original, VSS_SET_ENTRY_DIR, &st);
    ok = vss_set_read_xattrs (fd, src, &e->xattrs, error);
    if (ok)
      record (ctx, e);
    else
      vss_set_entry_free (e);
    ok = ok && walk_dir (ctx, fd, src, original, error);
  }
  close (fd);
  return ok;
}

/* --exclude: a pattern with "/" matches the path below the tree's root,
 * one without matches a name at any depth; a directory that matches is
 * left out with all it holds. */
static gboolean
excluded (const AddCtx *ctx, const char *name, const char *original)
{
  const char *rel = original + ctx->root_len + (original[ctx->root_len] == '/');
  for (char **p = ctx->w->excludes; p != NULL && *p != NULL; p++)
    if (fnmatch (*p, strchr (*p, '/') != NULL ? rel : name, FNM_PATHNAME | FNM_PERIOD) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
add_child (const AddCtx *ctx, int dirfd, const char *name, const char *src,
           const char *original, GError **error)
{
  struct stat st;
  if (excluded (ctx, name, original) || vss_set_writer_is_excluded_file (ctx->w, original))
    return TRUE;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT || vss_set_errno_error (error, errno, "cannot stat", src);
  if (S_ISDIR (st.st_mode))
    return !ctx->recursive || add_dir (ctx, dirfd, name, src, original, error);
  if (fnmatch (ctx->filespec, name, 0) != 0 || seen (ctx, original))
    return TRUE;
  if (S_ISREG (st.st_mode))
    return add_file (ctx, dirfd, name, src, original, error);
  if (S_ISLNK (st.st_mode))
    return add_symlink (ctx, dirfd, name, &st, src, original, error);
  g_info ("not backing up %s: only files, directories and symlinks are kept", src);
  return TRUE;
}

static gboolean
walk_dir (const AddCtx *ctx, int dirfd, const char *src, const char *original, GError **error)
{
  g_autoptr(GPtrArray) names = list_dir (dirfd, src, error);
  if (names == NULL)
    return FALSE;
  for (guint i = 0; i < names->len; i++) {
    const char *name = g_ptr_array_index (names, i);
    g_autofree char *child_src = g_build_filename (src, name, NULL);
    g_autofree char *child_orig = g_build_filename (original, name, NULL);
    if (!add_child (ctx, dirfd, name, child_src, child_orig, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
inode_at_or_after (gpointer key, gpointer value, gpointer first)
{
  (void) key;
  return ((const VssSetWriterInode *) value)->entry >= GPOINTER_TO_UINT (first);
}

/* Takes back the entries from @mark on, their stored data, the inodes
 * they introduced, and the component when this call added it. */
static void
roll_back (VssBackupSetWriter *w, VssSetWriterMark mark, gboolean new_component)
{
  vss_set_writer_roll_back_to (w, mark);
  g_hash_table_foreach_remove (w->inodes, inode_at_or_after, GUINT_TO_POINTER (mark.entries));
  if (new_component)
    g_ptr_array_set_size (w->manifest->components, w->manifest->components->len - 1);
}

static gboolean
check_add_args (VssBackupSetWriter *self, const char *component, const char *snapshot_root,
                const char *original_root, const char *filespec, VssBackupSet *base,
                GError **error)
{
  const VssManifest *m = self->manifest;
  const char *problem = NULL;
  if (component == NULL || *component == '\0')
    problem = "no component name";
  else if (snapshot_root == NULL || snapshot_root[0] != '/')
    problem = "the snapshot root must be an absolute path";
  else if (vss_set_check_absolute (original_root) != NULL)
    problem = "the original root must be an absolute path without \".\", \"..\" or \"//\"";
  else if (filespec == NULL || *filespec == '\0' || strchr (filespec, '/') != NULL)
    problem = "the filespec must be a non-empty glob without \"/\"";
  else if (m->base_id != NULL && m->backup_type != VSS_BT_LOG && base == NULL)
    problem = "an incremental or differential set needs its base set";
  else if (base != NULL && g_strcmp0 (base->manifest->set_id, m->base_id) != 0)
    problem = "the base set given is not the one this set was started with";
  else if (base != NULL && m->base_manifest_sha256 != NULL &&
           strcmp (base->manifest_sha256, m->base_manifest_sha256) != 0)
    problem = "the base set given has the base's id but another manifest than the one given before";
  if (problem == NULL)
    return vss_set_writer_check_usable (self, error);
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "cannot add %s to the backup set: %s",
               component != NULL ? component : "(null)", problem);
  return FALSE;
}

static gboolean
add_root (AddCtx *ctx, const char *snapshot_root, const char *original_root,
          GError **error)
{
  g_autofree char *parent = g_path_get_dirname (snapshot_root);
  g_autofree char *name = g_path_get_basename (snapshot_root);
  int pfd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0)
    return vss_set_errno_error (error, errno, "cannot open directory", parent);
  struct stat st;
  gboolean ok = TRUE;
  if (fstatat (pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR (st.st_mode)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s is not a directory: a file set's path must be one", snapshot_root);
    ok = FALSE;
  }
  ctx->dev = st.st_dev;
  ok = ok && add_dir (ctx, pfd, name, snapshot_root, original_root, error);
  close (pfd);
  return ok;
}

gboolean
vss_backup_set_writer_add_files (VssBackupSetWriter *self, const char *component,
                                 const char *snapshot_root, const char *original_root,
                                 const char *filespec, gboolean recursive,
                                 VssBackupSet *base, VssBackupSetProgress progress,
                                 gpointer user_data, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_add_args (self, component, snapshot_root, original_root, filespec, base, error))
    return FALSE;
  VssManifest *m = self->manifest;
  /* Recorded so that a set put in the base's place later is not taken
   * for it (vss_backup_set_check_chain). */
  if (base != NULL && m->base_manifest_sha256 == NULL)
    m->base_manifest_sha256 = g_strdup (base->manifest_sha256);
  guint ncomponents = m->components->len;
  AddCtx ctx = { self, vss_manifest_component_index (m, component), component, filespec,
                 recursive, strlen (original_root), base, 0, progress, user_data };
  VssSetWriterMark first = vss_set_writer_mark (self);
  vss_set_writer_begin_tree (self, ctx.component, original_root);
  /* The copy into the set holds nobody: it yields to the applications. */
  VssCopyPrioritySaved saved;
  vss_copy_priority_enter (&saved);
  gboolean added = add_root (&ctx, snapshot_root, original_root, error);
  vss_copy_priority_leave (&saved);
  if (added && vss_set_writer_check_entries (self, error)) {
    vss_set_writer_add_root (self, ctx.component, original_root);
    return TRUE;
  }
  roll_back (self, first, m->components->len > ncomponents);
  return FALSE;
}

void
vss_backup_set_writer_set_excludes (VssBackupSetWriter *self, const char *const *patterns)
{
  g_return_if_fail (self != NULL);
  g_strfreev (self->excludes);
  self->excludes = g_strdupv ((char **) patterns);
}

gboolean
vss_backup_set_writer_add_file (VssBackupSetWriter *self, const char *component,
                                const char *source, const char *original, VssBackupSet *base,
                                GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!check_add_args (self, component, source, original, "*", base, error))
    return FALSE;
  struct stat st;
  gboolean found = lstat (source, &st) == 0;
  if (!found || !S_ISREG (st.st_mode)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "cannot add %s to %s: %s",
                 source, component, found ? "not a regular file" : g_strerror (errno));
    return FALSE;
  }
  VssManifest *m = self->manifest;
  guint ncomponents = m->components->len;
  AddCtx ctx = { self, vss_manifest_component_index (m, component), component, "*", FALSE,
                 strlen (original), base, 0, NULL, NULL };
  VssSetWriterMark first = vss_set_writer_mark (self);
  vss_set_writer_begin_tree (self, ctx.component, original);
  g_autofree char *parent = g_path_get_dirname (source);
  g_autofree char *name = g_path_get_basename (source);
  int pfd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0)
    return vss_set_errno_error (error, errno, "cannot open directory", parent);
  gboolean ok = add_file (&ctx, pfd, name, source, original, error) &&
                vss_set_writer_check_entries (self, error);
  close (pfd);
  if (ok)
    vss_set_writer_add_root (self, ctx.component, original);
  else
    roll_back (self, first, m->components->len > ncomponents);
  return ok;
}
