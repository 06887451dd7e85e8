/* vss-backup-set-chain.c — finding the sets an incremental, differential
 * or log set builds on.  They live next to it (one directory holds a
 * chain); each is found by the id its successor names, never by name, so
 * a renamed set is still found and a set put in its place is not taken
 * for it. */
#include "vss-backup-set-private.h"

#include <stdlib.h>
#include <string.h>

/* Every set in @parent by id; two copies of one id are an error: which
 * one is the base is not ours to guess. */
static GHashTable *
sets_by_id (const VssBackupSet *self, const char *parent, GError **error)
{
  g_autoptr(GHashTable) by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                       (GDestroyNotify) vss_backup_set_free);
  g_autoptr(GDir) dir = g_dir_open (parent, 0, error);
  if (dir == NULL)
    return NULL;
  for (const char *name; (name = g_dir_read_name (dir)) != NULL;) {
    g_autofree char *path = g_build_filename (parent, name, NULL);
    if (g_str_has_suffix (name, VSS_SET_PARTIAL_SUFFIX) || !g_file_test (path, G_FILE_TEST_IS_DIR))
      continue;
    VssBackupSet *other = vss_backup_set_open (path, NULL);
    if (other == NULL)
      continue;
    VssBackupSet *seen = g_hash_table_lookup (by_id, other->manifest->set_id);
    if (seen != NULL || g_str_equal (other->manifest->set_id, self->manifest->set_id)) {
      gboolean is_self = seen == NULL;
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                   "%s and %s are the same backup set (id %s); keep one of them next to %s",
                   is_self ? self->dir : seen->dir, path, other->manifest->set_id, self->dir);
      /* the set itself may be listed under its own name: that is no copy */
      g_autofree char *real_self = realpath (self->dir, NULL);
      g_autofree char *real_other = realpath (path, NULL);
      gboolean same_dir = is_self && real_self != NULL && g_strcmp0 (real_self, real_other) == 0;
      vss_backup_set_free (other);
      if (same_dir) {
        g_clear_error (error);
        continue;
      }
      return NULL;
    }
    g_hash_table_insert (by_id, other->manifest->set_id, other);
  }
  return g_steal_pointer (&by_id);
}

gboolean
vss_backup_set_find_chain (VssBackupSet *self, GPtrArray **out_chain, GError **error)
{
  g_return_val_if_fail (self != NULL && out_chain != NULL, FALSE);
  *out_chain = NULL;
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_backup_set_free);
  const char *want = self->manifest->base_id;
  if (want != NULL) {
    g_autofree char *parent = g_path_get_dirname (self->dir);
    g_autoptr(GHashTable) by_id = sets_by_id (self, parent, error);
    if (by_id == NULL)
      return FALSE;
    g_autoptr(GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_hash_table_add (taken, g_strdup (self->manifest->set_id));
    while (want != NULL) {
      if (g_hash_table_contains (taken, want)) {
        g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                     "the chain of %s loops: set %s is its own base through %u set(s); the "
                     "sets were edited or mixed up, restore from a full backup", self->dir,
                     want, chain->len);
        return FALSE;
      }
      VssBackupSet *base = NULL;
      if (!g_hash_table_steal_extended (by_id, want, NULL, (gpointer *) &base)) {
        g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                     "%s builds on set %s, which is not in %s: put that set back next to it "
                     "(the sets of a chain live in one directory)",
                     chain->len > 0 ? ((VssBackupSet *) g_ptr_array_index (chain, 0))->dir : self->dir,
                     want, parent);
        return FALSE;
      }
      g_hash_table_add (taken, g_strdup (want));
      g_ptr_array_insert (chain, 0, base);
      want = base->manifest->base_id;
    }
  }
  if (!vss_backup_set_check_chain (self, chain, error))
    return FALSE;
  *out_chain = g_steal_pointer (&chain);
  return TRUE;
}
