/* vss-etcd.h — a small etcd v3 client over the JSON gateway (libsoup-3).
 *
 * Only what cluster snapshots need: put/get/range/delete, leases and a
 * bounded watch.  Keys and values are plain strings here; base64 is done
 * inside.  One VssEtcd is used by one thread (each thread makes its own
 * from the same VssClusterConfig).  Every call is bounded: by the
 * request timeout for plain calls, by the caller's deadline for watches. */
#pragma once

#include <vss/vss-cluster.h>

G_BEGIN_DECLS

typedef struct _VssEtcd VssEtcd;

VssEtcd *vss_etcd_new (const VssClusterConfig *config, GError **error);
void     vss_etcd_free (VssEtcd *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssEtcd, vss_etcd_free)

/* @lease 0: none. */
gboolean vss_etcd_put (VssEtcd *self, const char *key, const char *value, gint64 lease,
                       GError **error);
/* The value, or NULL with @error unset when the key does not exist. */
char    *vss_etcd_get (VssEtcd *self, const char *key, GError **error);
/* Every key under @prefix → value (a new table, keys in full); the
 * store's revision in *out_revision. */
GHashTable *vss_etcd_range_prefix (VssEtcd *self, const char *prefix, gint64 *out_revision,
                                   GError **error);
gboolean vss_etcd_delete_prefix (VssEtcd *self, const char *prefix, GError **error);

/* Sends what follows to the leader's endpoint when it is one of the
 * configured ones (a follower forwards every write to the leader: ~30 %
 * more etcd CPU per put, measured).  Best effort, nothing on failure;
 * any endpoint that fails later is left as before. */
void     vss_etcd_prefer_leader (VssEtcd *self);

gint64   vss_etcd_lease_grant (VssEtcd *self, guint ttl_s, GError **error);
gboolean vss_etcd_lease_keepalive (VssEtcd *self, gint64 lease, GError **error);
gboolean vss_etcd_lease_revoke (VssEtcd *self, gint64 lease, GError **error);

/* One change seen by a watch: @value NULL for a delete. */
typedef struct {
  const char *key;
  const char *value;
  gint64 revision;
} VssEtcdEvent;

/* Called for each change; TRUE stops the watch. */
typedef gboolean (*VssEtcdWatchFunc) (const VssEtcdEvent *event, gpointer user_data);

/* Called each time the watch is established (again, after a broken
 * stream): read the current state here, so that no change is missed and
 * the watch is "synced" in etcd (a watch that starts at a past revision
 * is caught up only every 100 ms).  TRUE stops the watch (the state read
 * was enough); FALSE with @error set fails it. */
typedef gboolean (*VssEtcdWatchReady) (gpointer user_data, gboolean *stop, GError **error);

/* Watches @prefix from now until @ready or @func says stop (TRUE),
 * @deadline_usec (monotonic) passes or @stop (may be NULL) is cancelled
 * (FALSE, VSS_ERROR_WRITER_NOT_RESPONDING), or no endpoint answers.  A
 * broken stream is opened again on the next endpoint, and @ready runs
 * again. */
gboolean vss_etcd_watch_prefix (VssEtcd *self, const char *prefix, gint64 deadline_usec,
                                GCancellable *stop, VssEtcdWatchReady ready, VssEtcdWatchFunc func,
                                gpointer user_data, GError **error);

G_END_DECLS
