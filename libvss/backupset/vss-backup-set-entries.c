/* vss-backup-set-entries.c — a set's entries for callers outside the
 * library (vss ls, vss mount): handed over one at a time from the
 * manifest's lines, as the public VssBackupSetEntry. */
#include "vss-backup-set-private.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const char *const type_names[] = { "file", "dir", "symlink" };

static gboolean
hand_over (const VssBackupSet *set, const VssSetEntry *e, VssBackupSetEntryFunc func,
           gpointer user_data)
{
  VssBackupSetEntry pub = {
    g_ptr_array_index (set->manifest->components, e->component), e->path, type_names[e->type],
    e->stored, e->in_base, e->hardlink, e->target,
    e->type == VSS_SET_ENTRY_FILE ? e->sha256 : NULL,
    e->size, e->mode, e->uid, e->gid, e->mtime_nsec, e->sha256_tree,
  };
  return func (&pub, user_data);
}

gboolean
vss_backup_set_digest_fd (int fd, gboolean sha256_tree, char out[65], GError **error)
{
  g_return_val_if_fail (fd >= 0 && out != NULL, FALSE);
  struct stat st;
  if (fstat (fd, &st) != 0)
    return vss_set_errno_error (error, errno, "cannot stat", "the file to hash");
  g_autoptr(VssSetCopier) copier = vss_set_copier_new ();
  VssSetCopyResult r = { "" };
  if (!vss_set_copier_run (copier, fd, -1, (guint64) st.st_size, sha256_tree, &r) ||
      r.copied != (guint64) st.st_size)
    return vss_set_errno_error (error, r.err != 0 ? r.err : EIO, "cannot read",
                                "the file to hash");
  memcpy (out, r.sha256, 65);
  return TRUE;
}

gboolean
vss_backup_set_foreach_entry (VssBackupSet *self, VssBackupSetEntryFunc func, gpointer user_data,
                              GError **error)
{
  g_return_val_if_fail (self != NULL && func != NULL, FALSE);
  g_autoptr(VssManifestReader) reader = vss_manifest_reader_new (self);
  const VssSetEntry *e = NULL;
  GError *local = NULL;
  while (vss_manifest_reader_next (reader, &e, &local) && e != NULL) {
    if (!hand_over (self, e, func, user_data))
      return TRUE;
  }
  if (local == NULL)
    return TRUE;
  g_propagate_error (error, local);
  return FALSE;
}

gboolean
vss_backup_set_find_entry (VssBackupSet *self, const char *component, const char *path,
                           VssBackupSetEntryFunc func, gpointer user_data)
{
  g_return_val_if_fail (self != NULL && component != NULL && path != NULL && func != NULL, FALSE);
  g_autoptr(VssSetEntry) e = vss_backup_set_lookup (self, component, path);
  if (e == NULL)
    return FALSE;
  hand_over (self, e, func, user_data);
  return TRUE;
}
