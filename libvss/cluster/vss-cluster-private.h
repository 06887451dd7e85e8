/* vss-cluster-private.h — the key layout and the barrier wait shared by
 * the requester (vss-cluster-backup.c) and the agents (vss-cluster-member.c,
 * vss-cluster-run.c).
 *
 *   <prefix>/hosts/<host>                 agent's lease: the host is alive
 *   <prefix>/runs/<id>/ctl/request        requester's lease: the request (JSON)
 *   <prefix>/runs/<id>/ctl/go/<phase>     requester: freeze, thaw, complete
 *   <prefix>/runs/<id>/ctl/abort          requester: why the run is abandoned
 *   <prefix>/runs/<id>/host/<h>/alive     agent's lease: it is still there
 *   <prefix>/runs/<id>/host/<h>/<state>   agent, under the requester's lease:
 *                                         prepared, frozen, thawed, done,
 *                                         completed, failed, aborted
 * Everything of a run hangs on the requester's lease, so a requester that
 * dies takes its run with it, and every agent sees the request vanish.
 * Agents in a run watch only ctl/ (a few keys); the requester watches all.
 * Inside the freeze window there is one barrier: every host frozen → go
 * thaw (docs/cluster.md, "The guarantee"). */
#pragma once

#include "vss-etcd.h"

G_BEGIN_DECLS

#define VSS_CLUSTER_MANIFEST "cluster.json"
#define VSS_CLUSTER_DEFAULT_PREPARE_MS 60000
#define VSS_CLUSTER_DEFAULT_COPY_MS 3600000
/* The go to freeze names an instant this far ahead at most. */
#define VSS_CLUSTER_MAX_FREEZE_LEAD_MS 1000

char *vss_cluster_host_key (const char *prefix, const char *host);
char *vss_cluster_run_prefix (const char *prefix, const char *run_id);

typedef enum {
  VSS_BARRIER_WAIT,
  VSS_BARRIER_DONE,
  VSS_BARRIER_ABORT,
} VssBarrierVerdict;

/* Looks at a run's keys (relative to the watched prefix: "go/thaw",
 * "host/a/frozen" …); on ABORT sets *reason. */
typedef VssBarrierVerdict (*VssBarrierCheck) (GHashTable *keys, gpointer data, char **reason);

/* When a call that may try every endpoint has surely ended (monotonic). */
gint64 vss_cluster_call_deadline (const VssClusterConfig *config);

/* A run's keys (relative to @prefix), kept current by a watch on its
 * own thread from vss_run_watch_start to vss_run_watch_stop
 * (vss-cluster-watch.c). */
typedef struct _VssRunWatch VssRunWatch;

/* Returns once the watch is open and @prefix read (NULL with @error when
 * that did not happen by @deadline_usec). */
VssRunWatch *vss_run_watch_start (const VssClusterConfig *config, const char *prefix,
                                  gint64 deadline_usec, GError **error);
void vss_run_watch_stop (VssRunWatch *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssRunWatch, vss_run_watch_stop)

/* Waits until @check (called under the watch's lock) says DONE (TRUE) or
 * ABORT (FALSE, VSS_ERROR_CANCELLED with the reason), or @deadline_usec
 * passes or the watch gives up (FALSE, VSS_ERROR_WRITER_NOT_RESPONDING
 * naming @what). */
gboolean vss_run_watch_wait (VssRunWatch *self, gint64 deadline_usec, VssBarrierCheck check,
                             gpointer data, const char *what, GError **error);

/* When the watch first saw @key (wall clock, µs; 0: never). */
gint64 vss_run_watch_seen_usec (VssRunWatch *self, const char *key);

/* Writes @dir/cluster.json atomically from the hosts' "done" reports,
 * with the requester's @timeline (a JSON object, may be NULL).
 * (vss-cluster-manifest.c) */
gboolean vss_cluster_manifest_write (const char *dir, const char *run_id, GPtrArray *hosts,
                                     GHashTable *keys, const char *timeline, GError **error);

G_END_DECLS
