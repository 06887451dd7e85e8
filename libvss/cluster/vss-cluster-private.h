/* vss-cluster-private.h — the key layout and the barrier wait shared by
 * the requester (vss-cluster-backup.c) and the agents (vss-cluster-member.c,
 * vss-cluster-run.c).
 *
 *   <prefix>/hosts/<host>                 agent's lease: the host is alive
 *   <prefix>/runs/<id>/ctl/request        requester's lease: the request (JSON)
 *   <prefix>/runs/<id>/ctl/go/<phase>     requester: freeze, commit, thaw, complete
 *   <prefix>/runs/<id>/ctl/abort          requester: why the run is abandoned
 *   <prefix>/runs/<id>/host/<h>/alive     agent's lease: it is still there
 *   <prefix>/runs/<id>/host/<h>/<state>   agent, under the requester's lease:
 *                                         prepared, frozen, committed, thawed,
 *                                         done, failed
 * Everything of a run hangs on the requester's lease, so a requester that
 * dies takes its run with it, and every agent sees the request vanish.
 * Agents in a run watch only ctl/ (a few keys); the requester watches all. */
#pragma once

#include "vss-etcd.h"

G_BEGIN_DECLS

#define VSS_CLUSTER_MANIFEST "cluster.json"
#define VSS_CLUSTER_DEFAULT_PREPARE_MS 60000
#define VSS_CLUSTER_DEFAULT_COPY_MS 3600000

char *vss_cluster_host_key (const char *prefix, const char *host);
char *vss_cluster_run_prefix (const char *prefix, const char *run_id);

typedef enum {
  VSS_BARRIER_WAIT,
  VSS_BARRIER_DONE,
  VSS_BARRIER_ABORT,
} VssBarrierVerdict;

/* Looks at a run's keys (relative to the run prefix: "go/commit",
 * "host/a/frozen" …); on ABORT sets *reason. */
typedef VssBarrierVerdict (*VssBarrierCheck) (GHashTable *keys, gpointer data, char **reason);

/* Waits until @check says DONE (TRUE) or ABORT (FALSE, VSS_ERROR_CANCELLED
 * with the reason), or @deadline_usec passes (FALSE,
 * VSS_ERROR_WRITER_NOT_RESPONDING naming @what). */
gboolean vss_cluster_barrier_wait (VssEtcd *etcd, const char *run_prefix, gint64 deadline_usec,
                                   VssBarrierCheck check, gpointer data, const char *what,
                                   GError **error);

/* Work to do once the watch is open (a put that others will answer):
 * doing it then, not before, keeps the watch's setup off the critical
 * path.  FALSE with @error fails the wait. */
typedef gboolean (*VssBarrierArmed) (VssEtcd *etcd, gpointer data, GError **error);

/* vss_cluster_barrier_wait, running @armed (once) as soon as the watch
 * is open and the run read. */
gboolean vss_cluster_barrier_wait_armed (VssEtcd *etcd, const char *run_prefix, gint64 deadline_usec,
                                         VssBarrierCheck check, gpointer data, VssBarrierArmed armed,
                                         gpointer armed_data, const char *what, GError **error);

/* Writes @dir/cluster.json atomically from the hosts' "done" reports.
 * (vss-cluster-manifest.c) */
gboolean vss_cluster_manifest_write (const char *dir, const char *run_id, GPtrArray *hosts,
                                     GHashTable *keys, GError **error);

G_END_DECLS
