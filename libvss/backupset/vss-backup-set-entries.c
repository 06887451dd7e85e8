/* vss-backup-set-entries.c — a set's entries for callers outside the
 * library (vss ls, vss mount): handed over one at a time from the
 * manifest's lines, as the public VssBackupSetEntry. */
#include "vss-backup-set-private.h"

static const char *const type_names[] = { "file", "dir", "symlink" };

static gboolean
hand_over (const VssBackupSet *set, const VssSetEntry *e, VssBackupSetEntryFunc func,
           gpointer user_data)
{
  VssBackupSetEntry pub = {
    g_ptr_array_index (set->manifest->components, e->component), e->path, type_names[e->type],
    e->stored, e->in_base, e->hardlink, e->target,
    e->type == VSS_SET_ENTRY_FILE ? e->sha256 : NULL,
    e->size, e->mode, e->uid, e->gid, e->mtime_nsec,
  };
  return func (&pub, user_data);
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
