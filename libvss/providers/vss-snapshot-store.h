/* vss-snapshot-store.h — what the coordinator tells the snapshot store
 * (the public side is include/vss/vss-snapshots.h). */
#pragma once

#include "vss-provider.h"

G_BEGIN_DECLS

/* Records @snapshots (VssSnapshot, one set, not empty) as made by this
 * process, replacing the set's record: called once the providers have
 * prepared (so a crash in the window leaves findable leftovers) and again
 * once they committed.  With @snapshots empty or NULL nothing happens. */
gboolean vss_snapshot_store_record (GPtrArray *snapshots, GError **error);

/* Called after the coordinator removed @snapshots (or kept the persistent
 * ones): the record keeps exactly those still on disk — kept persistent
 * snapshots, and any whose removal failed so a later clean-up retries —
 * and disappears when none is left. */
void vss_snapshot_store_unrecord (GPtrArray *snapshots);

G_END_DECLS
