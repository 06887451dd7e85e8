/* vss-cluster-run-private.h — a run as an agent sees it; made by
 * vss-cluster-member.c from a request, used by vss-cluster-run.c. */
#pragma once

#include "vss-cluster-private.h"

G_BEGIN_DECLS

struct _VssClusterRun {
  const VssClusterConfig *config;   /* borrowed from the member */
  VssEtcd *etcd;                    /* the agent's thread, then the gate's */
  VssRunWatch *watch;               /* ctl/ of the run, from joining to the end */
  char *id;
  char *host;
  char *run_prefix;
  char *destination;
  char *host_dir;
  gint64 lease;                     /* the requester's */
  guint barrier_ms;
  gint64 frozen_usec, committed_usec, thaw_usec;   /* wall clock */
};

/* From the request's JSON; NULL when it is malformed or outside @dest rules. */
VssClusterRun *vss_cluster_run_new (const VssClusterConfig *config, const char *host,
                                    const char *run_id, const char *request_json, GError **error);

/* Opens the watch on the run's ctl/ keys (before anything of the run
 * is done, so no go is missed and no barrier opens a watch of its own). */
gboolean vss_cluster_run_watch (VssClusterRun *self, GError **error);

G_END_DECLS
