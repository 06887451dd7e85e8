/* vss-set-manifest-index.c — looking an entry up without holding the
 * entries: a 64-bit hash of component and path and the offset of its
 * line, in a sorted table kept in a memfd (vss-set-slot-table.c); a hit
 * is read back and compared, so a hash collision costs a read, never a
 * wrong answer.  Incremental
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

/* Equal hashes are rare: only then are the lines read again. */
static gboolean
refuse_twice (guint64 a, guint64 b, gpointer user_data, GError **error)
{
  g_autofree char *path = NULL;
  GError *local = NULL;
  if (same_key (user_data, a, b, &path, &local)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "manifest.json: %s is listed twice for its component", path);
    return FALSE;
  }
  if (local == NULL)
    return TRUE;
  g_propagate_error (error, local);
  return FALSE;
}

gboolean
vss_manifest_index_finish (VssBackupSet *set, GError **error)
{
  return vss_slot_table_finish (set->index, refuse_twice, set, error);
}

typedef struct {
  const VssBackupSet *set;
  guint component;
  const char *path;
  VssSetEntry *entry;
  gint64 offset;
} Find;

static gboolean
check_candidate (guint64 offset, gpointer user_data)
{
  Find *f = user_data;
  g_autoptr(VssSetEntry) e = vss_backup_set_read_entry_at (f->set, offset, NULL);
  if (e == NULL || e->component != f->component || strcmp (e->path, f->path) != 0)
    return TRUE;
  f->entry = g_steal_pointer (&e);
  f->offset = (gint64) offset;
  return FALSE;
}

gint64
vss_manifest_index_find (const VssBackupSet *set, guint component, const char *path,
                         VssSetEntry **out_entry)
{
  Find f = { set, component, path, NULL, -1 };
  vss_slot_table_find (set->index, vss_manifest_key_hash (component, path), check_candidate, &f);
  if (out_entry != NULL)
    *out_entry = f.entry;
  else
    vss_set_entry_free (f.entry);
  return f.offset;
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
