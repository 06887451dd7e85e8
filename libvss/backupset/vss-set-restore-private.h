/* vss-set-restore-private.h — the restore plan: every target computed and
 * checked (vss-set-restore-plan.c) before vss-backup-set-restore.c writes
 * anything. */
#pragma once

#include "vss-backup-set-private.h"

G_BEGIN_DECLS

typedef struct _VssRestoreItem VssRestoreItem;
struct _VssRestoreItem {
  VssSetEntry *entry;           /* owned */
  char *rel;                    /* target below the restore root; "" is the root */
  const VssBackupSet *source;   /* files: the set holding the data */
  char *stored;                 /* files: the data's path in @source */
  char *link_rel;               /* hard links: the target of the file linked to */
};

/* Entries of a plan held at once. */
#define VSS_RESTORE_BATCH 4096

typedef struct {
  VssBackupSet *set;
  GPtrArray *chain;
  const char *const *mappings;
  guint index;                  /* of the component */
  const char *component;
  char *root;
  GPtrArray *items;             /* VssRestoreItem: the current batch, in manifest order */
  guint64 total_bytes;
  GPtrArray *file_sets;         /* VssSetFileSet: the write boundary */
  GHashTable *symlinks;         /* rel of every symlink the restore places */
  GHashTable *checked;          /* rel of directories seen on disk, not symlinks */
  VssSlotTable *targets;        /* hashes of the targets, while checking (with mappings) */
  VssManifestReader *reader;    /* where the next batch starts */
  gboolean first_pass;
} VssRestorePlan;

void vss_restore_plan_free (VssRestorePlan *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssRestorePlan, vss_restore_plan_free)

/* Which checks of a plan look beyond the set's own content. */
typedef enum {
  VSS_PLAN_CHECK_ROOT = 1 << 0,   /* symlinks already under the root */
  VSS_PLAN_CHECK_DATA = 1 << 1,   /* read every file's data once */
} VssPlanChecks;

/* Computes and checks every target of @component: the chain, mappings,
 * each entry inside the component's file sets, no duplicate target, no
 * target through a symlink entry (nor, with VSS_PLAN_CHECK_ROOT, one on
 * disk), every in-base and hard-link entry resolved to data; with
 * VSS_PLAN_CHECK_DATA every file's data compared with the manifest.
 * Nothing is written.  The entries are read in batches of
 * VSS_RESTORE_BATCH, never all at once: the returned plan has no items
 * yet, vss_restore_plan_next gives them batch after batch. */
VssRestorePlan *vss_restore_plan_new (VssBackupSet *self, GPtrArray *chain,
                                      const char *component, const char *root,
                                      const char *const *mappings, VssSetCopier *copier,
                                      VssPlanChecks checks, GError **error);

/* The parts of a plan (vss-set-restore-plan.c) the streamed check uses. */
guint    vss_restore_find_component (VssBackupSet *self, const char *component, GError **error);
gboolean vss_restore_check_mappings (const char *const *mappings, GError **error);
/* The target of @e ("/…", after @mappings): NULL with
 * VSS_ERROR_ACCESS_DENIED when @e lies outside @file_sets, the target is
 * not clean, or is "/" for anything but a directory. */
char    *vss_restore_target_of (const VssSetEntry *e, GPtrArray *file_sets,
                                const char *const *mappings, GError **error);
/* Sets item->source and item->stored: in @self, or the set of @chain
 * that the entry's in_base names. */
gboolean vss_restore_find_source (VssBackupSet *self, GPtrArray *chain, const char *component,
                                  VssRestoreItem *item, GError **error);
/* Does a proper prefix of item->rel name a symlink of @symlinks (rel →),
 * or (@rootfd >= 0) one on disk below @root? */
gboolean vss_restore_check_way (const char *root, int rootfd, GHashTable *symlinks,
                                GHashTable *checked, const VssRestoreItem *item, GError **error);

/* ---- the plan's checks, streamed (vss-set-restore-check.c) ---- */

/* What vss_restore_plan_new checks without a root, mappings or data, for
 * verify, holding no entry: the entries are read twice (the symlinks
 * first, then each entry's target and data source); a path twice in a
 * component and hard links were refused when the set was opened. */
gboolean vss_restore_check_component (VssBackupSet *self, GPtrArray *chain,
                                      const char *component, GError **error);

/* The next batch into self->items (empty at the end); *out_more: another
 * batch may follow. */
gboolean vss_restore_plan_next (VssRestorePlan *self, gboolean *out_more, GError **error);

/* ---- temp files beside targets (vss-set-restore-leftovers.c) ---- */

/* Bytes of the target's name kept in its temp name. */
#define VSS_RESTORE_TEMP_NAME_MAX 200
/* ".NAME.vss-XXXXXXXX", the temp a file or link is written to beside NAME. */
char *vss_restore_temp_name (const char *name);
/* Removes the temp files an interrupted run of this restore left beside
 * the targets of @plan (regular files named by the scheme above for a
 * NAME the plan writes in that directory); nothing else is touched. */
void  vss_restore_remove_leftovers (int rootfd, const VssRestorePlan *plan);

/* ---- directories created above restored entries (vss-set-restore-parents.c) ---- */

/* The set's entry for the original directory that @rel_dir (a directory
 * below the restore root, above @item's target) stands for (a new one),
 * or NULL when the set does not know it (then it is made 0755). */
VssSetEntry *vss_restore_parent_entry (const VssBackupSet *set, const char *rel_dir,
                                             const VssRestoreItem *item);

/* ---- the write boundary (vss-set-file-sets.c) ---- */

typedef struct {
  char *path;                   /* absolute, no trailing "/" */
  char *filespec;
  gboolean recursive;
} VssSetFileSet;

void vss_set_file_set_free (VssSetFileSet *self);
/* The file sets @component was backed up from (VssSetFileSet); NULL with
 * VSS_ERROR_INVALID_DOCUMENT when the set records none. */
GPtrArray *vss_set_component_file_sets (const VssBackupSet *self, const char *component,
                                        GError **error);
/* Could a backup of @file_sets have recorded @e? */
gboolean vss_set_file_sets_cover (GPtrArray *file_sets, const VssSetEntry *e);

/* Opens @rel below @dirfd without following any symlink on the way (each
 * part opened with O_NOFOLLOW); @flags are for the last part. */
int vss_set_open_beneath (int dirfd, const char *rel, int flags);

/* NULL when @stored (in @source) is a regular file of exactly e->size
 * bytes (checked with fstat before anything is read) whose SHA-256 is
 * e->sha256; else what is wrong, and *out_missing when it is not there
 * (vss-set-check-data.c). */
char *vss_set_check_stored_data (const VssBackupSet *source, const char *stored,
                                 const VssSetEntry *e, VssSetCopier *copier,
                                 gboolean *out_missing);

G_END_DECLS
