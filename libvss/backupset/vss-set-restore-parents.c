/* vss-set-restore-parents.c — the directories a restore creates above the
 * entries it puts back (the restore root's parts, a component whose parent
 * directories belong to another component or to no component).  Each gets
 * the owner, mode and times of the original directory it stands for when
 * the set recorded that directory, else 0755 owned by the restoring user:
 * never a 0700 that keeps the application's own user out. */
#include "vss-set-restore-private.h"

#include <string.h>

/* The original directory that the directory @rel_dir (below the restore
 * root, above @item) stands for: the directory of the same name as many
 * levels above the entry's original path, as long as every name between
 * them matches — a mapping that renamed a part breaks the correspondence
 * from there up.  NULL when there is none. */
static char *
original_of (const char *rel_dir, const VssRestoreItem *item)
{
  g_auto(GStrv) rel = g_strsplit (item->rel, "/", -1);
  g_auto(GStrv) orig = g_strsplit (item->entry->path + 1, "/", -1);
  guint nrel = g_strv_length (rel), norig = g_strv_length (orig);
  guint depth = 0;   /* parts of @rel_dir */
  for (const char *p = rel_dir; *p != '\0'; p++)
    depth += *p == '/';
  depth += rel_dir[0] != '\0';
  if (depth == 0 || depth >= nrel || nrel - depth + 1 > norig)
    return NULL;
  /* names from @rel_dir's last part down to the entry must match */
  for (guint up = 0; up <= nrel - depth; up++) {
    if (strcmp (rel[nrel - 1 - up], orig[norig - 1 - up]) != 0)
      return NULL;
  }
  GString *path = g_string_new (NULL);
  for (guint i = 0; i < norig - (nrel - depth); i++)
    g_string_append_printf (path, "/%s", orig[i]);
  return g_string_free (path, FALSE);
}

VssSetEntry *
vss_restore_parent_entry (const VssBackupSet *set, const char *rel_dir, const VssRestoreItem *item)
{
  if (item == NULL)
    return NULL;
  g_autofree char *original = original_of (rel_dir, item);
  GPtrArray *components = set->manifest->components;
  for (guint i = 0; original != NULL && i < components->len; i++) {
    VssSetEntry *e = vss_backup_set_lookup (set, g_ptr_array_index (components, i), original);
    if (e != NULL && e->type == VSS_SET_ENTRY_DIR)
      return e;
    vss_set_entry_free (e);
  }
  return NULL;
}
