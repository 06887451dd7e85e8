/* vss-set-manifest-index.c — looking an entry up without holding the
 * entries: 16 bytes each (a 64-bit hash of component and path, and the
 * offset of its line), sorted; a hit is read back and compared, so a
 * hash collision costs a read, never a wrong answer.  Incremental
 * backups look up each path in their base, restores the in-base data,
 * the loader hard links and paths listed twice. */
#include "vss-backup-set-private.h"

#include <string.h>

guint64
vss_manifest_key_hash (guint component, const char *path)
{
  /* FNV-1a, 64 bits */
  guint64 h = G_GUINT64_CONSTANT (14695981039346656037);
  const guint8 *c = (const guint8 *) &component;
  for (gsize i = 0; i < sizeof component; i++)
    h = (h ^ c[i]) * G_GUINT64_CONSTANT (1099511628211);
  for (const guint8 *p = (const guint8 *) path; *p != '\0'; p++)
    h = (h ^ *p) * G_GUINT64_CONSTANT (1099511628211);
  return h;
}

static gint
compare_slots (gconstpointer a, gconstpointer b)
{
  const VssManifestSlot *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Do the entries at two offsets have the same component and path? */
static gboolean
same_key (const VssBackupSet *set, guint64 a, guint64 b, char **out_path, GError **error)
{
  g_autoptr(VssSetEntry) x = vss_backup_set_read_entry_at (set, a, error);
  g_autoptr(VssSetEntry) y = x != NULL ? vss_backup_set_read_entry_at (set, b, error) : NULL;
  if (y == NULL)
    return FALSE;
  gboolean same = x->component == y->component && strcmp (x->path, y->path) == 0;
  if (same)
    *out_path = g_strdup (x->path);
  return same;
}

gboolean
vss_manifest_index_finish (VssBackupSet *set, GError **error)
{
  GArray *index = set->index;
  g_array_sort (index, compare_slots);
  for (guint i = 1; i < index->len; i++) {
    const VssManifestSlot *slot = &g_array_index (index, VssManifestSlot, i);
    /* equal hashes are rare: only then is a line read again */
    for (guint j = i; j-- > 0 && g_array_index (index, VssManifestSlot, j).hash == slot->hash;) {
      g_autofree char *path = NULL;
      GError *local = NULL;
      if (same_key (set, g_array_index (index, VssManifestSlot, j).offset, slot->offset, &path,
                    &local)) {
        g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                     "manifest.json: %s is listed twice for its component", path);
        return FALSE;
      }
      if (local != NULL) {
        g_propagate_error (error, local);
        return FALSE;
      }
    }
  }
  return TRUE;
}

gint64
vss_manifest_index_find (const VssBackupSet *set, guint component, const char *path,
                         VssSetEntry **out_entry)
{
  GArray *index = set->index;
  guint64 hash = vss_manifest_key_hash (component, path);
  guint lo = 0, hi = index->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (g_array_index (index, VssManifestSlot, mid).hash < hash)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (guint i = lo; i < index->len && g_array_index (index, VssManifestSlot, i).hash == hash; i++) {
    guint64 offset = g_array_index (index, VssManifestSlot, i).offset;
    g_autoptr(VssSetEntry) e = vss_backup_set_read_entry_at (set, offset, NULL);
    if (e != NULL && e->component == component && strcmp (e->path, path) == 0) {
      if (out_entry != NULL)
        *out_entry = g_steal_pointer (&e);
      return (gint64) offset;
    }
  }
  return -1;
}

VssSetEntry *
vss_backup_set_lookup (const VssBackupSet *self, const char *component, const char *path)
{
  gpointer index;
  if (!g_hash_table_lookup_extended (self->component_index, component, NULL, &index))
    return NULL;
  VssSetEntry *e = NULL;
  vss_manifest_index_find (self, GPOINTER_TO_UINT (index), path, &e);
  return e;
}
