/* vss-set-restore-private.h — the restore plan: every target computed and
 * checked (vss-set-restore-plan.c) before vss-backup-set-restore.c writes
 * anything. */
#pragma once

#include "vss-backup-set-private.h"

G_BEGIN_DECLS

typedef struct {
  const VssSetEntry *entry;
  char *rel;                    /* target below the restore root; "" is the root */
  const VssBackupSet *source;   /* files: the set holding the data */
  const char *stored;           /* files: the data's path in @source */
} VssRestoreItem;

typedef struct {
  const char *component;
  char *root;
  GPtrArray *items;             /* VssRestoreItem, in manifest order */
  guint64 total_bytes;
} VssRestorePlan;

void vss_restore_plan_free (VssRestorePlan *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssRestorePlan, vss_restore_plan_free)

/* Computes and checks every target of @component; reads every file's data
 * once to compare it with the manifest.  Nothing is written. */
VssRestorePlan *vss_restore_plan_new (VssBackupSet *self, GPtrArray *chain,
                                      const char *component, const char *root,
                                      const char *const *mappings, VssSetCopier *copier,
                                      GError **error);

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
