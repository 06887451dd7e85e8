/* vss-cluster-run.c — one cluster backup as an agent takes part in it:
 * reports to the requester and waits for its go, inside the freeze
 * window through the window gate. */
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
  return self;
}

void
vss_cluster_run_free (VssClusterRun *self)
{
  if (self == NULL)
    return;
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

static gboolean
report_with (VssClusterRun *self, VssEtcd *etcd, const char *state, const char *json, GError **error)
{
  g_autofree char *key = g_strconcat (self->run_prefix, "host/", self->host, "/", state, NULL);
  /* Under the requester's lease: a put after it expired fails, which is
   * how an agent learns late that the run is over. */
  return vss_etcd_put (etcd, key, json != NULL ? json : "{}", self->lease, error);
}

gboolean
vss_cluster_run_report (VssClusterRun *self, const char *state, const char *json, GError **error)
{
  return report_with (self, self->etcd, state, json, error);
}

static VssBarrierVerdict
check_go (GHashTable *keys, gpointer data, char **reason)
{
  const char *go_key = data;
  const char *abort_reason = g_hash_table_lookup (keys, "abort");
  if (abort_reason != NULL) {
    *reason = g_strdup (abort_reason);
    return VSS_BARRIER_ABORT;
  }
  if (!g_hash_table_contains (keys, "request")) {
    *reason = g_strdup ("the request is gone (the requester's lease expired or it gave up)");
    return VSS_BARRIER_ABORT;
  }
  return g_hash_table_contains (keys, go_key) ? VSS_BARRIER_DONE : VSS_BARRIER_WAIT;
}

typedef struct {
  VssClusterRun *run;
  const char *state;
  const char *json;
} Report;

static gboolean
report_armed (VssEtcd *etcd, gpointer data, GError **error)
{
  Report *r = data;
  return report_with (r->run, etcd, r->state, r->json, error);
}

/* Waits for go @phase; @report (or NULL) is put once the watch is open. */
static gboolean
wait_go_with (VssClusterRun *self, VssEtcd *etcd, const char *phase, Report *report, gint64 deadline_usec,
              GError **error)
{
  g_autofree char *go_key = g_strconcat ("go/", phase, NULL);
  g_autofree char *what = g_strdup_printf ("%s: waiting for the go to %s", self->host, phase);
  gint64 start = g_get_monotonic_time ();
  /* Only the requester's keys: with N hosts, watching the reports too
   * would wake every agent N times per phase. */
  g_autofree char *ctl_prefix = g_strconcat (self->run_prefix, "ctl/", NULL);
  gboolean ok = vss_cluster_barrier_wait_armed (etcd, ctl_prefix, deadline_usec, check_go, go_key,
                                                report != NULL ? report_armed : NULL, report, what, error);
  g_debug ("cluster %s: %s: go %s after %.1f ms: %s", self->id, self->host, phase,
           (g_get_monotonic_time () - start) / 1000.0, ok ? "yes" : "no");
  return ok;
}

gboolean
vss_cluster_run_wait_go (VssClusterRun *self, const char *phase, gint64 deadline_usec, GError **error)
{
  return wait_go_with (self, self->etcd, phase, NULL, deadline_usec, error);
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
   * one thread at a time, its connections already open. */
  if (point == VSS_WINDOW_GATE_FREEZE) {
    /* Prepared (prepare_snapshot done): all hosts then freeze together. */
    Report prepared = { self, "prepared", NULL };
    return wait_go_with (self, self->etcd, "freeze", &prepared,
                         g_get_monotonic_time () + (gint64) VSS_CLUSTER_DEFAULT_PREPARE_MS * 1000, error);
  }
  gint64 deadline = MIN (deadline_usec - GATE_MARGIN_USEC, vss_cluster_run_barrier_deadline (self));
  gboolean at_commit = point == VSS_WINDOW_GATE_COMMIT;
  gint64 now = g_get_real_time ();
  if (at_commit)
    self->frozen_usec = now;
  else
    self->committed_usec = now;
  g_autofree char *json = time_json (now);
  Report report = { self, at_commit ? "frozen" : "committed", json };
  if (!wait_go_with (self, self->etcd, at_commit ? "commit" : "thaw", &report, deadline, error))
    return FALSE;
  if (!at_commit)
    self->thaw_usec = g_get_real_time ();
  return TRUE;
}
