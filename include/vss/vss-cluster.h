/* vss-cluster.h — cluster snapshot sets: one consistent instant across
 * many hosts, coordinated through etcd (docs/cluster.md).
 *
 * A requester (vss_cluster_backup) writes a request under the cluster
 * prefix and drives the phases as barriers; an agent on each host
 * (`vss agent`, built on VssClusterMember and VssClusterRun) runs its
 * local backup and stops inside the freeze window at the barriers
 * (vss_backup_components_set_window_gate). */
#pragma once

#include <vss/vss-error.h>
#include <vss/vss-backup-components.h>

G_BEGIN_DECLS

/* Where etcd is and how to reach it.  Read from a key file, never from a
 * command line (it may hold a password):
 *   [etcd]
 *   endpoints=http://127.0.0.1:2379;http://127.0.0.1:22379
 *   prefix=/vss/cluster/prod          (an agent acts only below it)
 *   lease-ttl=5                       (seconds)
 *   request-timeout-ms=2000
 *   ca-file=… cert-file=… key-file=…  (TLS; https:// endpoints)
 *   user=… password=…                 (etcd authentication) */
typedef struct {
  char **endpoints;
  char *prefix;
  guint lease_ttl_s;
  guint request_timeout_ms;
  char *ca_file;
  char *cert_file;
  char *key_file;
  char *user;
  char *password;
} VssClusterConfig;

/* The defaults: no endpoint, prefix /vss/cluster/default, TTL 5 s. */
VssClusterConfig *vss_cluster_config_new (void);
/* @path NULL: <config dir>/cluster.conf.  The file must not be readable
 * by others when it holds a password. */
VssClusterConfig *vss_cluster_config_load (const char *path, GError **error);
void vss_cluster_config_free (VssClusterConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssClusterConfig, vss_cluster_config_free)

/* ---- the requester ---- */

typedef struct {
  char **hosts;               /* NULL: every host registered under the prefix */
  const char *destination;    /* the cluster set's directory (must not exist);
                               * each host writes <destination>/<host> */
  guint barrier_timeout_ms;   /* 0: the lease TTL; frozen → commit → thaw */
  guint prepare_timeout_ms;   /* 0: 60000; until every host prepared */
  guint copy_timeout_ms;      /* 0: 3600000; until every host wrote its set */
} VssClusterBackupOptions;

/* Runs one cluster backup to the end.  All or nothing: the cluster
 * manifest (<destination>/cluster.json) is written last, atomically, and
 * only when every host committed while frozen, all hosts were frozen at
 * one instant (docs/cluster.md) and every host wrote its set; otherwise
 * every host aborts and thaws and the call fails. */
gboolean vss_cluster_backup (const VssClusterConfig *config, const VssClusterBackupOptions *options,
                             GError **error);

/* ---- a cluster set on disk ---- */

/* Checks cluster.json and every host's set (vss_backup_set_verify) and
 * that each host's manifest checksum matches; FALSE with the first problem. */
gboolean vss_cluster_set_verify (const char *dir, GError **error);
/* TRUE when @dir holds a cluster manifest. */
gboolean vss_cluster_set_is_cluster (const char *dir);
/* The directory of @host's set inside the cluster set @dir (checked
 * against the manifest). */
char *vss_cluster_set_host_dir (const char *dir, const char *host, GError **error);

/* ---- an agent ---- */

typedef struct _VssClusterMember VssClusterMember;
typedef struct _VssClusterRun VssClusterRun;

/* Registers @name under <prefix>/hosts/ with a lease kept alive by a
 * thread until vss_cluster_member_leave. */
VssClusterMember *vss_cluster_member_join (const VssClusterConfig *config, const char *name,
                                           GError **error);
void vss_cluster_member_leave (VssClusterMember *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssClusterMember, vss_cluster_member_leave)
/* Waits until @deadline_usec (monotonic) for a request that names this
 * host; NULL without an error when none came. */
VssClusterRun *vss_cluster_member_next_run (VssClusterMember *self, gint64 deadline_usec,
                                            GError **error);
/* Tells a run this host left unfinished (say, before a crash) that it
 * failed; nothing when the run is gone. */
void vss_cluster_member_fail_run (VssClusterMember *self, const char *run_id, const char *reason);

const char *vss_cluster_run_get_id (const VssClusterRun *self);
/* <destination>/<host>: where this host writes its set. */
const char *vss_cluster_run_get_host_dir (const VssClusterRun *self);
const char *vss_cluster_run_get_destination (const VssClusterRun *self);
/* Reports @state ("thawed", "done", "failed", "aborted") with a JSON
 * object (NULL: {}) to the requester. */
gboolean vss_cluster_run_report (VssClusterRun *self, const char *state, const char *json,
                                 GError **error);
/* Waits for the requester's go for @phase ("freeze", "thaw",
 * "complete"); FALSE on abort, when the request is gone (its lease
 * expired: the requester died) or at @deadline_usec. */
gboolean vss_cluster_run_wait_go (VssClusterRun *self, const char *phase, gint64 deadline_usec,
                                  GError **error);
/* The barrier deadline the requester asked for, from now (monotonic). */
gint64 vss_cluster_run_barrier_deadline (const VssClusterRun *self);
/* A VssWindowGateFunc (user_data: the run): at FREEZE reports "prepared"
 * and waits for go "freeze"; at COMMIT reports "frozen" and goes on
 * (the commit needs no go); at THAW waits for go "thaw", which says every
 * host is frozen, bounded by the barrier and the window deadline. */
gboolean vss_cluster_run_window_gate (VssBackupComponents *bc, VssWindowGatePoint point,
                                      gint64 deadline_usec, gpointer run, GError **error);
/* Wall-clock times the gate saw (µs): frozen (commit gate entered),
 * committed (thaw gate entered), thaw started (thaw gate passed). */
void vss_cluster_run_get_times (const VssClusterRun *self, gint64 *frozen_usec,
                                gint64 *committed_usec, gint64 *thaw_usec);
void vss_cluster_run_free (VssClusterRun *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssClusterRun, vss_cluster_run_free)

G_END_DECLS
