/* vss-backup-set-restore.c — putting a component back, once its plan
 * (vss-set-restore-plan.c) has checked every target and every file's data.
 * Every write goes through directory fds opened part by part with
 * O_NOFOLLOW, so a symlink that appears during the restore is refused
 * instead of followed.  A file is written beside its target under a
 * hidden temp name, checked again against its SHA-256, given its owner,
 * mode, xattrs and times, fsynced and renamed over the target: the
 * target is either the old file or the new one, never half of either.
 * Directories get their metadata last, deepest first, since creating
 * entries in them changes their times and a 0500 mode would stop us. */
#include "vss-set-restore-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

typedef struct {
  const char *rel;
  VssSetEntry *entry;
} MadeParent;

typedef struct {
  VssRestorePlan *plan;
  const VssBackupSet *set;
  VssSetCopier *copier;
  VssRestoreExisting existing;
  int rootfd;
  gboolean is_root;
  GArray *made_dirs;       /* MadeParent: directories we restored, their metadata set last */
  GArray *made_parents;    /* MadeParent: directories above entries we created, known to
                            * the set (rel owned by the array's clear function) */
  guint restored;
  guint64 done;
} Apply;

static gboolean
write_error (GError **error, int err, const char *what, const Apply *a, const char *rel)
{
  g_autofree char *path = g_build_filename (a->plan->root, rel, NULL);
  if (err == ELOOP || err == ENOTDIR) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "%s %s: a symlink or file appeared on its way during the restore", what, path);
    return FALSE;
  }
  g_set_error (error, VSS_ERROR,
               err == ENOSPC || err == EDQUOT ? VSS_ERROR_INSUFFICIENT_STORAGE : VSS_ERROR_UNEXPECTED,
               "%s %s: %s", what, path, g_strerror (err));
  return FALSE;
}

/* A directory open_dir has just made, above @item: the metadata of the
 * original it stands for, set at the end (a 0500 mode would stop us), or
 * 0755 now. */
static int
made_parent (Apply *a, int fd, const char *name, char **parts, guint i, const VssRestoreItem *item)
{
  g_autofree char *rel = NULL;
  char *saved = parts[i + 1];
  parts[i + 1] = NULL;
  rel = g_strjoinv ("/", parts);
  parts[i + 1] = saved;
  VssSetEntry *known = vss_restore_parent_entry (a->set, rel, item);
  if (known != NULL) {
    MadeParent p = { g_steal_pointer (&rel), known };
    g_array_append_val (a->made_parents, p);
    return 0;
  }
  return fchmodat (fd, name, 0755, 0) == 0 ? 0 : errno;
}

/* Opens (creating what is missing: made_parent) the directory @rel below
 * the root, part by part, never through a symlink.  @item: the entry
 * whose parent it is, or NULL. */
static int
open_dir (Apply *a, const char *rel, const VssRestoreItem *item)
{
  g_auto(GStrv) parts = g_strsplit (rel, "/", -1);
  int fd = dup (a->rootfd);
  for (guint i = 0; fd >= 0 && parts[i] != NULL && parts[i][0] != '\0'; i++) {
    int err = mkdirat (fd, parts[i], 0700) == 0 ? made_parent (a, fd, parts[i], parts, i, item)
              : errno == EEXIST                 ? 0
                                                : errno;
    if (err != 0) {
      close (fd);
      errno = err;
      return -1;
    }
    int next = openat (fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close (fd);
    errno = saved;
    fd = next;
  }
  return fd;
}

/* Owner, mode, xattrs, times — in that order: chown clears setuid bits and
 * security.capability, and anything after the times would change them. */
static int
set_metadata (const Apply *a, int fd, const VssSetEntry *e)
{
  if (fchown (fd, e->uid, e->gid) != 0 && (a->is_root || errno != EPERM))
    return errno;
  if (fchmod (fd, e->mode) != 0)
    return errno;
  for (guint i = 0; e->xattrs != NULL && i < e->xattrs->len; i++) {
    VssSetXattr *x = g_ptr_array_index (e->xattrs, i);
    gsize len = 0;
    const void *value = g_bytes_get_data (x->value, &len);
    /* An unprivileged restore cannot set trusted.* or security.*, nor any
     * xattr where the filesystem has none: the rest is still restored. */
    if (fsetxattr (fd, x->name, value, len, 0) != 0 &&
        !(errno == ENOTSUP || (errno == EPERM && !a->is_root)))
      return errno;
  }
  const gint64 ns = G_GINT64_CONSTANT (1000000000);
  gint64 atime = e->has_atime ? e->atime_nsec : e->mtime_nsec;
  struct timespec times[2] = {
    { (time_t) (atime / ns), (long) (atime % ns) },
    { (time_t) (e->mtime_nsec / ns), (long) (e->mtime_nsec % ns) },
  };
  for (int i = 0; i < 2; i++) {
    if (times[i].tv_nsec < 0) {
      times[i].tv_sec--;
      times[i].tv_nsec += ns;
    }
  }
  return futimens (fd, times) != 0 ? errno : 0;
}

static gboolean
exists_at (int dirfd, const char *name)
{
  struct stat st;
  return fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Copies the data into the open temp file @dfd, checking them again
 * (the set may have changed since the plan read it). */
static int
fill_temp (Apply *a, const VssRestoreItem *item, int dfd, gboolean *mismatch)
{
  const VssSetEntry *e = item->entry;
  int sfd = vss_set_open_beneath (item->source->dirfd, item->stored, O_RDONLY | O_NONBLOCK);
  if (sfd < 0) {
    *mismatch = TRUE;
    return 0;
  }
  /* The plan checked the size; the set may have changed since. */
  struct stat st;
  if (fstat (sfd, &st) != 0 || !S_ISREG (st.st_mode) || (guint64) st.st_size != e->size) {
    close (sfd);
    *mismatch = TRUE;
    return 0;
  }
  VssSetCopyResult r = { "" };
  gboolean ok = vss_set_copier_run (a->copier, sfd, dfd, e->size, e->sha256_tree, &r);
  close (sfd);
  if (!ok)
    return r.err != 0 ? r.err : EIO;
  *mismatch = r.copied != e->size || strcmp (r.sha256, e->sha256) != 0;
  if (*mismatch)
    return 0;
  int err = set_metadata (a, dfd, e);
  if (err != 0)
    return err;
  return fsync (dfd) != 0 ? errno : 0;
}

static gboolean
restore_file (Apply *a, int dirfd, const char *name, const VssRestoreItem *item, GError **error)
{
  g_autofree char *tmp = vss_restore_temp_name (name);
  /* Readable too: a large file is hashed from its copy on every core. */
  int dfd = openat (dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (dfd < 0)
    return write_error (error, errno, "cannot create a file beside", a, item->rel);
  gboolean mismatch = FALSE;
  int err = fill_temp (a, item, dfd, &mismatch);
  if (close (dfd) != 0 && err == 0)
    err = errno;
  if (err == 0 && !mismatch && renameat (dirfd, tmp, dirfd, name) != 0)
    err = errno;
  if (err == 0 && !mismatch)
    return TRUE;
  unlinkat (dirfd, tmp, 0);
  if (!mismatch)
    return write_error (error, err, "cannot restore", a, item->rel);
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "checksum mismatch: %s/%s (the data of %s) changed during the restore; the "
               "restore of %s stopped and %s was left as it was", item->source->dir,
               item->stored, item->entry->path, a->plan->component, item->rel);
  return FALSE;
}

/* A hard link is made beside its target to the file restored for the
 * entry it names, then renamed into place; across filesystems (a mapping
 * may split them) it becomes a copy of the same data. */
static gboolean
restore_link (Apply *a, int dirfd, const char *name, const VssRestoreItem *item, GError **error)
{
  g_autofree char *first_parent = g_path_get_dirname (item->link_rel);
  g_autofree char *first_name = g_path_get_basename (item->link_rel);
  /* restored before this one (it comes earlier): its directory is there */
  int first_dirfd = open_dir (a, strcmp (first_parent, ".") == 0 ? "" : first_parent, NULL);
  if (first_dirfd < 0)
    return write_error (error, errno, "cannot open the directory of", a, item->link_rel);
  g_autofree char *tmp = vss_restore_temp_name (name);
  int err = linkat (first_dirfd, first_name, dirfd, tmp, 0) == 0 ? 0 : errno;
  close (first_dirfd);
  if (err == EXDEV)
    return restore_file (a, dirfd, name, item, error);
  if (err == 0 && renameat (dirfd, tmp, dirfd, name) != 0)
    err = errno;
  /* rename() of two links to one inode does nothing: the temp name stays. */
  unlinkat (dirfd, tmp, 0);
  return err == 0 || write_error (error, err, "cannot link", a, item->rel);
}

static gboolean
restore_symlink (Apply *a, int dirfd, const char *name, const VssRestoreItem *item,
                 GError **error)
{
  const VssSetEntry *e = item->entry;
  g_autofree char *tmp = vss_restore_temp_name (name);
  if (symlinkat (e->target, dirfd, tmp) != 0)
    return write_error (error, errno, "cannot create a symlink beside", a, item->rel);
  int err = 0;
  if (fchownat (dirfd, tmp, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) != 0 &&
      (a->is_root || errno != EPERM))
    err = errno;
  const gint64 ns = G_GINT64_CONSTANT (1000000000);
  struct timespec times[2] = { { 0, UTIME_OMIT },
                               { (time_t) (e->mtime_nsec / ns), (long) (e->mtime_nsec % ns) } };
  if (err == 0 && times[1].tv_nsec >= 0 && utimensat (dirfd, tmp, times, AT_SYMLINK_NOFOLLOW) != 0)
    err = errno;
  if (err == 0 && renameat (dirfd, tmp, dirfd, name) != 0)
    err = errno;
  if (err == 0)
    return TRUE;
  unlinkat (dirfd, tmp, 0);
  return write_error (error, err, "cannot restore", a, item->rel);
}

/* Its metadata are set at the end: the entry moves out of its batch. */
static void
remember_dir (Apply *a, VssRestoreItem *item)
{
  MadeParent p = { g_strdup (item->rel), g_steal_pointer (&item->entry) };
  g_array_append_val (a->made_dirs, p);
}

static gboolean
restore_dir (Apply *a, int dirfd, const char *name, VssRestoreItem *item, GError **error)
{
  if (mkdirat (dirfd, name, 0700) == 0) {
    remember_dir (a, item);
    return TRUE;
  }
  struct stat st;
  if (errno == EEXIST && fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISDIR (st.st_mode)) {
    /* An existing directory gets the backed-up metadata only on replace. */
    if (a->existing == VSS_RESTORE_REPLACE)
      remember_dir (a, item);
    return TRUE;
  }
  return write_error (error, errno == 0 ? EEXIST : errno, "cannot create directory", a, item->rel);
}

static gboolean
restore_item (Apply *a, VssRestoreItem *item, GError **error)
{
  if (item->rel[0] == '\0')
    return TRUE;   /* the root itself belongs to the caller */
  g_autofree char *parent = g_path_get_dirname (item->rel);
  g_autofree char *name = g_path_get_basename (item->rel);
  int dirfd = open_dir (a, strcmp (parent, ".") == 0 ? "" : parent, item);
  if (dirfd < 0)
    return write_error (error, errno, "cannot open the directory of", a, item->rel);
  gboolean ok = TRUE, skip = FALSE;
  VssSetEntryType type = item->entry->type;
  if (type != VSS_SET_ENTRY_DIR && a->existing == VSS_RESTORE_IF_NOT_THERE)
    skip = exists_at (dirfd, name);
  if (skip)
    ok = TRUE;
  else if (type == VSS_SET_ENTRY_DIR)
    ok = restore_dir (a, dirfd, name, item, error);
  else if (type == VSS_SET_ENTRY_FILE && item->link_rel != NULL)
    ok = restore_link (a, dirfd, name, item, error);
  else if (type == VSS_SET_ENTRY_FILE)
    ok = restore_file (a, dirfd, name, item, error);
  else
    ok = restore_symlink (a, dirfd, name, item, error);
  close (dirfd);
  if (ok && !skip)
    a->restored++;
  return ok;
}

/* Deepest first, so a directory's times are set after its children. */
static gboolean
set_dirs_metadata (Apply *a, GArray *dirs, GError **error)
{
  for (guint i = dirs->len; i-- > 0;) {
    const MadeParent *p = &g_array_index (dirs, MadeParent, i);
    int fd = open_dir (a, p->rel, NULL);
    int err = fd < 0 ? errno : set_metadata (a, fd, p->entry);
    if (fd >= 0)
      close (fd);
    if (err != 0)
      return write_error (error, err, "cannot set the metadata of", a, p->rel);
  }
  return TRUE;
}

static gboolean
finish_dirs (Apply *a, GError **error)
{
  if (!set_dirs_metadata (a, a->made_dirs, error) ||
      !set_dirs_metadata (a, a->made_parents, error))
    return FALSE;
  /* The renames and directory entries reach the disk together. */
  if (syncfs (a->rootfd) != 0)
    return write_error (error, errno, "cannot sync", a, "");
  return TRUE;
}

/* Progress within the file being restored. */
typedef struct {
  VssBackupSetProgress progress;
  gpointer data;
  const Apply *a;
  const char *path;
} RestoreTick;

static void
restore_tick (guint64 file_done, gpointer user_data)
{
  RestoreTick *t = user_data;
  t->progress (t->a->done + file_done, t->a->plan->total_bytes, t->path, t->data);
}

static gboolean
apply_plan (Apply *a, VssBackupSetProgress progress, gpointer user_data, GError **error)
{
  RestoreTick tick = { progress, user_data, a, NULL };
  vss_set_copier_set_tick (a->copier, progress != NULL ? restore_tick : NULL, &tick);
  /* 0755: the root is a place to look at what was restored */
  if (g_mkdir_with_parents (a->plan->root, 0755) != 0)
    return write_error (error, errno, "cannot create", a, "");
  a->rootfd = open (a->plan->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (a->rootfd < 0)
    return write_error (error, errno, "cannot open", a, "");
  gboolean more = TRUE;
  while (more) {
    if (!vss_restore_plan_next (a->plan, &more, error))
      return FALSE;
    vss_restore_remove_leftovers (a->rootfd, a->plan);
    for (guint i = 0; i < a->plan->items->len; i++) {
      VssRestoreItem *item = g_ptr_array_index (a->plan->items, i);
      g_autofree char *path = g_strdup (item->entry->path);
      gboolean data = item->entry->type == VSS_SET_ENTRY_FILE && item->link_rel == NULL;
      guint64 size = item->entry->size;
      tick.path = path;
      if (!restore_item (a, item, error))
        return FALSE;
      a->done += data ? size : 0;
      if (progress != NULL)
        progress (a->done, a->plan->total_bytes, path, user_data);
    }
  }
  return finish_dirs (a, error);
}

static void
clear_made_parent (gpointer data)
{
  g_free ((char *) ((MadeParent *) data)->rel);
  vss_set_entry_free (((MadeParent *) data)->entry);
}

gboolean
vss_backup_set_restore_files (VssBackupSet *self, GPtrArray *chain, const char *component,
                              const char *root, const char *const *mappings,
                              VssRestoreExisting existing, VssBackupSetProgress progress,
                              gpointer user_data, guint *out_restored, GError **error)
{
  g_return_val_if_fail (self != NULL && component != NULL, FALSE);
  if (out_restored != NULL)
    *out_restored = 0;
  if (root != NULL && root[0] != '/') {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "the restore root %s must be an absolute path", root);
    return FALSE;
  }
  g_autoptr(VssSetCopier) copier = vss_set_copier_new ();
  g_autoptr(VssRestorePlan) plan = vss_restore_plan_new (self, chain, component, root, mappings,
                                                         copier, VSS_PLAN_CHECK_ROOT |
                                                         VSS_PLAN_CHECK_DATA, error);
  if (plan == NULL)
    return FALSE;
  Apply a = { plan, self, copier, existing, -1, geteuid () == 0,
              g_array_new (FALSE, FALSE, sizeof (MadeParent)),
              g_array_new (FALSE, FALSE, sizeof (MadeParent)), 0, 0 };
  g_array_set_clear_func (a.made_dirs, clear_made_parent);
  g_array_set_clear_func (a.made_parents, clear_made_parent);
  gboolean ok = apply_plan (&a, progress, user_data, error);
  g_array_unref (a.made_parents);
  if (a.rootfd >= 0)
    close (a.rootfd);
  g_array_unref (a.made_dirs);
  if (out_restored != NULL)
    *out_restored = a.restored;
  return ok;
}

/* Is @root the machine's own tree (no root, or "/" however spelled)? */
static gboolean
is_in_place (const char *root)
{
  if (root == NULL)
    return TRUE;
  g_autofree char *real = realpath (root, NULL);
  return real != NULL && g_str_equal (real, "/");
}

gboolean
vss_backup_set_restore_component (VssBackupSet *self, GPtrArray *chain, const char *component,
                                  const char *root, const char *const *mappings,
                                  VssRestoreExisting existing, VssBackupSetProgress progress,
                                  gpointer user_data, guint *out_restored, GError **error)
{
  g_return_val_if_fail (self != NULL && component != NULL, FALSE);
  /* A writer's files go back over its live store only when the writer
   * has agreed in pre_restore, which only a restore job asks. */
  if (!g_str_has_prefix (component, "path:") && is_in_place (root)) {
    if (out_restored != NULL)
      *out_restored = 0;
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "%s belongs to a writer: restore it in place with a restore job "
                 "(vss_restore_job_run, `vss restore`), which asks the writer first, or give a "
                 "root to put its files elsewhere", component);
    return FALSE;
  }
  return vss_backup_set_restore_files (self, chain, component, root, mappings, existing,
                                       progress, user_data, out_restored, error);
}
