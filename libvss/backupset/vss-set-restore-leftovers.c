/* vss-set-restore-leftovers.c — a restore killed mid-write (kill -9, power
 * loss) leaves its temp file ".NAME.vss-XXXXXXXX" beside the target it was
 * writing; the target itself is untouched (the temp is renamed over it
 * only once complete).  Running the same restore again removes them, and
 * only them: names made by this naming scheme exactly, for a NAME this
 * restore writes in that directory, regular files, in directories this
 * restore writes into. */
#include "vss-set-restore-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEMP_TAG ".vss-"
#define TEMP_HEX 8

char *
vss_restore_temp_name (const char *name)
{
  return g_strdup_printf (".%.*s" TEMP_TAG "%08x", VSS_RESTORE_TEMP_NAME_MAX, name,
                          g_random_int ());
}

/* The NAME of a temp name made by vss_restore_temp_name, or NULL. */
static char *
temp_target (const char *temp)
{
  gsize len = strlen (temp), tail = strlen (TEMP_TAG) + TEMP_HEX;
  if (temp[0] != '.' || len < 2 + tail || strncmp (temp + len - tail, TEMP_TAG, strlen (TEMP_TAG)) != 0)
    return NULL;
  for (const char *h = temp + len - TEMP_HEX; *h != '\0'; h++) {
    if (!g_ascii_isxdigit (*h) || g_ascii_isupper (*h))
      return NULL;
  }
  return g_strndup (temp + 1, len - 1 - tail);
}

static void
clean_dir (int rootfd, const char *parent, GHashTable *names)
{
  int fd = vss_set_open_beneath (rootfd, parent, O_RDONLY | O_DIRECTORY);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close (fd);
    return;   /* not there yet (nothing to clean), or the restore will say why */
  }
  struct dirent *ent;
  while ((ent = readdir (d)) != NULL) {
    g_autofree char *target = temp_target (ent->d_name);
    struct stat st;
    if (target == NULL || !g_hash_table_contains (names, target) ||
        fstatat (dirfd (d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG (st.st_mode))
      continue;
    if (unlinkat (dirfd (d), ent->d_name, 0) == 0)
      g_info ("removed %s/%s, left by an interrupted restore", parent, ent->d_name);
  }
  closedir (d);
}

void
vss_restore_remove_leftovers (int rootfd, const VssRestorePlan *plan)
{
  /* parent rel → the (temp-truncated) names written in it */
  g_autoptr(GHashTable) dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) g_hash_table_unref);
  for (guint i = 0; i < plan->items->len; i++) {
    const VssRestoreItem *item = g_ptr_array_index (plan->items, i);
    if (item->entry->type == VSS_SET_ENTRY_DIR)
      continue;
    const char *slash = strrchr (item->rel, '/');
    char *parent = slash != NULL ? g_strndup (item->rel, slash - item->rel) : g_strdup ("");
    const char *name = slash != NULL ? slash + 1 : item->rel;
    GHashTable *names = g_hash_table_lookup (dirs, parent);
    if (names == NULL) {
      names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (dirs, g_strdup (parent), names);
    }
    g_hash_table_add (names, g_strndup (name, VSS_RESTORE_TEMP_NAME_MAX));
    g_free (parent);
  }
  GHashTableIter iter;
  gpointer parent, names;
  g_hash_table_iter_init (&iter, dirs);
  while (g_hash_table_iter_next (&iter, &parent, &names))
    clean_dir (rootfd, parent, names);
}
