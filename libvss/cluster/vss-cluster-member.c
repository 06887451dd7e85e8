/* vss-cluster-member.c — an agent's membership: its host key under a
 * lease kept alive by a thread, and the requests that name it.
 *
 * The agent reads only keys below its configured prefix, so a request
 * written under any other prefix never reaches it. */
#include "vss-cluster-run-private.h"

#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

struct _VssClusterMember {
  const VssClusterConfig *config;   /* borrowed: must outlive the member */
  char *name;
  char *host_key;
  char *runs_prefix;
  VssEtcd *etcd;
  GHashTable *seen_runs;            /* run ids already handed out */

  GMutex lock;
  GCond cond;
  gboolean stop;
  gint64 lease;
  GThread *keepalive;
};

static char *
host_value (const char *name)
{
  return g_strdup_printf ("{\"name\":\"%s\",\"pid\":%d}", name, (int) getpid ());
}

static gboolean
register_host (VssClusterMember *self, VssEtcd *etcd, GError **error)
{
  gint64 lease = vss_etcd_lease_grant (etcd, self->config->lease_ttl_s, error);
  g_autofree char *value = host_value (self->name);
  if (lease == 0 || !vss_etcd_put (etcd, self->host_key, value, lease, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  self->lease = lease;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* Renews the lease every third of its TTL; a lease that expired (the
 * agent was stopped for longer) is replaced and the host registered again. */
static gpointer
keepalive_run (gpointer data)
{
  VssClusterMember *self = data;
  g_autoptr(VssEtcd) etcd = vss_etcd_new (self->config, NULL);
  gint64 period = MAX (1, self->config->lease_ttl_s) * G_USEC_PER_SEC / 3;
  g_mutex_lock (&self->lock);
  while (!self->stop && etcd != NULL) {
    gint64 until = g_get_monotonic_time () + period;
    while (!self->stop && g_cond_wait_until (&self->cond, &self->lock, until))
      ;
    if (self->stop)
      break;
    gint64 lease = self->lease;
    g_mutex_unlock (&self->lock);
    g_autoptr(GError) error = NULL;
    if (!vss_etcd_lease_keepalive (etcd, lease, &error)) {
      g_message ("cluster: keepalive of %s: %s", self->name, error->message);
      g_clear_error (&error);
      if (!register_host (self, etcd, &error))
        g_message ("cluster: registering %s again: %s", self->name, error->message);
    }
    g_mutex_lock (&self->lock);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

VssClusterMember *
vss_cluster_member_join (const VssClusterConfig *config, const char *name, GError **error)
{
  if (name == NULL || name[0] == '\0' || strchr (name, '/') != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "agent name '%s' must be non-empty without '/'",
                 name != NULL ? name : "");
    return NULL;
  }
  VssClusterMember *self = g_new0 (VssClusterMember, 1);
  self->config = config;
  self->name = g_strdup (name);
  self->host_key = vss_cluster_host_key (config->prefix, name);
  self->runs_prefix = g_strconcat (config->prefix, "/runs/", NULL);
  self->seen_runs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->etcd = vss_etcd_new (config, error);
  if (self->etcd == NULL || !register_host (self, self->etcd, error)) {
    vss_cluster_member_leave (self);
    return NULL;
  }
  self->keepalive = g_thread_new ("cluster-keepalive", keepalive_run, self);
  return self;
}

void
vss_cluster_member_leave (VssClusterMember *self)
{
  if (self == NULL)
    return;
  if (self->keepalive != NULL) {
    g_mutex_lock (&self->lock);
    self->stop = TRUE;
    g_cond_signal (&self->cond);
    g_mutex_unlock (&self->lock);
    g_thread_join (self->keepalive);
  }
  if (self->etcd != NULL && self->lease != 0)
    vss_etcd_lease_revoke (self->etcd, self->lease, NULL);   /* gone at once, not after the TTL */
  vss_etcd_free (self->etcd);
  g_hash_table_unref (self->seen_runs);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->name);
  g_free (self->host_key);
  g_free (self->runs_prefix);
  g_free (self);
}

/* "<id>" of "<prefix>/runs/<id>/ctl/request", or NULL for any other key. */
static char *
request_run_id (const VssClusterMember *self, const char *key)
{
  if (!g_str_has_prefix (key, self->runs_prefix) || !g_str_has_suffix (key, "/ctl/request"))
    return NULL;
  const char *id = key + strlen (self->runs_prefix);
  char *run_id = g_strndup (id, strlen (id) - strlen ("/ctl/request"));
  if (run_id[0] == '\0' || strchr (run_id, '/') != NULL)
    g_clear_pointer (&run_id, g_free);
  return run_id;
}

typedef struct {
  VssClusterMember *self;
  VssClusterRun *run;
} NextRun;

static gboolean
consider_request (const VssEtcdEvent *event, gpointer data)
{
  NextRun *next = data;
  g_autofree char *run_id = event->value != NULL ? request_run_id (next->self, event->key) : NULL;
  if (run_id == NULL || g_hash_table_contains (next->self->seen_runs, run_id))
    return FALSE;
  g_autoptr(GError) error = NULL;
  next->run = vss_cluster_run_new (next->self->config, next->self->name, run_id, event->value, &error);
  if (next->run == NULL) {
    g_debug ("cluster: skipping run %s: %s", run_id, error->message);
    return FALSE;
  }
  g_hash_table_add (next->self->seen_runs, g_steal_pointer (&run_id));
  /* Under this agent's lease: the requester sees the agent die or stop
   * within the TTL, whatever phase it is in. */
  g_mutex_lock (&next->self->lock);
  gint64 lease = next->self->lease;
  g_mutex_unlock (&next->self->lock);
  g_autofree char *key = g_strconcat (next->run->run_prefix, "host/", next->self->name, "/alive", NULL);
  if (!vss_etcd_put (next->self->etcd, key, "{}", lease, &error) || !vss_cluster_run_watch (next->run, &error)) {
    g_debug ("cluster: cannot join run %s: %s", next->run->id, error->message);
    g_clear_pointer (&next->run, vss_cluster_run_free);
    return FALSE;
  }
  return TRUE;
}

/* A request made before the watch started (even while the agent was
 * away) still counts. */
static gboolean
read_runs (gpointer data, gboolean *stop, GError **error)
{
  NextRun *next = data;
  g_autoptr(GHashTable) runs = vss_etcd_range_prefix (next->self->etcd, next->self->runs_prefix, NULL, error);
  if (runs == NULL)
    return FALSE;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, runs);
  while (next->run == NULL && g_hash_table_iter_next (&it, &k, &v)) {
    VssEtcdEvent event = { k, v, 0 };
    consider_request (&event, next);
  }
  *stop = next->run != NULL;
  return TRUE;
}

VssClusterRun *
vss_cluster_member_next_run (VssClusterMember *self, gint64 deadline_usec, GError **error)
{
  NextRun next = { self, NULL };
  GError *local = NULL;
  if (!vss_etcd_watch_prefix (self->etcd, self->runs_prefix, deadline_usec, NULL, read_runs, consider_request,
                              &next, &local)) {
    if (g_error_matches (local, VSS_ERROR, VSS_ERROR_WRITER_NOT_RESPONDING))
      g_clear_error (&local);      /* nothing came: not an error */
    else
      g_propagate_error (error, local);
  }
  return next.run;
}

void
vss_cluster_member_fail_run (VssClusterMember *self, const char *run_id, const char *reason)
{
  g_autofree char *prefix = vss_cluster_run_prefix (self->config->prefix, run_id);
  g_autofree char *request_key = g_strconcat (prefix, "ctl/request", NULL);
  g_autofree char *request = vss_etcd_get (self->etcd, request_key, NULL);
  if (request == NULL)
    return;
  g_autoptr(VssClusterRun) run = vss_cluster_run_new (self->config, self->name, run_id, request, NULL);
  g_hash_table_add (self->seen_runs, g_strdup (run_id));
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "reason", json_object_new_string (reason));
  if (run != NULL)
    vss_cluster_run_report (run, "failed", json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN), NULL);
  json_object_put (obj);
}
