/* vss-set-restore-check.c — the checks a restore plan makes, for verify,
 * with memory that does not grow with the entries: two passes over the
 * manifest's lines instead of a plan of every entry.  What needs the
 * whole component at once is small: the symlinks it places (a later
 * entry below one would be written through it).  Without mappings a
 * target is the entry's own path, so "no target twice" is the loader's
 * "no path twice in a component"; hard links were checked by the loader
 * too. */
#include "vss-set-restore-private.h"

/* rel → nothing: the symlink entries of @index. */
static GHashTable *
collect_symlinks (VssBackupSet *self, guint index, GError **error)
{
  g_autoptr(GHashTable) symlinks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(VssManifestReader) reader = vss_manifest_reader_new (self);
  const VssSetEntry *e = NULL;
  while (vss_manifest_reader_next (reader, &e, error) && e != NULL) {
    if (e->component == index && e->type == VSS_SET_ENTRY_SYMLINK)
      g_hash_table_add (symlinks, g_strdup (e->path + 1));
  }
  return e == NULL && (error == NULL || *error == NULL) ? g_steal_pointer (&symlinks) : NULL;
}

static gboolean
check_entry (VssBackupSet *self, GPtrArray *chain, const char *component, GPtrArray *file_sets,
             GHashTable *symlinks, VssSetEntry *e, GError **error)
{
  g_autofree char *target = vss_restore_target_of (e, file_sets, NULL, error);
  if (target == NULL)
    return FALSE;
  VssRestoreItem item = { e, target + 1, NULL, NULL, NULL };
  gboolean ok = vss_restore_check_way ("", -1, symlinks, NULL, &item, error);
  if (ok && e->type == VSS_SET_ENTRY_FILE && e->hardlink == NULL)
    ok = vss_restore_find_source (self, chain, component, &item, error);
  g_free (item.stored);
  return ok;
}

gboolean
vss_restore_check_component (VssBackupSet *self, GPtrArray *chain, const char *component,
                             GError **error)
{
  guint index = vss_restore_find_component (self, component, error);
  if (index == G_MAXUINT || !vss_backup_set_check_chain (self, chain, error))
    return FALSE;
  g_autoptr(GPtrArray) file_sets = vss_set_component_file_sets (self, component, error);
  g_autoptr(GError) local = NULL;
  g_autoptr(GHashTable) symlinks = file_sets != NULL ? collect_symlinks (self, index, &local) : NULL;
  if (symlinks == NULL) {
    if (local != NULL)
      g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  g_autoptr(VssManifestReader) reader = vss_manifest_reader_new (self);
  const VssSetEntry *e = NULL;
  while (vss_manifest_reader_next (reader, &e, &local) && e != NULL) {
    if (e->component == index &&
        !check_entry (self, chain, component, file_sets, symlinks, (VssSetEntry *) e, error))
      return FALSE;
  }
  if (local == NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}
