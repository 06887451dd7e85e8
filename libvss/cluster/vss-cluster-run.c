/* vss-cluster-run.c — one cluster backup as an agent takes part in it:
 * reports to the requester and waits for its go, around and inside the
 * freeze window through the window gate.
 *
 * Inside the window there is one barrier: the host reports "frozen" and
 * commits at once; it thaws when the requester's go says every host is
 * frozen (docs/cluster.md, "The guarantee", for why that is enough). */
#include "vss-cluster-run-private.h"

#include <json-c/json.h>
#include <string.h>

/* The gate stops waiting this long before the earliest writer window
 * ends, so the coordinator thaws before any writer's own timer fires. */
#define GATE_MARGIN_USEC (100 * 1000)

static const char *
json_string_member (json_object *obj, const char *member)
{
  json_object *v = NULL;
  return json_object_object_get_ex (obj, member, &v) ? json_object_get_string (v) : NULL;
}

static gboolean
names_host (json_object *request, const char *host)
{
  json_object *hosts = NULL;
  if (!json_object_object_get_ex (request, "hosts", &hosts))
    return FALSE;
  for (size_t i = 0; i < json_object_array_length (hosts); i++)
    if (g_strcmp0 (json_object_get_string (json_object_array_get_idx (hosts, i)), host) == 0)
      return TRUE;
  return FALSE;
}

VssClusterRun *
vss_cluster_run_new (const VssClusterConfig *config, const char *host, const char *run_id,
                     const char *request_json, GError **error)
{
  json_object *request = json_tokener_parse (request_json);
  const char *dest = request != NULL ? json_string_member (request, "destination") : NULL;
  if (request == NULL || dest == NULL || !g_path_is_absolute (dest) || !names_host (request, host)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "cluster request %s is malformed or not for %s",
                 run_id, host);
    json_object_put (request);
    return NULL;
  }
  VssClusterRun *self = g_new0 (VssClusterRun, 1);
  self->config = config;
  self->id = g_strdup (run_id);
  self->host = g_strdup (host);
  self->run_prefix = vss_cluster_run_prefix (config->prefix, run_id);
  self->destination = g_strdup (dest);
  self->host_dir = g_build_filename (dest, host, NULL);
  json_object *v = NULL;
  self->lease = json_object_object_get_ex (request, "lease", &v) ? json_object_get_int64 (v) : 0;
  self->barrier_ms = json_object_object_get_ex (request, "barrier_ms", &v) ? (guint) json_object_get_int (v) : 0;
  if (self->barrier_ms == 0)
    self->barrier_ms = config->lease_ttl_s * 1000;
  json_object_put (request);
  self->etcd = vss_etcd_new (config, error);
  if (self->etcd == NULL) {
    vss_cluster_run_free (self);
    return NULL;
  }
  /* Now, not inside the window: the reports go straight to the leader. */
  vss_etcd_prefer_leader (self->etcd);
  return self;
}

void
vss_cluster_run_free (VssClusterRun *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->watch, vss_run_watch_stop);
  vss_etcd_free (self->etcd);
  g_free (self->id);
  g_free (self->host);
  g_free (self->run_prefix);
  g_free (self->destination);
  g_free (self->host_dir);
  g_free (self);
}

const char *vss_cluster_run_get_id (const VssClusterRun *self) { return self->id; }
const char *vss_cluster_run_get_host_dir (const VssClusterRun *self) { return self->host_dir; }
const char *vss_cluster_run_get_destination (const VssClusterRun *self) { return self->destination; }

gint64
vss_cluster_run_barrier_deadline (const VssClusterRun *self)
{
  return g_get_monotonic_time () + (gint64) self->barrier_ms * 1000;
}

void
vss_cluster_run_get_times (const VssClusterRun *self, gint64 *frozen_usec, gint64 *committed_usec,
                           gint64 *thaw_usec)
{
  *frozen_usec = self->frozen_usec;
  *committed_usec = self->committed_usec;
  *thaw_usec = self->thaw_usec;
}

gboolean
vss_cluster_run_watch (VssClusterRun *self, GError **error)
{
  g_autofree char *ctl_prefix = g_strconcat (self->run_prefix, "ctl/", NULL);
  /* Only the requester's keys: with N hosts, watching the reports too
   * would wake every agent N times per phase. */
  self->watch = vss_run_watch_start (self->config, ctl_prefix, vss_cluster_call_deadline (self->config), error);
  return self->watch != NULL;
}

gboolean
vss_cluster_run_report (VssClusterRun *self, const char *state, const char *json, GError **error)
{
  g_autofree char *key = g_strconcat (self->run_prefix, "host/", self->host, "/", state, NULL);
  /* Under the requester's lease: a put after it expired fails, which is
   * how an agent learns late that the run is over. */
  return vss_etcd_put (self->etcd, key, json != NULL ? json : "{}", self->lease, error);
}

typedef struct {
  char *key;          /* "go/<phase>" */
  char *value;        /* the go's value once it came */
} Go;

static VssBarrierVerdict
check_go (GHashTable *keys, gpointer data, char **reason)
{
  Go *go = data;
  const char *abort_reason = g_hash_table_lookup (keys, "abort");
  if (abort_reason != NULL) {
    *reason = g_strdup (abort_reason);
    return VSS_BARRIER_ABORT;
  }
  if (!g_hash_table_contains (keys, "request")) {
    *reason = g_strdup ("the request is gone (the requester's lease expired or it gave up)");
    return VSS_BARRIER_ABORT;
  }
  const char *value = g_hash_table_lookup (keys, go->key);
  if (value == NULL)
    return VSS_BARRIER_WAIT;
  go->value = g_strdup (value);
  return VSS_BARRIER_DONE;
}

/* Waits for go @phase; its value in *out_value when asked for. */
static gboolean
wait_go (VssClusterRun *self, const char *phase, gint64 deadline_usec, char **out_value, GError **error)
{
  if (self->watch == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE, "%s: run %s is not watched", self->host, self->id);
    return FALSE;
  }
  Go go = { g_strconcat ("go/", phase, NULL), NULL };
  g_autofree char *what = g_strdup_printf ("%s: waiting for the go to %s", self->host, phase);
  gint64 start = g_get_monotonic_time ();
  gboolean ok = vss_run_watch_wait (self->watch, deadline_usec, check_go, &go, what, error);
  g_debug ("cluster %s: %s: go %s after %.1f ms: %s", self->id, self->host, phase,
           (g_get_monotonic_time () - start) / 1000.0, ok ? "yes" : "no");
  if (ok && out_value != NULL)
    *out_value = g_steal_pointer (&go.value);
  g_free (go.key);
  g_free (go.value);
  return ok;
}

gboolean
vss_cluster_run_wait_go (VssClusterRun *self, const char *phase, gint64 deadline_usec, GError **error)
{
  return wait_go (self, phase, deadline_usec, NULL, error);
}

/* The go to freeze names an instant a little ahead (wall clock), so that
 * hosts woken one after the other by its delivery still freeze together:
 * the earliest host's window does not grow by the others' wake-up.
 * Only the spread depends on the clocks; the order of freeze and thaw
 * comes from etcd.  A go that came late freezes at once. */
static void
sleep_until_freeze_instant (const char *go_value)
{
  json_object *go = json_tokener_parse (go_value != NULL ? go_value : "");
  json_object *v = NULL;
  gint64 at = go != NULL && json_object_object_get_ex (go, "freeze_at_usec", &v) ? json_object_get_int64 (v) : 0;
  json_object_put (go);
  gint64 wait = at - g_get_real_time ();
  if (wait > 0)
    g_usleep ((gulong) MIN (wait, VSS_CLUSTER_MAX_FREEZE_LEAD_MS * 1000));
}

static char *
time_json (gint64 usec)
{
  return g_strdup_printf ("{\"at_usec\":%" G_GINT64_FORMAT "}", usec);
}

gboolean
vss_cluster_run_window_gate (VssBackupComponents *bc, VssWindowGatePoint point, gint64 deadline_usec,
                             gpointer run, GError **error)
{
  VssClusterRun *self = run;
  /* The agent's thread waits in do_snapshot_set meanwhile, so the run's
   * client (libsoup >= 3.2 sessions may move between threads) is used by
   * one thread at a time, its connection already open. */
  switch (point) {
  case VSS_WINDOW_GATE_FREEZE:
    /* Prepared (prepare_snapshot done): all hosts then freeze together. */
  {
    g_autofree char *go = NULL;
    if (!vss_cluster_run_report (self, "prepared", NULL, error) ||
        !wait_go (self, "freeze", g_get_monotonic_time () + (gint64) VSS_CLUSTER_DEFAULT_PREPARE_MS * 1000, &go,
                  error))
      return FALSE;
    sleep_until_freeze_instant (go);
    return TRUE;
  }
  case VSS_WINDOW_GATE_COMMIT: {
    /* Frozen: said at once; the commit needs no go (its snapshot shows
     * what the frozen writers hold, whenever in the window it is taken). */
    self->frozen_usec = g_get_real_time ();
    g_autofree char *json = time_json (self->frozen_usec);
    return vss_cluster_run_report (self, "frozen", json, error);
  }
  case VSS_WINDOW_GATE_THAW: {
    /* No thaw before every host is frozen: the one barrier. */
    self->committed_usec = g_get_real_time ();
    gint64 deadline = MIN (deadline_usec - GATE_MARGIN_USEC, vss_cluster_run_barrier_deadline (self));
    if (!vss_cluster_run_wait_go (self, "thaw", deadline, error))
      return FALSE;
    self->thaw_usec = g_get_real_time ();
    return TRUE;
  }
  }
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "window gate: unknown point %d", (int) point);
  return FALSE;
}
