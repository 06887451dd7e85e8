/* vss-set-restore-plan.c — everything a restore checks before it writes:
 * the chain, that each entry lies inside its component's file sets, where
 * each entry goes (mappings, root), that no target escapes the root or
 * passes through a symlink (one already there, or one this restore would
 * place), that no target is claimed twice, that in-base and hard-link
 * entries lead to data, and that every file's data in the set still match
 * the manifest.  verify runs the same plan, without a root.  A set is
 * untrusted input: the manifest was validated at open, the files under
 * files/ are opened without following any symlink inside the set. */
#include "vss-set-restore-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One openat2 call where the kernel has it (5.6): no symlink anywhere on
 * the way and nothing outside @dirfd, as the walk below checks part by
 * part (a set of 100,000 files took 8 opens and closes per file). */
static int
open_resolved_beneath (int dirfd, const char *rel, int flags)
{
  struct open_how how = { .flags = (guint64) (flags | O_NOFOLLOW | O_CLOEXEC),
                          .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                     RESOLVE_NO_MAGICLINKS };
  return (int) syscall (SYS_openat2, dirfd, rel, &how, sizeof how);
}

int
vss_set_open_beneath (int dirfd, const char *rel, int flags)
{
  int resolved = open_resolved_beneath (dirfd, rel, flags);
  if (resolved >= 0 || (errno != ENOSYS && errno != EPERM))   /* EPERM: a seccomp filter */
    return resolved;
  g_auto(GStrv) parts = g_strsplit (rel, "/", -1);
  int fd = dup (dirfd);
  for (guint i = 0; fd >= 0 && parts[i] != NULL; i++) {
    gboolean last = parts[i + 1] == NULL;
    int next = openat (fd, parts[i], last ? flags | O_NOFOLLOW | O_CLOEXEC
                                          : O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close (fd);
    errno = saved;
    fd = next;
  }
  return fd;
}

static void
item_free (VssRestoreItem *item)
{
  vss_set_entry_free (item->entry);
  g_free (item->rel);
  g_free (item->stored);
  g_free (item->link_rel);
  g_free (item);
}

void
vss_restore_plan_free (VssRestorePlan *self)
{
  if (self == NULL)
    return;
  g_free (self->root);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->file_sets, g_ptr_array_unref);
  g_clear_pointer (&self->symlinks, g_hash_table_unref);
  g_clear_pointer (&self->checked, g_hash_table_unref);
  g_clear_pointer (&self->targets, vss_slot_table_free);
  vss_manifest_reader_free (self->reader);
  g_free (self);
}

static gboolean
denied (GError **error, const VssSetEntry *e, const char *problem)
{
  g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
               "refusing to restore %s: %s; nothing was written", e->path, problem);
  return FALSE;
}

/* The target of @path after the first matching mapping (OLD is @path or
 * a parent of it). */
static char *
map_path (const char *path, const char *const *mappings)
{
  for (guint i = 0; mappings != NULL && mappings[i] != NULL; i += 2) {
    const char *old = mappings[i], *new_path = mappings[i + 1];
    gsize n = strcmp (old, "/") == 0 ? 0 : strlen (old);
    if (strncmp (path, old, n) == 0 && (path[n] == '\0' || path[n] == '/'))
      return path[n] == '\0' ? g_strdup (new_path)
                             : g_strconcat (strcmp (new_path, "/") == 0 ? "" : new_path,
                                            path + n, NULL);
  }
  return g_strdup (path);
}

gboolean
vss_restore_check_mappings (const char *const *mappings, GError **error)
{
  for (guint i = 0; mappings != NULL && mappings[i] != NULL; i += 2) {
    const char *problem = mappings[i + 1] == NULL ? "has no new path"
                          : vss_set_check_absolute (mappings[i]) != NULL ? "old path is not a clean absolute path"
                          : vss_set_check_absolute (mappings[i + 1]) != NULL ? "new path is not a clean absolute path"
                          : NULL;
    if (problem != NULL) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "mapping %u (%s): %s", i / 2,
                   mappings[i], problem);
      return FALSE;
    }
  }
  return TRUE;
}

/* Where a file's data are: in @self, or in the set of @chain it names. */
gboolean
vss_restore_find_source (VssBackupSet *self, GPtrArray *chain, const char *component,
                         VssRestoreItem *item, GError **error)
{
  const VssSetEntry *e = item->entry;
  if (e->in_base == NULL) {
    item->source = self;
    item->stored = g_strdup (e->stored);
    return TRUE;
  }
  for (guint i = 0; chain != NULL && i < chain->len; i++) {
    const VssBackupSet *set = g_ptr_array_index (chain, i);
    if (strcmp (set->manifest->set_id, e->in_base) != 0)
      continue;
    g_autoptr(VssSetEntry) b = vss_backup_set_lookup (set, component, e->path);
    if (b == NULL || b->stored == NULL || !vss_set_entry_same_data (b, e)) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                   "%s: the data of %s should be in set %s (%s), which does not hold them",
                   self->dir, e->path, e->in_base, set->dir);
      return FALSE;
    }
    item->source = set;
    item->stored = g_strdup (b->stored);
    return TRUE;
  }
  g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
               "%s: the data of %s are in set %s, which is not in the chain given",
               self->dir, e->path, e->in_base);
  return FALSE;
}

/* Does any proper prefix of @rel name a symlink, planned or on disk? */
gboolean
vss_restore_check_way (const char *root, int rootfd, GHashTable *symlinks, GHashTable *checked,
                       const VssRestoreItem *item, GError **error)
{
  g_autofree char *path = g_strdup (item->rel);
  gsize len = strlen (path);
  gboolean whole = item->entry->type == VSS_SET_ENTRY_DIR;
  for (gsize i = 1; i <= len; i++) {
    if (!(path[i] == '/' || (i == len && whole)))
      continue;
    char saved = path[i];
    path[i] = '\0';
    if (g_hash_table_contains (symlinks, path)) {
      g_autofree char *msg = g_strdup_printf ("it would be written through %s/%s, a symlink "
                                              "this restore places", root, path);
      return denied (error, item->entry, msg);
    }
    struct stat st;
    if (rootfd >= 0 && !g_hash_table_contains (checked, path) &&
        fstatat (rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK (st.st_mode)) {
        g_autofree char *msg = g_strdup_printf ("%s/%s is a symlink", root, path);
        return denied (error, item->entry, msg);
      }
      g_hash_table_add (checked, g_strdup (path));
    }
    path[i] = saved;
  }
  return TRUE;
}

char *
vss_restore_target_of (const VssSetEntry *e, GPtrArray *file_sets, const char *const *mappings,
                       GError **error)
{
  if (!vss_set_file_sets_cover (file_sets, e)) {
    denied (error, e, "it lies outside the file sets the component was backed up from");
    return NULL;
  }
  g_autofree char *target = map_path (e->path, mappings);
  const char *problem = vss_set_check_absolute (target);
  if (problem != NULL) {
    g_autofree char *msg = g_strdup_printf ("its target %s %s", target, problem);
    denied (error, e, msg);
    return NULL;
  }
  if (strcmp (target, "/") == 0 && e->type != VSS_SET_ENTRY_DIR) {
    denied (error, e, "only a directory can be restored onto the root");
    return NULL;
  }
  return g_steal_pointer (&target);
}

/* A hard link takes the data of the earlier entry it names (the set's
 * loader checked that it is a file of the component with data); it is
 * restored as a link to that entry's target. */
static gboolean
link_item (VssRestorePlan *plan, VssRestoreItem *item, GError **error)
{
  g_autoptr(VssSetEntry) first = vss_backup_set_lookup (plan->set, plan->component,
                                                        item->entry->hardlink);
  if (first == NULL || first->type != VSS_SET_ENTRY_FILE || first->hardlink != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
                 "%s of %s is a hard link to %s, which is not a file of it with data",
                 item->entry->path, plan->component, item->entry->hardlink);
    return FALSE;
  }
  g_autofree char *target = vss_restore_target_of (first, plan->file_sets, plan->mappings, error);
  if (target == NULL)
    return FALSE;
  VssRestoreItem linked = { first, target + 1, NULL, NULL, NULL };
  if (!vss_restore_find_source (plan->set, plan->chain, plan->component, &linked, error))
    return FALSE;
  item->link_rel = g_strdup (target + 1);
  item->source = linked.source;
  item->stored = linked.stored;
  return TRUE;
}

/* With mappings two entries may share a target: their hashes go to a
 * table kept out of memory (vss-set-slot-table.c), sorted once every
 * entry was seen. */
static gboolean
note_target (VssRestorePlan *plan, const char *rel, GError **error)
{
  if (plan->mappings == NULL)
    return TRUE;   /* a target is the entry's path, which the loader found once */
  return vss_slot_table_add (plan->targets, vss_manifest_key_hash (0, rel), 0, error);
}

static gboolean
refuse_one_target (guint64 a, guint64 b, gpointer user_data, GError **error)
{
  const VssRestorePlan *plan = user_data;
  (void) a;
  (void) b;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "%s: two entries of %s would be restored to one target (the mappings "
               "put them there)", plan->set->dir, plan->component);
  return FALSE;
}

static gboolean
check_no_target_twice (VssRestorePlan *plan, GError **error)
{
  return vss_slot_table_finish (plan->targets, refuse_one_target, plan, error);
}

/* Takes @e. */
static gboolean
add_item (VssRestorePlan *plan, VssSetEntry *e, gboolean first_pass, GError **error)
{
  g_autoptr(VssSetEntry) owned = e;
  g_autofree char *target = vss_restore_target_of (e, plan->file_sets, plan->mappings, error);
  if (target == NULL)
    return FALSE;
  VssRestoreItem *item = g_new0 (VssRestoreItem, 1);
  item->entry = g_steal_pointer (&owned);
  item->rel = g_strdup (target + 1);
  g_ptr_array_add (plan->items, item);
  if (first_pass && !note_target (plan, item->rel, error))
    return FALSE;
  if (e->type != VSS_SET_ENTRY_FILE)
    return TRUE;
  if (e->hardlink != NULL)
    return link_item (plan, item, error);
  if (first_pass)
    plan->total_bytes += e->size;
  return vss_restore_find_source (plan->set, plan->chain, plan->component, item, error);
}

/* Reads the data of @item once and compares size and SHA-256. */
static gboolean
check_data (VssRestorePlan *plan, const VssRestoreItem *item, VssSetCopier *copier,
            GError **error)
{
  gboolean missing = FALSE;
  g_autofree char *problem = vss_set_check_stored_data (item->source, item->stored, item->entry,
                                                        copier, &missing);
  if (problem == NULL)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT,
               "%s: %s/%s (the data of %s): %s; the set is damaged or was tampered with, "
               "nothing of %s was restored", missing ? "missing data" : "checksum mismatch",
               item->source->dir, item->stored, item->entry->path, problem, plan->component);
  return FALSE;
}

/* The directories checked on disk are remembered up to this many. */
#define CHECKED_DIRS_MAX 65536

static gboolean
check_batch (VssRestorePlan *plan, int rootfd, VssSetCopier *copier, VssPlanChecks checks,
             GError **error)
{
  if (g_hash_table_size (plan->checked) > CHECKED_DIRS_MAX)
    g_hash_table_remove_all (plan->checked);
  for (guint i = 0; i < plan->items->len; i++) {
    VssRestoreItem *item = g_ptr_array_index (plan->items, i);
    if (!vss_restore_check_way (plan->root, rootfd, plan->symlinks, plan->checked, item, error))
      return FALSE;
    if ((checks & VSS_PLAN_CHECK_DATA) && item->entry->type == VSS_SET_ENTRY_FILE &&
        item->link_rel == NULL && !check_data (plan, item, copier, error))
      return FALSE;
  }
  return TRUE;
}

guint
vss_restore_find_component (VssBackupSet *self, const char *component, GError **error)
{
  GPtrArray *components = self->manifest->components;
  for (guint i = 0; i < components->len; i++) {
    if (strcmp (g_ptr_array_index (components, i), component) == 0)
      return i;
  }
  g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
               "the backup set %s has no component %s", self->dir, component);
  return G_MAXUINT;
}

/* The targets of the component's symlink entries, before any entry is
 * checked: an entry may come before the symlink it would pass. */
static gboolean
collect_symlinks (VssRestorePlan *plan, GError **error)
{
  g_autoptr(VssManifestReader) reader = vss_manifest_reader_new (plan->set);
  const VssSetEntry *e = NULL;
  GError *local = NULL;
  while (vss_manifest_reader_next (reader, &e, &local) && e != NULL) {
    if (e->component != plan->index || e->type != VSS_SET_ENTRY_SYMLINK)
      continue;
    g_autofree char *target = vss_restore_target_of (e, plan->file_sets, plan->mappings, error);
    if (target == NULL)
      return FALSE;
    g_hash_table_add (plan->symlinks, g_strdup (target + 1));
  }
  if (local == NULL)
    return TRUE;
  g_propagate_error (error, local);
  return FALSE;
}

gboolean
vss_restore_plan_next (VssRestorePlan *self, gboolean *out_more, GError **error)
{
  g_ptr_array_set_size (self->items, 0);
  *out_more = FALSE;
  if (self->reader == NULL)
    self->reader = vss_manifest_reader_new (self->set);
  const VssSetEntry *e = NULL;
  GError *local = NULL;
  while (self->items->len < VSS_RESTORE_BATCH &&
         vss_manifest_reader_next (self->reader, &e, &local) && e != NULL) {
    if (e->component == self->index &&
        !add_item (self, vss_manifest_reader_steal (self->reader), self->first_pass, error))
      return FALSE;
  }
  if (local != NULL) {
    g_propagate_error (error, local);
    return FALSE;
  }
  *out_more = e != NULL;
  if (e == NULL)
    g_clear_pointer (&self->reader, vss_manifest_reader_free);
  return TRUE;
}

/* Every batch once, checked: nothing is written before all passed. */
static gboolean
check_all (VssRestorePlan *plan, VssSetCopier *copier, VssPlanChecks checks, GError **error)
{
  int rootfd = (checks & VSS_PLAN_CHECK_ROOT) ? open (plan->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                              : -1;
  gboolean more = TRUE, ok = TRUE;
  for (plan->first_pass = TRUE; ok && more;)
    ok = vss_restore_plan_next (plan, &more, error) && check_batch (plan, rootfd, copier, checks, error);
  if (rootfd >= 0)
    close (rootfd);
  plan->first_pass = FALSE;
  g_ptr_array_set_size (plan->items, 0);
  return ok && check_no_target_twice (plan, error);
}

VssRestorePlan *
vss_restore_plan_new (VssBackupSet *self, GPtrArray *chain, const char *component,
                      const char *root, const char *const *mappings, VssSetCopier *copier,
                      VssPlanChecks checks, GError **error)
{
  guint index = vss_restore_find_component (self, component, error);
  if (index == G_MAXUINT || !vss_restore_check_mappings (mappings, error) ||
      !vss_backup_set_check_chain (self, chain, error))
    return NULL;
  g_autoptr(VssRestorePlan) plan = g_new0 (VssRestorePlan, 1);
  plan->set = self;
  plan->chain = chain;
  plan->mappings = mappings != NULL && mappings[0] != NULL ? mappings : NULL;
  plan->index = index;
  plan->component = g_ptr_array_index (self->manifest->components, index);
  plan->root = g_strdup (root != NULL ? root : "/");
  plan->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  plan->file_sets = vss_set_component_file_sets (self, plan->component, error);
  plan->symlinks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  plan->checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  plan->targets = vss_slot_table_new ();
  if (plan->file_sets == NULL || !collect_symlinks (plan, error) ||
      !check_all (plan, copier, checks, error))
    return NULL;
  g_clear_pointer (&plan->targets, vss_slot_table_free);
  g_hash_table_remove_all (plan->checked);
  return g_steal_pointer (&plan);
}
