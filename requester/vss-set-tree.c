/* vss-set-tree.c — a native set's tree with each file's data located
 * through its chain (vss-set-tree.h; the manifest: docs/backup-set.md). */
#include "vss-set-tree.h"

#include <json-c/json.h>
#include <string.h>
#include <vss/vss.h>

static void
entry_free (VssTreeEntry *e)
{
  g_free (e->path);
  g_free (e->component);
  g_free (e->target);
  g_free (e->data);
  g_free (e->sha256);
  g_free (e);
}

void
vss_set_tree_free (VssSetTree *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_path);
  g_ptr_array_unref (self->entries);
  g_free (self->set_id);
  g_free (self);
}

static const char *
get_string (json_object *obj, const char *member)
{
  json_object *v = NULL;
  return json_object_object_get_ex (obj, member, &v) ? json_object_get_string (v) : NULL;
}

static gint64
get_int (json_object *obj, const char *member)
{
  json_object *v = NULL;
  return json_object_object_get_ex (obj, member, &v) ? json_object_get_int64 (v) : 0;
}

/* One set's manifest: "component\npath" → its entry object. */
typedef struct {
  const char *dir;
  json_object *manifest;
  GHashTable *entries;
} Manifest;

static void
manifest_clear (Manifest *m)
{
  g_clear_pointer (&m->entries, g_hash_table_unref);
  g_clear_pointer (&m->manifest, json_object_put);
}

static gboolean
manifest_load (Manifest *m, const VssBackupSet *set, GError **error)
{
  m->dir = vss_backup_set_get_dir (set);
  g_autofree char *path = g_build_filename (m->dir, "manifest.json", NULL);
  m->manifest = json_object_from_file (path);
  if (m->manifest == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "cannot read %s", path);
    return FALSE;
  }
  m->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  json_object *entries = json_object_object_get (m->manifest, "entries");
  for (size_t i = 0; entries != NULL && i < json_object_array_length (entries); i++) {
    json_object *e = json_object_array_get_idx (entries, i);
    g_hash_table_insert (m->entries, g_strdup_printf ("%s\n%s", get_string (e, "component"),
                                                      get_string (e, "path")), e);
  }
  return TRUE;
}

/* Where the content of @e (of set @m) is: stored here, in the chain set
 * named by in_base, or that of the entry it is a hard link to. */
static char *
data_path (Manifest *m, GHashTable *by_id, json_object *e, guint depth)
{
  const char *stored = get_string (e, "stored");
  if (stored != NULL)
    return g_build_filename (m->dir, stored, NULL);   /* "files/N/…" */
  const char *component = get_string (e, "component");
  const char *link = get_string (e, "hardlink");
  g_autofree char *key = g_strdup_printf ("%s\n%s", component, link ? link : get_string (e, "path"));
  Manifest *holder = link != NULL ? m : g_hash_table_lookup (by_id, get_string (e, "in_base"));
  json_object *target = holder != NULL ? g_hash_table_lookup (holder->entries, key) : NULL;
  /* the manifests were validated: a bounded walk only guards a loop */
  return target != NULL && depth < 64 ? data_path (holder, by_id, target, depth + 1) : NULL;
}

static VssTreeEntry *
entry_new (Manifest *m, GHashTable *by_id, json_object *e)
{
  VssTreeEntry *t = g_new0 (VssTreeEntry, 1);
  const char *type = get_string (e, "type");
  t->path = g_strdup (get_string (e, "path"));
  t->component = g_strdup (get_string (e, "component"));
  t->type = g_strcmp0 (type, "dir") == 0 ? VSS_TREE_DIR
            : g_strcmp0 (type, "symlink") == 0 ? VSS_TREE_SYMLINK : VSS_TREE_FILE;
  t->size = (guint64) get_int (e, "size");
  t->mode = (guint) get_int (e, "mode");
  t->uid = (guint) get_int (e, "uid");
  t->gid = (guint) get_int (e, "gid");
  t->mtime_nsec = get_int (e, "mtime_nsec");
  t->target = g_strdup (get_string (e, "target"));
  t->sha256 = g_strdup (get_string (e, "sha256"));
  if (t->type == VSS_TREE_FILE)
    t->data = data_path (m, by_id, e, 0);
  return t;
}

static void
add_entries (VssSetTree *self, Manifest *m, GHashTable *by_id)
{
  json_object *entries = json_object_object_get (m->manifest, "entries");
  for (size_t i = 0; entries != NULL && i < json_object_array_length (entries); i++) {
    VssTreeEntry *t = entry_new (m, by_id, json_object_array_get_idx (entries, i));
    /* a later set (of a log chain) wins; a path in two components shows once */
    g_hash_table_replace (self->by_path, t->path, t);
    g_ptr_array_add (self->entries, t);
  }
}

static int
by_path (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(VssTreeEntry *const *) a)->path, (*(VssTreeEntry *const *) b)->path);
}

/* Keeps the entries by_path holds (one per path), sorted. */
static void
settle (VssSetTree *self)
{
  GPtrArray *all = self->entries;
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  for (guint i = 0; i < all->len; i++) {
    VssTreeEntry *t = all->pdata[i];
    if (g_hash_table_lookup (self->by_path, t->path) == t)
      g_ptr_array_add (self->entries, t);
    else
      entry_free (t);
  }
  g_ptr_array_unref (all);
  g_ptr_array_sort (self->entries, by_path);
}

static VssSetTree *
build (VssBackupSet *set, GPtrArray *chain, GError **error)
{
  g_autoptr(VssSetTree) self = g_new0 (VssSetTree, 1);
  self->entries = g_ptr_array_new ();
  self->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  self->set_id = g_strdup (vss_backup_set_get_id (set));
  guint count = chain->len + 1;
  g_autofree Manifest *ms = g_new0 (Manifest, count);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean ok = TRUE;
  for (guint i = 0; i < count && ok; i++) {
    VssBackupSet *s = i < chain->len ? chain->pdata[i] : set;
    ok = manifest_load (&ms[i], s, error);
    g_hash_table_insert (by_id, (gpointer) vss_backup_set_get_id (s), &ms[i]);
  }
  /* only a log set's own manifest is not its whole tree */
  gboolean log = vss_backup_set_get_backup_type (set) == VSS_BT_LOG;
  for (guint i = log ? 0 : chain->len; ok && i < count; i++)
    add_entries (self, &ms[i], by_id);
  for (guint i = 0; i < count; i++)
    manifest_clear (&ms[i]);
  if (!ok)
    return NULL;
  settle (self);
  return g_steal_pointer (&self);
}

VssSetTree *
vss_set_tree_load (const char *set_dir, GError **error)
{
  g_autoptr(VssBackupSet) set = vss_backup_set_open (set_dir, error);
  g_autoptr(GPtrArray) chain = NULL;
  if (set == NULL || !vss_backup_set_find_chain (set, &chain, error))
    return NULL;
  return build (set, chain, error);
}

static gboolean
is_within (const char *path, const char *root)
{
  gsize n = strlen (root);
  return g_str_equal (root, "/") ||
         (strncmp (path, root, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

GPtrArray *
vss_set_tree_under (const VssSetTree *self, const char *path)
{
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < self->entries->len; i++) {
    VssTreeEntry *t = self->entries->pdata[i];
    if (is_within (t->path, path))
      g_ptr_array_add (out, t);
  }
  return out;
}

GPtrArray *
vss_set_tree_children (const VssSetTree *self, const char *path)
{
  GPtrArray *out = g_ptr_array_new ();
  gsize n = g_str_equal (path, "/") ? 0 : strlen (path);
  for (guint i = 0; i < self->entries->len; i++) {
    VssTreeEntry *t = self->entries->pdata[i];
    if (strncmp (t->path, path, n) == 0 && t->path[n] == '/' && t->path[n + 1] != '\0' &&
        strchr (t->path + n + 1, '/') == NULL)
      g_ptr_array_add (out, t);
  }
  return out;
}
