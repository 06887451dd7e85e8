/* vss-set-tree.h — the files of a native backup set as of its backup,
 * each with where its data are: for `vss ls`, `vss restore --include`
 * and `vss mount`.  An incremental or differential set's manifest lists
 * its whole tree (unchanged files point into the set that stores them);
 * a log set shows its chain's tree with its own entries over it. */
#pragma once

#include <glib.h>

typedef enum { VSS_TREE_FILE, VSS_TREE_DIR, VSS_TREE_SYMLINK } VssTreeType;

typedef struct {
  char *path;             /* original absolute path */
  char *component;
  VssTreeType type;
  guint64 size;
  guint mode;             /* permission bits */
  guint uid, gid;
  gint64 mtime_nsec;
  char *target;           /* symlinks */
  char *data;             /* files: the stored file holding the content */
  char *sha256;           /* files */
  gboolean sha256_tree;   /* files: @sha256 is the piece digest (VssBackupSetEntry) */
} VssTreeEntry;

typedef struct {
  GPtrArray *entries;     /* VssTreeEntry, sorted by path */
  GHashTable *by_path;    /* path → VssTreeEntry (borrowed) */
  char *set_id;
} VssSetTree;

/* Opens the set at @set_dir (validated by vss_backup_set_open) with its
 * chain and lists its tree. */
VssSetTree *vss_set_tree_load (const char *set_dir, GError **error);
void        vss_set_tree_free (VssSetTree *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSetTree, vss_set_tree_free)

/* The entries at @path or below it, in path order (borrowed). */
GPtrArray  *vss_set_tree_under (const VssSetTree *self, const char *path);
/* The direct children of the directory @path (borrowed entries). */
GPtrArray  *vss_set_tree_children (const VssSetTree *self, const char *path);
