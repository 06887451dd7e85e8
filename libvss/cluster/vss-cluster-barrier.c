/* vss-cluster-barrier.c — waiting for a condition over a run's keys.
 *
 * The watch is opened first, then the run is read (at every (re)connect),
 * so no change between the two is missed and the watch is one etcd
 * serves at once; the condition is checked after the read and after
 * every change newer than it. */
#include "vss-cluster-private.h"

#include <string.h>

char *
vss_cluster_host_key (const char *prefix, const char *host)
{
  return g_strconcat (prefix, "/hosts/", host, NULL);
}

char *
vss_cluster_run_prefix (const char *prefix, const char *run_id)
{
  return g_strconcat (prefix, "/runs/", run_id, "/", NULL);
}

typedef struct {
  VssEtcd *etcd;
  const char *run_prefix;
  gint64 read_revision;       /* changes up to it are in @keys */
  GHashTable *keys;           /* relative key → value */
  VssBarrierCheck check;
  gpointer data;
  VssBarrierVerdict verdict;
  char *reason;
  VssBarrierArmed armed;      /* NULL once it ran */
  gpointer armed_data;
} BarrierWait;

static gboolean
apply_event (const VssEtcdEvent *event, gpointer data)
{
  BarrierWait *w = data;
  if (!g_str_has_prefix (event->key, w->run_prefix) || event->revision <= w->read_revision)
    return FALSE;
  const char *rel = event->key + strlen (w->run_prefix);
  if (event->value != NULL)
    g_hash_table_replace (w->keys, g_strdup (rel), g_strdup (event->value));
  else
    g_hash_table_remove (w->keys, rel);
  w->verdict = w->check (w->keys, w->data, &w->reason);
  return w->verdict != VSS_BARRIER_WAIT;
}

static GHashTable *
relative_keys (GHashTable *full, const char *run_prefix)
{
  GHashTable *keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, full);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (keys, g_strdup ((char *) k + strlen (run_prefix)), g_strdup (v));
  return keys;
}

static gboolean
read_run (gpointer data, gboolean *stop, GError **error)
{
  BarrierWait *w = data;
  g_autoptr(GHashTable) full = vss_etcd_range_prefix (w->etcd, w->run_prefix, &w->read_revision, error);
  if (full == NULL)
    return FALSE;
  g_hash_table_unref (w->keys);
  w->keys = relative_keys (full, w->run_prefix);
  VssBarrierArmed armed = g_steal_pointer (&w->armed);
  if (armed != NULL && !armed (w->etcd, w->armed_data, error))
    return FALSE;
  w->verdict = w->check (w->keys, w->data, &w->reason);
  *stop = w->verdict != VSS_BARRIER_WAIT;
  return TRUE;
}

gboolean
vss_cluster_barrier_wait (VssEtcd *etcd, const char *run_prefix, gint64 deadline_usec,
                          VssBarrierCheck check, gpointer data, const char *what, GError **error)
{
  return vss_cluster_barrier_wait_armed (etcd, run_prefix, deadline_usec, check, data, NULL, NULL, what,
                                         error);
}

gboolean
vss_cluster_barrier_wait_armed (VssEtcd *etcd, const char *run_prefix, gint64 deadline_usec,
                                VssBarrierCheck check, gpointer data, VssBarrierArmed armed,
                                gpointer armed_data, const char *what, GError **error)
{
  BarrierWait w = { etcd, run_prefix, 0, g_hash_table_new (g_str_hash, g_str_equal), check, data,
                    VSS_BARRIER_WAIT, NULL, armed, armed_data };
  GError *local = NULL;
  if (!vss_etcd_watch_prefix (etcd, run_prefix, deadline_usec, read_run, apply_event, &w, &local))
    g_prefix_error (&local, "%s: ", what);
  gboolean done = w.verdict == VSS_BARRIER_DONE;
  if (w.verdict == VSS_BARRIER_ABORT) {
    g_clear_error (&local);
    g_set_error (&local, VSS_ERROR, VSS_ERROR_CANCELLED, "cluster backup aborted: %s",
                 w.reason != NULL ? w.reason : "no reason given");
  }
  if (done)
    g_clear_error (&local);
  if (local != NULL)
    g_propagate_error (error, local);
  g_hash_table_unref (w.keys);
  g_free (w.reason);
  return done;
}
