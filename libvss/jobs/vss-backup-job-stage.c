/* vss-backup-job-stage.c — the writers' images as files, for a program
 * that reads the original paths instead of a backup set (restic, --exec).
 *
 * With no set to stream them into, each image is read after the thaw
 * (through the set writer, as a set reads it) into a staging directory
 * "images-XXXXXX" under <state dir>/staging, its files then
 * gathered into one tree there (tree/<original path>) with the live
 * files' owner, mode and times, so a view can show tree/DIR over each
 * image component's directory DIR.  Its run holds an flock on the
 * directory while it exists: the next run removes one it can lock, left
 * by a run that was killed (the same way as `vss backup --exec`'s
 * metadata directory, requester/cmd-backup-view.c). */
#include "vss-backup-job-private.h"

#include "backupset/vss-backup-set-private.h"
#include "util/vss-fs.h"
#include "util/vss-paths.h"
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGING_PREFIX "images-"

void
vss_backup_job_set_image_staging (VssBackupJob *self, const char *parent)
{
  g_free (self->image_staging);
  self->image_staging = parent != NULL ? g_strdup (parent)
                                       : g_build_filename (vss_paths_state_dir (), "staging", NULL);
}

/* ---- crash clean-up ---- */

/* @path, locked (flock) for as long as the descriptor is open: -1 (errno
 * set) when it cannot be opened, or (with @wait FALSE) when someone else
 * holds it. */
static int
lock_dir (const char *path, gboolean wait)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && flock (fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    int err = errno;
    close (fd);
    errno = err;
    fd = -1;
  }
  return fd;
}

/* Removes the staging directories in @parent whose runs are gone. */
static void
remove_orphans (const char *parent)
{
  g_autoptr(GDir) dir = g_dir_open (parent, 0, NULL);
  for (const char *name; dir != NULL && (name = g_dir_read_name (dir)) != NULL;) {
    if (!g_str_has_prefix (name, STAGING_PREFIX))
      continue;
    g_autofree char *path = g_build_filename (parent, name, NULL);
    int lock = lock_dir (path, FALSE);
    if (lock < 0)
      continue;   /* a running backup's */
    g_autoptr(GError) error = NULL;
    if (vss_fs_remove_tree (path, &error))
      g_message ("removed %s, left by a backup that did not end", path);
    else
      g_warning ("cannot remove %s: %s", path, error->message);
    close (lock);
  }
}

static gboolean
make_staging (VssBackupJob *job, GError **error)
{
  if (!vss_paths_ensure_dir (job->image_staging, error))
    return FALSE;
  remove_orphans (job->image_staging);
  g_autofree char *templ = g_build_filename (job->image_staging, STAGING_PREFIX "XXXXXX", NULL);
  if (g_mkdtemp_full (templ, 0700) == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "cannot make a staging directory for the writers' images in %s: %s",
                 job->image_staging, g_strerror (errno));
    return FALSE;
  }
  /* unlocked, the next run would take it for a killed run's and remove it */
  job->staging_lock = lock_dir (templ, TRUE);
  if (job->staging_lock < 0) {
    int err = errno;
    g_rmdir (templ);
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "cannot lock the staging directory %s for the writers' images: %s", templ,
                 g_strerror (err));
    return FALSE;
  }
  job->staging = g_steal_pointer (&templ);
  return TRUE;
}

/* ---- room ---- */

#define STAGING_ADVICE "set VSS_STATE_DIR to a larger place"

gboolean
vss_backup_job_check_staging_space (VssBackupJob *job, GError **error)
{
  if (!job->images || job->image_staging == NULL || job->to != NULL)
    return TRUE;
  g_autofree char *dir = g_strdup (job->image_staging);
  while (!g_file_test (dir, G_FILE_TEST_IS_DIR) && strchr (dir + 1, '/') != NULL)
    *strrchr (dir, '/') = '\0';   /* the nearest directory that exists */
  return vss_backup_job_check_room (dir, vss_backup_job_estimate_image_bytes (job),
                                    "to stage the writers' images", STAGING_ADVICE, error);
}

/* ---- the images into one tree ---- */

/* Moves every file below @from (a component's files/<N>/ in the
 * staging set) to the same place below @to. */
static gboolean
merge_tree (const char *from, const char *to, GError **error)
{
  g_autoptr(GDir) dir = g_dir_open (from, 0, error);
  if (dir == NULL || g_mkdir_with_parents (to, 0700) != 0) {
    if (error != NULL && *error == NULL)
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot create %s: %s", to,
                   g_strerror (errno));
    return FALSE;
  }
  for (const char *name; (name = g_dir_read_name (dir)) != NULL;) {
    g_autofree char *src = g_build_filename (from, name, NULL);
    g_autofree char *dst = g_build_filename (to, name, NULL);
    if (g_file_test (src, G_FILE_TEST_IS_DIR) && !g_file_test (src, G_FILE_TEST_IS_SYMLINK)) {
      if (!merge_tree (src, dst, error))
        return FALSE;
    } else if (g_rename (src, dst) != 0) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot move %s to %s: %s", src, dst,
                   g_strerror (errno));
      return FALSE;
    }
  }
  return TRUE;
}

/* The owner, mode and times of each staged entry below @root (and of
 * @root) are the live original's: what the program reading the view
 * records.  Directories last, as the moves changed their times. */
static void
take_live_metadata (const char *tree, const char *original)
{
  g_autofree char *staged = g_build_filename (tree, original, NULL);
  g_autoptr(GDir) dir = g_dir_open (staged, 0, NULL);
  for (const char *name; dir != NULL && (name = g_dir_read_name (dir)) != NULL;) {
    g_autofree char *child = g_build_filename (original, name, NULL);
    take_live_metadata (tree, child);
  }
  struct stat st;
  g_autoptr(GError) error = NULL;
  if (lstat (original, &st) == 0 && (S_ISDIR (st.st_mode) || S_ISREG (st.st_mode)) &&
      !vss_fs_copy_metadata (&st, original, staged, &error))
    g_debug ("staged %s keeps its own metadata: %s", staged, error->message);
}

/* The file sets of the image components, as the view shows them: each
 * directory (tree/DIR) exists, with the live one's metadata, and so does
 * every other root below it (a mount point there). */
static void
finish_tree (VssBackupJob *job, const char *tree)
{
  for (guint i = 0; i < job->image_roots->len; i++) {
    const char *root = g_ptr_array_index (job->image_roots, i);
    g_autofree char *staged = g_build_filename (tree, root, NULL);
    g_mkdir_with_parents (staged, 0700);
    for (guint r = 0; r < job->roots->len; r++) {
      const char *other = g_ptr_array_index (job->roots, r);
      g_autofree char *point = g_build_filename (tree, other, NULL);
      if (vss_backup_job_is_within (other, root) && !g_str_equal (other, root))
        g_mkdir_with_parents (point, 0700);
    }
    take_live_metadata (tree, root);
  }
}

/* Each component's files/<N>/ of the uncommitted @set, moved into @tree. */
static gboolean
gather_images (const VssBackupSetWriter *set, const char *tree, GError **error)
{
  g_autofree char *files = vss_backup_set_writer_files_dir (set);
  g_autoptr(GDir) dir = g_dir_open (files, 0, error);
  if (dir == NULL)
    return FALSE;
  for (const char *name; (name = g_dir_read_name (dir)) != NULL;) {
    g_autofree char *component = g_build_filename (files, name, NULL);
    if (!merge_tree (component, tree, error))
      return FALSE;
  }
  return TRUE;
}

/* Each image component's images and live files, through the set writer,
 * as vss_backup_job_copy reads them. */
static gboolean
stream_images (VssBackupJob *job, const char *set_dir, GError **error)
{
  g_autoptr(VssBackupSetWriter) set = vss_backup_set_writer_new (set_dir, VSS_BT_FULL, NULL, error);
  if (set == NULL)
    return FALSE;
  for (guint i = 0; i < job->selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (job->selected, i);
    if (!vss_backup_job_is_image (job, s) ||
        vss_backup_job_writer_failed (job, vss_writer_metadata_get_writer_name (s->metadata)))
      continue;
    vss_backup_job_set_writer_excludes (set, s);
    if (!vss_backup_job_add_post_snapshot_files (job, set, s, error)) {
      g_prefix_error (error, "%s: ", s->key);
      return FALSE;
    }
  }
  g_autofree char *tree = g_build_filename (job->staging, "tree", NULL);
  if (!gather_images (set, tree, error))
    return FALSE;
  finish_tree (job, tree);
  return TRUE;   /* freeing the set removes what is left of it */
}

gboolean
vss_backup_job_stage_images (VssBackupJob *self, GError **error)
{
  g_return_val_if_fail (self->staging == NULL, FALSE);
  g_clear_pointer (&self->image_roots, g_ptr_array_unref);
  self->image_roots = vss_backup_job_image_roots (self);
  if (self->image_roots->len == 0)
    return TRUE;
  gint64 start = g_get_monotonic_time ();
  gboolean ok = make_staging (self, error) &&
                vss_backup_job_check_room (self->staging, vss_backup_job_post_snapshot_bytes (self),
                                           "to stage the writers' images", STAGING_ADVICE, error);
  if (ok) {
    g_autofree char *set_dir = g_build_filename (self->staging, "set", NULL);
    ok = stream_images (self, set_dir, error);
  }
  if (self->observer.phase_done != NULL)
    self->observer.phase_done ("images", (g_get_monotonic_time () - start) / 1000.0, ok,
                               self->observer_data);
  if (!ok) {
    vss_backup_job_remove_staged_images (self);
    g_prefix_error (error, "cannot stage the writers' images: ");
  }
  return ok;
}

void
vss_backup_job_remove_staged_images (VssBackupJob *self)
{
  if (self->staging == NULL)
    return;
  g_autoptr(GError) error = NULL;
  if (!vss_fs_remove_tree (self->staging, &error))
    g_warning ("cannot remove %s: %s", self->staging, error->message);
  close (self->staging_lock);   /* after the removal: nobody takes it for an orphan */
  self->staging_lock = -1;
  g_clear_pointer (&self->staging, g_free);
  if (self->image_roots != NULL)
    g_ptr_array_set_size (self->image_roots, 0);
}

guint
vss_backup_job_get_image_root_count (const VssBackupJob *self)
{
  return self->staging != NULL && self->image_roots != NULL ? self->image_roots->len : 0;
}

char *
vss_backup_job_get_staged_image_root (const VssBackupJob *self, guint index, const char **original)
{
  g_return_val_if_fail (index < vss_backup_job_get_image_root_count (self), NULL);
  const char *root = g_ptr_array_index (self->image_roots, index);
  if (original != NULL)
    *original = root;
  return g_build_filename (self->staging, "tree", root, NULL);
}
