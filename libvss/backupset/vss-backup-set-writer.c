/* vss-backup-set-writer.c — creating a backup set: DIR.partial/, the data
 * (vss-set-add-files.c), writer metadata, then the commit that makes it a
 * set.  The order of the commit is the promise "an interrupted backup never
 * looks complete": data and bcd.json, syncfs (one flush for every file,
 * instead of an fsync each), manifest.json written atomically and fsynced
 * (from the entries recorded in manifest.entries: vss-set-manifest-write.c),
 * rename DIR.partial → DIR, fsync of the parent. */
#include "vss-set-writer-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "document/vss-document-private.h"
#include "util/vss-fs.h"
#include "util/vss-piece-writer.h"

void
vss_set_writer_inode_free (VssSetWriterInode *self)
{
  g_free (self->path);
  g_free (self);
}

gboolean
vss_set_errno_is_full (int err)
{
  return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

gboolean
vss_set_writer_out_of_space (VssBackupSetWriter *self, int err, const char *path,
                             GError **error)
{
  g_set_error (error, VSS_ERROR, VSS_ERROR_INSUFFICIENT_STORAGE,
               "not enough space for the backup set %s (writing %s: %s); nothing was kept: "
               "free space there or choose another directory",
               self->dir, path, g_strerror (err));
  self->failed = TRUE;
  g_autoptr(GError) cleanup = NULL;
  if (self->owns_partial && !vss_fs_remove_tree (self->partial, &cleanup))
    g_warning ("cannot remove %s: %s", self->partial, cleanup->message);
  return FALSE;
}

gboolean
vss_set_writer_check_usable (VssBackupSetWriter *self, GError **error)
{
  if (!self->failed && !self->committed)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
               "the backup set %s is %s: start a new one", self->dir,
               self->committed ? "already committed" : "abandoned after an error");
  return FALSE;
}

gboolean
vss_set_writer_make_parents (VssBackupSetWriter *self, const char *stored, GError **error)
{
  g_autofree char *path = g_strdup (stored);
  for (char *slash = strchr (path, '/'); slash != NULL; slash = strchr (slash + 1, '/')) {
    *slash = '\0';
    if (!g_hash_table_contains (self->made_dirs, path)) {
      if (mkdirat (self->partial_fd, path, 0700) != 0 && errno != EEXIST) {
        int err = errno;
        g_autofree char *full = g_build_filename (self->partial, path, NULL);
        return vss_set_errno_is_full (err)
                   ? vss_set_writer_out_of_space (self, err, full, error)
                   : vss_set_errno_error (error, err, "cannot create directory", full);
      }
      g_hash_table_add (self->made_dirs, g_strdup (path));
    }
    *slash = '/';
  }
  return TRUE;
}

/* ---- new ---- */

static gboolean
check_new_args (const char *dir, VssBackupType type, const char *base_id, GError **error)
{
  const char *problem = NULL;
  if (dir == NULL || *dir == '\0')
    problem = "no directory given";
  else if (g_str_has_suffix (dir, VSS_SET_PARTIAL_SUFFIX))
    problem = "the name must not end in .partial (that marks unfinished sets)";
  else if (type < VSS_BT_FULL || type > VSS_BT_COPY)
    problem = "the backup type must be full, incremental, differential, log or copy";
  else if ((type == VSS_BT_INCREMENTAL || type == VSS_BT_DIFFERENTIAL) && base_id == NULL)
    problem = "incremental and differential sets need the id of their base set";
  else if ((type == VSS_BT_FULL || type == VSS_BT_COPY) && base_id != NULL)
    problem = "full and copy sets have no base set";
  else if (base_id != NULL && !vss_uuid_is_valid (base_id))
    problem = "the base id must be a set id (a UUID)";
  if (problem == NULL)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "cannot create the backup set %s: %s",
               dir != NULL ? dir : "(null)", problem);
  return FALSE;
}

/* Removes a DIR.partial left by an interrupted run, unless a live writer
 * still holds its lock. */
static gboolean
remove_stale_partial (const char *partial, GError **error)
{
  int fd = open (partial, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || vss_fs_remove_tree (partial, error);
  gboolean busy = flock (fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close (fd);
  if (busy) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                 "another backup is writing %s right now: wait for it or choose another "
                 "directory", partial);
    return FALSE;
  }
  g_info ("removing %s, left by an interrupted backup", partial);
  return vss_fs_remove_tree (partial, error);
}

static gboolean
create_partial (VssBackupSetWriter *self, GError **error)
{
  if (mkdir (self->partial, 0700) != 0) {
    int err = errno;
    return vss_set_errno_is_full (err) ? vss_set_writer_out_of_space (self, err, self->partial, error)
                                       : vss_set_errno_error (error, err, "cannot create", self->partial);
  }
  self->owns_partial = TRUE;
  self->partial_fd = open (self->partial, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (self->partial_fd < 0 || flock (self->partial_fd, LOCK_EX | LOCK_NB) != 0)
    return vss_set_errno_error (error, errno, "cannot open", self->partial);
  if ((mkdirat (self->partial_fd, VSS_SET_FILES, 0700) != 0 ||
       mkdirat (self->partial_fd, VSS_SET_WRITERS, 0700) != 0)) {
    int err = errno;
    return vss_set_errno_is_full (err) ? vss_set_writer_out_of_space (self, err, self->partial, error)
                                       : vss_set_errno_error (error, err, "cannot fill", self->partial);
  }
  g_hash_table_add (self->made_dirs, g_strdup (VSS_SET_FILES));
  return vss_set_writer_open_entries (self, error);
}

VssBackupSetWriter *
vss_backup_set_writer_new (const char *dir, VssBackupType type, const char *base_id,
                           GError **error)
{
  if (!check_new_args (dir, type, base_id, error))
    return NULL;
  g_autofree char *trimmed = g_strdup (dir);
  for (gsize n = strlen (trimmed); n > 1 && trimmed[n - 1] == '/'; n--)
    trimmed[n - 1] = '\0';
  struct stat st;
  if (lstat (trimmed, &st) == 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                 "%s already exists: a backup set is never written over; "
                 "choose a new directory", trimmed);
    return NULL;
  }
  g_autoptr(VssBackupSetWriter) self = g_new0 (VssBackupSetWriter, 1);
  self->dir = g_steal_pointer (&trimmed);
  self->partial = g_strconcat (self->dir, VSS_SET_PARTIAL_SUFFIX, NULL);
  self->partial_fd = -1;
  self->entries_fd = -1;
  self->roots = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_set_writer_root_free);
  self->made_dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) vss_set_writer_inode_free);
  g_autofree char *set_id = g_uuid_string_random ();
  self->manifest = vss_manifest_new (set_id, base_id, type);
  self->copier = vss_set_copier_new ();
  vss_piece_writer_keep_spares ();   /* an image's buffers serve the next image */
  if (!remove_stale_partial (self->partial, error) || !create_partial (self, error)) {
    self->failed = TRUE;   /* free removes DIR.partial if create_partial made it */
    return NULL;
  }
  return g_steal_pointer (&self);
}

/* ---- writer metadata ---- */

/* @text as the file @path under DIR.partial (writer metadata, the BCD);
 * a full disk abandons the set (vss_set_writer_out_of_space). */
static gboolean
write_small_file (VssBackupSetWriter *self, const char *path, const char *text, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, &local))
    return TRUE;
  if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOSPC))
    return vss_set_writer_out_of_space (self, ENOSPC, path, error);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

gboolean
vss_set_writer_name_ok (const char *name)
{
  return name != NULL && name[0] != '\0' && name[0] != '.' && strchr (name, '/') == NULL &&
         strlen (name) <= 200;
}

gboolean
vss_backup_set_writer_add_writer_metadata (VssBackupSetWriter *self, const char *writer_name,
                                           const char *metadata_json, GError **error)
{
  g_return_val_if_fail (self != NULL && metadata_json != NULL, FALSE);
  if (!vss_set_writer_check_usable (self, error))
    return FALSE;
  if (!vss_set_writer_name_ok (writer_name)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer name \"%s\" cannot name a file: it must be non-empty, at most 200 "
                 "bytes, without \"/\" and not start with \".\"", writer_name ? writer_name : "");
    return FALSE;
  }
  g_autofree char *path = g_strdup_printf ("%s/" VSS_SET_WRITERS "/%s.json", self->partial,
                                           writer_name);
  return write_small_file (self, path, metadata_json, error);
}

/* ---- commit ---- */

static gboolean
write_bcd (VssBackupSetWriter *self, const char *bcd_json, GError **error)
{
  g_autoptr(VssDocument) doc = vss_document_from_json (bcd_json, strlen (bcd_json), error);
  if (doc == NULL) {
    g_prefix_error (error, "cannot commit %s: the BCD is not valid: ", self->dir);
    return FALSE;
  }
  g_autofree char *path = g_build_filename (self->partial, VSS_SET_BCD, NULL);
  return write_small_file (self, path, bcd_json, error);
}

/* DIR.partial → DIR without ever replacing a DIR made meanwhile, then the
 * parent's fsync makes the new name durable. */
static gboolean
publish (VssBackupSetWriter *self, GError **error)
{
  if (renameat2 (AT_FDCWD, self->partial, AT_FDCWD, self->dir, RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                   "%s appeared while the backup ran; the set was not kept: choose a new "
                   "directory", self->dir);
      return FALSE;
    }
    return vss_set_errno_error (error, errno, "cannot rename the finished set to", self->dir);
  }
  self->committed = TRUE;
  g_autofree char *parent = g_path_get_dirname (self->dir);
  int fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    if (fsync (fd) != 0 && errno != EINVAL)
      g_warning ("cannot sync %s: %s", parent, g_strerror (errno));
    close (fd);
  }
  return TRUE;
}

gboolean
vss_backup_set_writer_commit (VssBackupSetWriter *self, const char *bcd_json, GError **error)
{
  g_return_val_if_fail (self != NULL && bcd_json != NULL, FALSE);
  if (!vss_set_writer_check_usable (self, error) || !write_bcd (self, bcd_json, error))
    return FALSE;
  /* One flush of the set's filesystem stands for an fsync of every file. */
  if (syncfs (self->partial_fd) != 0) {
    int err = errno;
    return vss_set_errno_is_full (err) ? vss_set_writer_out_of_space (self, err, self->partial, error)
                                       : vss_set_errno_error (error, err, "cannot sync", self->partial);
  }
  return vss_set_writer_write_manifest (self, error) && publish (self, error);
}

void
vss_backup_set_writer_free (VssBackupSetWriter *self)
{
  if (self == NULL)
    return;
  if (self->partial_fd >= 0)
    close (self->partial_fd);
  if (self->entries_fd >= 0)
    close (self->entries_fd);
  if (self->entries_buf != NULL)
    g_string_free (self->entries_buf, TRUE);
  if (self->owns_partial && !self->committed) {
    g_autoptr(GError) local = NULL;
    if (!vss_fs_remove_tree (self->partial, &local))
      g_warning ("cannot remove the unfinished set %s: %s", self->partial, local->message);
  }
  g_free (self->dir);
  g_free (self->partial);
  vss_manifest_free (self->manifest);
  g_clear_pointer (&self->overlap, g_hash_table_unref);
  g_clear_pointer (&self->roots, g_ptr_array_unref);
  g_clear_pointer (&self->made_dirs, g_hash_table_unref);
  g_clear_pointer (&self->inodes, g_hash_table_unref);
  vss_set_copier_free (self->copier);
  vss_piece_writer_drop_spares ();
  g_strfreev (self->excludes);
  g_clear_pointer (&self->exclude_files, g_ptr_array_unref);
  g_free (self);
}

guint64
vss_backup_set_writer_get_bytes (const VssBackupSetWriter *self)
{
  return self->bytes;
}

guint
vss_backup_set_writer_get_entries (const VssBackupSetWriter *self)
{
  return self->n_entries;
}

gboolean
vss_backup_set_writer_set_consistency (VssBackupSetWriter *self, const char *component,
                                       const char *consistency, GError **error)
{
  g_return_val_if_fail (self != NULL && component != NULL, FALSE);
  if (!vss_set_consistency_is_valid (consistency)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "consistency of %s: \"%s\" is not freeze, after-thaw or crash", component,
                 consistency != NULL ? consistency : "(null)");
    return FALSE;
  }
  vss_manifest_component_index (self->manifest, component);
  g_hash_table_insert (self->manifest->consistency, g_strdup (component), g_strdup (consistency));
  return TRUE;
}

char *
vss_backup_set_writer_files_dir (const VssBackupSetWriter *self)
{
  return g_build_filename (self->partial, VSS_SET_FILES, NULL);
}
