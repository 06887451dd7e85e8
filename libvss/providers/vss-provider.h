/* vss-provider.h — snapshot providers.
 *
 * A provider makes a read-only image of one path at the instant of its
 * commit.  The coordinator calls, per snapshot of the set:
 *   supports()  when the path is added (pick or refuse a provider),
 *   prepare()   before writers freeze (slow work, estimates, veto),
 *   commit()    inside the frozen window, bounded by @deadline_usec, or
 *               after the thaw with no deadline (0) when after_thaw is set,
 *   remove()    when the snapshot ends (or a failed set is rolled back).
 * Errors are in VSS_ERROR: VOLUME_NOT_SUPPORTED_BY_PROVIDER from supports,
 * PROVIDER_VETO from prepare, HOLD_WRITES_TIMEOUT when commit runs past
 * its deadline, UNEXPECTED_PROVIDER_ERROR otherwise. */
#pragma once

#include <vss/vss.h>

G_BEGIN_DECLS

typedef struct _VssProvider VssProvider;

typedef struct {
  char *snapshot_id;
  char *snapshot_set_id;
  char *original_path;        /* absolute, canonical */
  char *snapshot_path;        /* set by commit */
  char *storage_path;         /* provider's own place for the image (may equal snapshot_path) */
  char *storage_root;         /* where the set asked images to go (NULL: the state dir) */
  char *provider_data;        /* the provider's own note, kept in the set record so that a
                               * later process can remove the snapshot (fsfreeze: its command) */
  const VssProvider *provider;
  VssSnapshotContext context;
  gint64 created_usec;        /* wall clock of the commit */
  gboolean committed;
  gboolean after_thaw;        /* committed after the writers thawed (a tree no writer owns):
                               * no hold limit applies, nobody waits for it */
} VssSnapshot;

struct _VssProvider {
  const char *name;
  guint cost;                 /* lower is cheaper; auto-selection tries cheapest first */
  gboolean by_name_only;      /* never auto-selected: it needs configuring (fsfreeze) */
  gboolean atomic;            /* the snapshot holds the whole tree at one instant (else file
                               * by file: files copied at different moments) */
  gboolean freezes_filesystem; /* commit freezes the whole filesystem (FIFREEZE): no other
                                * snapshot of the set may be on it */
  gboolean (*supports) (const char *path, GError **error);
  gboolean (*prepare) (VssSnapshot *snapshot, guint hold_budget_ms, GError **error);
  gboolean (*commit) (VssSnapshot *snapshot, gint64 deadline_usec, GError **error);
  gboolean (*remove) (VssSnapshot *snapshot, GError **error);
  /* Optional: hands a committed image that is a private copy over to the
   * requester, writable, so that its files can be moved (not copied) into a
   * backup set; remove() still deletes what is left.  NULL: the image is
   * shared with the original (a snapshot, clones) and must be copied. */
  gboolean (*release) (VssSnapshot *snapshot, GError **error);
};

/* The built-in providers, cheapest first. */
const VssProvider *const *vss_provider_list (void);
/* By name; VSS_ERROR_PROVIDER_NOT_REGISTERED naming the known ones. */
const VssProvider *vss_provider_lookup (const char *name, GError **error);
/* The cheapest provider that supports @path (by_name_only ones left out);
 * VSS_ERROR_VOLUME_NOT_SUPPORTED naming the filesystem when none does. */
const VssProvider *vss_provider_choose (const char *path, GError **error);

VssSnapshot *vss_snapshot_new (const char *snapshot_set_id, const char *original_path,
                               const VssProvider *provider, VssSnapshotContext context);
void         vss_snapshot_free (VssSnapshot *self);
/* What a requester is told about @self (the path only once committed). */
VssSnapshotProp *vss_snapshot_to_prop (const VssSnapshot *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSnapshot, vss_snapshot_free)

/* The built-in providers (vss-provider-<name>.c). */
extern const VssProvider vss_provider_btrfs;
extern const VssProvider vss_provider_reflink;
extern const VssProvider vss_provider_copy;
extern const VssProvider vss_provider_fsfreeze;

G_END_DECLS
