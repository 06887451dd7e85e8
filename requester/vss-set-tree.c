/* vss-set-tree.c — a native set's tree with each file's data located
 * through its chain (vss-set-tree.h; the manifest: docs/backup-set.md). */
#include "vss-set-tree.h"

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

/* Where the content of a file entry is: stored in its set, or (in_base,
 * hardlink) in the entry it points to, found in the chain. */
typedef struct {
  GHashTable *by_id;      /* set id → VssBackupSet of the chain */
  VssBackupSet *set;      /* the set of the entry being resolved */
  char *data;             /* the answer */
  guint depth;
} Locate;

static void locate (Locate *l, const VssBackupSetEntry *e);

static gboolean
on_found (const VssBackupSetEntry *e, gpointer user_data)
{
  locate (user_data, e);
  return TRUE;
}

static void
locate (Locate *l, const VssBackupSetEntry *e)
{
  if (e->stored != NULL) {
    l->data = g_build_filename (vss_backup_set_get_dir (l->set), e->stored, NULL);   /* "files/N/…" */
    return;
  }
  VssBackupSet *holder = e->hardlink != NULL ? l->set : g_hash_table_lookup (l->by_id, e->in_base);
  /* the manifests were validated: a bounded walk only guards a loop */
  if (holder == NULL || ++l->depth > 64)
    return;
  l->set = holder;
  vss_backup_set_find_entry (holder, e->component, e->hardlink != NULL ? e->hardlink : e->path,
                             on_found, l);
}

typedef struct {
  VssSetTree *self;
  VssBackupSet *set;
  GHashTable *by_id;
} AddCtx;

static gboolean
add_entry (const VssBackupSetEntry *e, gpointer user_data)
{
  AddCtx *ctx = user_data;
  VssTreeEntry *t = g_new0 (VssTreeEntry, 1);
  t->path = g_strdup (e->path);
  t->component = g_strdup (e->component);
  t->type = g_strcmp0 (e->type, "dir") == 0 ? VSS_TREE_DIR
            : g_strcmp0 (e->type, "symlink") == 0 ? VSS_TREE_SYMLINK : VSS_TREE_FILE;
  t->size = e->size;
  t->mode = e->mode;
  t->uid = e->uid;
  t->gid = e->gid;
  t->mtime_nsec = e->mtime_nsec;
  t->target = g_strdup (e->target);
  t->sha256 = g_strdup (e->sha256);
  t->sha256_tree = e->sha256_tree;
  if (t->type == VSS_TREE_FILE) {
    Locate l = { ctx->by_id, ctx->set, NULL, 0 };
    locate (&l, e);
    t->data = l.data;
  }
  /* a later set (of a log chain) wins; a path in two components shows once */
  g_hash_table_replace (ctx->self->by_path, t->path, t);
  g_ptr_array_add (ctx->self->entries, t);
  return TRUE;
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
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < count; i++) {
    VssBackupSet *s = i < chain->len ? chain->pdata[i] : set;
    g_hash_table_insert (by_id, (gpointer) vss_backup_set_get_id (s), s);
  }
  /* only a log set's own manifest is not its whole tree */
  gboolean log = vss_backup_set_get_backup_type (set) == VSS_BT_LOG;
  for (guint i = log ? 0 : chain->len; i < count; i++) {
    VssBackupSet *s = i < chain->len ? chain->pdata[i] : set;
    AddCtx ctx = { self, s, by_id };
    if (!vss_backup_set_foreach_entry (s, add_entry, &ctx, error))
      return NULL;
  }
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
