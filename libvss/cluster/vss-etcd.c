/* vss-etcd.c — etcd v3 over its JSON gateway, with libsoup-3.
 *
 * Each call goes to the current endpoint; when that one cannot be
 * reached (connection refused, timeout, 5xx) the next is tried, each
 * endpoint once per call, so one stopped member of three costs one
 * failed connection.  Authentication: a token from /v3/auth/authenticate,
 * fetched again once when etcd says it is invalid. */
#include "vss-etcd.h"

#include <json-c/json.h>
#include <libsoup/soup.h>
#include <string.h>

struct _VssEtcd {
  SoupSession *session;
  SoupSession *watch_session;   /* no I/O timeout: a quiet watch is fine */
  char **endpoints;
  guint current;
  char *user;
  char *password;
  char *token;
  GTlsCertificate *client_certificate;
};

static char *
b64 (const char *s)
{
  return g_base64_encode ((const guchar *) s, strlen (s));
}

static char *
unb64 (const char *s)
{
  gsize len = 0;
  guchar *raw = g_base64_decode (s != NULL ? s : "", &len);
  char *out = g_strndup ((const char *) raw, len);
  g_free (raw);
  return out;
}

/* The key just after every key that starts with @prefix. */
static char *
prefix_end (const char *prefix)
{
  char *end = g_strdup (prefix);
  gsize n = strlen (end);
  g_return_val_if_fail (n > 0, end);
  end[n - 1]++;
  return end;
}

static gint64
json_int64 (json_object *obj, const char *member)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (obj, member, &v))
    return 0;
  /* int64 fields come as strings from the gateway */
  return json_object_is_type (v, json_type_string) ? g_ascii_strtoll (json_object_get_string (v), NULL, 10)
                                                   : json_object_get_int64 (v);
}

static gboolean
set_up_tls (VssEtcd *self, const VssClusterConfig *config, GError **error)
{
  if (config->ca_file != NULL) {
    g_autoptr(GTlsDatabase) db = g_tls_file_database_new (config->ca_file, error);
    if (db == NULL)
      return FALSE;
    soup_session_set_tls_database (self->session, db);
    soup_session_set_tls_database (self->watch_session, db);
  }
  if (config->cert_file != NULL) {
    self->client_certificate = g_tls_certificate_new_from_files (
        config->cert_file, config->key_file != NULL ? config->key_file : config->cert_file, error);
    if (self->client_certificate == NULL)
      return FALSE;
  }
  return TRUE;
}

VssEtcd *
vss_etcd_new (const VssClusterConfig *config, GError **error)
{
  g_return_val_if_fail (config != NULL && config->endpoints != NULL && config->endpoints[0] != NULL, NULL);
  VssEtcd *self = g_new0 (VssEtcd, 1);
  guint timeout_s = MAX (1, (config->request_timeout_ms + 999) / 1000);
  self->session = soup_session_new_with_options ("timeout", timeout_s, "idle-timeout", 30,
                                                 "user-agent", "vss-cluster", NULL);
  self->watch_session = soup_session_new_with_options ("timeout", 0, "user-agent", "vss-cluster", NULL);
  self->endpoints = g_strdupv (config->endpoints);
  self->user = g_strdup (config->user);
  self->password = g_strdup (config->password);
  if (!set_up_tls (self, config, error)) {
    vss_etcd_free (self);
    return NULL;
  }
  return self;
}

void
vss_etcd_free (VssEtcd *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->session);
  g_clear_object (&self->watch_session);
  g_clear_object (&self->client_certificate);
  g_strfreev (self->endpoints);
  g_free (self->user);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->token);
  g_free (self);
}

static SoupMessage *
new_message (VssEtcd *self, const char *endpoint, const char *path, const char *body)
{
  g_autofree char *url = g_strconcat (endpoint, path, NULL);
  SoupMessage *msg = soup_message_new ("POST", url);
  if (msg == NULL)
    return NULL;
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  if (self->token != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", self->token);
  if (self->client_certificate != NULL)
    soup_message_set_tls_client_certificate (msg, self->client_certificate);
  return msg;
}

/* One POST to one endpoint: the parsed reply, or NULL; *retry says the
 * next endpoint may do better. */
static json_object *
post_once (VssEtcd *self, const char *endpoint, const char *path, const char *body, gboolean *retry,
           GError **error)
{
  g_autoptr(SoupMessage) msg = new_message (self, endpoint, path, body);
  *retry = FALSE;
  if (msg == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "etcd: bad endpoint %s", endpoint);
    return NULL;
  }
  g_autoptr(GBytes) reply = soup_session_send_and_read (self->session, msg, NULL, error);
  if (reply == NULL) {
    *retry = TRUE;
    return NULL;
  }
  guint status = soup_message_get_status (msg);
  gsize len = 0;
  const char *data = g_bytes_get_data (reply, &len);
  g_autofree char *text = g_strndup (data, len);
  if (status != SOUP_STATUS_OK) {
    *retry = status >= 500;
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "etcd %s%s: HTTP %u: %s", endpoint, path,
                 status, g_strstrip (text));
    return NULL;
  }
  json_object *obj = json_tokener_parse (text);
  if (obj == NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_DOCUMENT, "etcd %s%s: reply is not JSON", endpoint, path);
  return obj;
}

static gboolean
authenticate (VssEtcd *self, GError **error);

/* POSTs @body to @path, trying each endpoint once from the current one. */
static json_object *
post (VssEtcd *self, const char *path, const char *body, GError **error)
{
  guint n = g_strv_length (self->endpoints);
  GError *last = NULL;
  for (guint tries = 0; tries < n; tries++) {
    const char *endpoint = self->endpoints[self->current];
    gboolean retry = FALSE;
    g_clear_error (&last);
    json_object *obj = post_once (self, endpoint, path, body, &retry, &last);
    if (obj != NULL)
      return obj;
    if (g_strrstr (last->message, "invalid auth token") != NULL && self->user != NULL &&
        !g_str_equal (path, "/v3/auth/authenticate")) {
      g_clear_pointer (&self->token, g_free);
      if (!authenticate (self, error)) {
        g_clear_error (&last);
        return NULL;
      }
      tries--;      /* once: authenticate clears nothing else */
      continue;
    }
    if (!retry)
      break;
    self->current = (self->current + 1) % n;
  }
  g_propagate_error (error, last);
  return NULL;
}

static gboolean
authenticate (VssEtcd *self, GError **error)
{
  json_object *req = json_object_new_object ();
  json_object_object_add (req, "name", json_object_new_string (self->user));
  json_object_object_add (req, "password", json_object_new_string (self->password != NULL ? self->password : ""));
  g_autofree char *body = g_strdup (json_object_to_json_string_ext (req, JSON_C_TO_STRING_PLAIN));
  json_object_put (req);
  json_object *reply = post (self, "/v3/auth/authenticate", body, error);
  if (reply == NULL)
    return FALSE;
  json_object *token = NULL;
  gboolean ok = json_object_object_get_ex (reply, "token", &token);
  if (ok)
    self->token = g_strdup (json_object_get_string (token));
  else
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED, "etcd: authentication gave no token");
  json_object_put (reply);
  return ok;
}

/* Posts @req (consumed), authenticating first when a user is configured. */
static json_object *
call (VssEtcd *self, const char *path, json_object *req, GError **error)
{
  g_autofree char *body = g_strdup (json_object_to_json_string_ext (req, JSON_C_TO_STRING_PLAIN));
  json_object_put (req);
  if (self->user != NULL && self->token == NULL && !authenticate (self, error))
    return NULL;
  return post (self, path, body, error);
}

static void
add_string (json_object *obj, const char *member, const char *value)
{
  json_object_object_add (obj, member, json_object_new_string (value));
}

/* {"key": @key} or, with @prefix, the range of every key under it. */
static json_object *
key_request (const char *key, gboolean prefix)
{
  json_object *req = json_object_new_object ();
  g_autofree char *k = b64 (key);
  add_string (req, "key", k);
  if (prefix) {
    g_autofree char *end = prefix_end (key);
    g_autofree char *e = b64 (end);
    add_string (req, "range_end", e);
  }
  return req;
}

gboolean
vss_etcd_put (VssEtcd *self, const char *key, const char *value, gint64 lease, GError **error)
{
  json_object *req = key_request (key, FALSE);
  g_autofree char *v = b64 (value);
  add_string (req, "value", v);
  if (lease != 0)
    json_object_object_add (req, "lease", json_object_new_int64 (lease));
  json_object *reply = call (self, "/v3/kv/put", req, error);
  if (reply == NULL)
    return FALSE;
  json_object *err = NULL;
  gboolean ok = !json_object_object_get_ex (reply, "error", &err);
  if (!ok)
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "etcd: put %s: %s", key, json_object_get_string (err));
  json_object_put (reply);
  return ok;
}

static GHashTable *
range (VssEtcd *self, const char *key, gboolean prefix, gint64 *out_revision, GError **error)
{
  json_object *reply = call (self, "/v3/kv/range", key_request (key, prefix), error);
  if (reply == NULL)
    return NULL;
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  json_object *header = NULL, *kvs = NULL;
  if (out_revision != NULL && json_object_object_get_ex (reply, "header", &header))
    *out_revision = json_int64 (header, "revision");
  if (json_object_object_get_ex (reply, "kvs", &kvs))
    for (size_t i = 0; i < json_object_array_length (kvs); i++) {
      json_object *kv = json_object_array_get_idx (kvs, i), *k = NULL, *v = NULL;
      json_object_object_get_ex (kv, "key", &k);
      json_object_object_get_ex (kv, "value", &v);
      g_hash_table_insert (table, unb64 (json_object_get_string (k)), unb64 (json_object_get_string (v)));
    }
  json_object_put (reply);
  return table;
}

char *
vss_etcd_get (VssEtcd *self, const char *key, GError **error)
{
  g_autoptr(GHashTable) table = range (self, key, FALSE, NULL, error);
  if (table == NULL)
    return NULL;
  return g_strdup (g_hash_table_lookup (table, key));
}

GHashTable *
vss_etcd_range_prefix (VssEtcd *self, const char *prefix, gint64 *out_revision, GError **error)
{
  return range (self, prefix, TRUE, out_revision, error);
}

gboolean
vss_etcd_delete_prefix (VssEtcd *self, const char *prefix, GError **error)
{
  json_object *reply = call (self, "/v3/kv/deleterange", key_request (prefix, TRUE), error);
  if (reply != NULL)
    json_object_put (reply);
  return reply != NULL;
}

gint64
vss_etcd_lease_grant (VssEtcd *self, guint ttl_s, GError **error)
{
  json_object *req = json_object_new_object ();
  json_object_object_add (req, "TTL", json_object_new_int64 (ttl_s));
  json_object *reply = call (self, "/v3/lease/grant", req, error);
  if (reply == NULL)
    return 0;
  gint64 id = json_int64 (reply, "ID");
  if (id == 0)
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "etcd: lease grant: %s",
                 json_object_to_json_string (reply));
  json_object_put (reply);
  return id;
}

/* The gateway answers one {"result": {"ID", "TTL"}} per request; a TTL
 * missing or 0 means the lease is gone. */
gboolean
vss_etcd_lease_keepalive (VssEtcd *self, gint64 lease, GError **error)
{
  json_object *req = json_object_new_object ();
  json_object_object_add (req, "ID", json_object_new_int64 (lease));
  json_object *reply = call (self, "/v3/lease/keepalive", req, error);
  if (reply == NULL)
    return FALSE;
  json_object *result = NULL;
  gboolean alive = json_object_object_get_ex (reply, "result", &result) && json_int64 (result, "TTL") > 0;
  if (!alive)
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "etcd: lease %" G_GINT64_FORMAT " expired", lease);
  json_object_put (reply);
  return alive;
}

gboolean
vss_etcd_lease_revoke (VssEtcd *self, gint64 lease, GError **error)
{
  json_object *req = json_object_new_object ();
  json_object_object_add (req, "ID", json_object_new_int64 (lease));
  json_object *reply = call (self, "/v3/lease/revoke", req, error);
  if (reply != NULL)
    json_object_put (reply);
  return reply != NULL;
}

/* Is the member behind @endpoint the leader?  (Its status says so.) */
static gboolean
endpoint_is_leader (VssEtcd *self, const char *endpoint)
{
  gboolean retry = FALSE;
  json_object *reply = post_once (self, endpoint, "/v3/maintenance/status", "{}", &retry, NULL);
  json_object *header = NULL, *member = NULL, *leader = NULL;
  gboolean is_leader = reply != NULL && json_object_object_get_ex (reply, "header", &header) &&
                       json_object_object_get_ex (header, "member_id", &member) &&
                       json_object_object_get_ex (reply, "leader", &leader) &&
                       g_strcmp0 (json_object_get_string (member), json_object_get_string (leader)) == 0;
  json_object_put (reply);
  return is_leader;
}

void
vss_etcd_prefer_leader (VssEtcd *self)
{
  if (self->user != NULL && self->token == NULL && !authenticate (self, NULL))
    return;
  guint n = g_strv_length (self->endpoints);
  for (guint i = 0; i < n; i++) {
    guint candidate = (self->current + i) % n;
    if (endpoint_is_leader (self, self->endpoints[candidate])) {
      self->current = candidate;
      return;
    }
  }
}

/* ---- watch ---- */

/* Cancels @cancellable at @deadline unless stopped first: the blocking
 * reads of a watch stream then return. */
typedef struct {
  GMutex lock;
  GCond cond;
  gboolean stop;
  gint64 deadline_usec;
  GCancellable *cancellable;
  GThread *thread;
} DeadlineTimer;

static gpointer
deadline_timer_run (gpointer data)
{
  DeadlineTimer *t = data;
  g_mutex_lock (&t->lock);
  while (!t->stop)
    if (!g_cond_wait_until (&t->cond, &t->lock, t->deadline_usec)) {
      g_cancellable_cancel (t->cancellable);
      break;
    }
  g_mutex_unlock (&t->lock);
  return NULL;
}

static void
deadline_timer_start (DeadlineTimer *t, gint64 deadline_usec, GCancellable *cancellable)
{
  g_mutex_init (&t->lock);
  g_cond_init (&t->cond);
  t->stop = FALSE;
  t->deadline_usec = deadline_usec;
  t->cancellable = cancellable;
  t->thread = g_thread_new ("etcd-deadline", deadline_timer_run, t);
}

static void
deadline_timer_stop (DeadlineTimer *t)
{
  g_mutex_lock (&t->lock);
  t->stop = TRUE;
  g_cond_signal (&t->cond);
  g_mutex_unlock (&t->lock);
  g_thread_join (t->thread);
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->cond);
}

typedef enum { WATCH_STOPPED, WATCH_BROKEN, WATCH_CANCELLED, WATCH_FAILED } WatchEnd;

typedef struct {
  VssEtcdWatchReady ready;
  VssEtcdWatchFunc func;
  gpointer data;
} WatchCallbacks;

/* Hands the events of one streamed reply to @func; TRUE when it said stop. */
static gboolean
dispatch_events (json_object *reply, const WatchCallbacks *cb, gboolean *broken, GError **error)
{
  json_object *result = NULL, *events = NULL, *flag = NULL;
  if (!json_object_object_get_ex (reply, "result", &result)) {
    *broken = TRUE;
    return FALSE;
  }
  if (json_object_object_get_ex (result, "canceled", &flag) && json_object_get_boolean (flag))
    *broken = TRUE;
  if (json_object_object_get_ex (result, "created", &flag) && json_object_get_boolean (flag)) {
    gboolean stop = FALSE;
    if (!cb->ready (cb->data, &stop, error)) {
      *broken = TRUE;
      return FALSE;
    }
    if (stop)
      return TRUE;
  }
  if (!json_object_object_get_ex (result, "events", &events))
    return FALSE;
  for (size_t i = 0; i < json_object_array_length (events); i++) {
    json_object *ev = json_object_array_get_idx (events, i), *kv = NULL, *type = NULL, *k = NULL, *v = NULL;
    json_object_object_get_ex (ev, "kv", &kv);
    json_object_object_get_ex (kv, "key", &k);
    gboolean deleted = json_object_object_get_ex (ev, "type", &type) &&
                       g_str_equal (json_object_get_string (type), "DELETE");
    g_autofree char *key = unb64 (json_object_get_string (k));
    g_autofree char *value = NULL;
    if (!deleted)
      value = json_object_object_get_ex (kv, "value", &v) ? unb64 (json_object_get_string (v)) : g_strdup ("");
    VssEtcdEvent event = { key, value, json_int64 (kv, "mod_revision") };
    if (cb->func (&event, cb->data))
      return TRUE;
  }
  return FALSE;
}

static json_object *
watch_request (const char *prefix)
{
  json_object *create = key_request (prefix, TRUE);
  json_object *req = json_object_new_object ();
  json_object_object_add (req, "create_request", create);
  return req;
}

static WatchEnd
watch_stream (VssEtcd *self, const char *endpoint, const char *prefix, const WatchCallbacks *cb,
              GCancellable *cancellable, GError **error)
{
  json_object *req = watch_request (prefix);
  g_autofree char *body = g_strdup (json_object_to_json_string_ext (req, JSON_C_TO_STRING_PLAIN));
  json_object_put (req);
  g_autoptr(SoupMessage) msg = new_message (self, endpoint, "/v3/watch", body);
  g_autoptr(GInputStream) raw = soup_session_send (self->watch_session, msg, cancellable, error);
  if (raw == NULL)
    return g_cancellable_is_cancelled (cancellable) ? WATCH_CANCELLED : WATCH_BROKEN;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "etcd %s: watch: HTTP %u", endpoint,
                 soup_message_get_status (msg));
    return WATCH_BROKEN;
  }
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new (raw);
  /* Bounded by the deadline timer, which cancels the read. */
  for (;;) {
    g_autofree char *line = g_data_input_stream_read_line (lines, NULL, cancellable, error);
    if (line == NULL) {
      if (g_cancellable_is_cancelled (cancellable))
        return WATCH_CANCELLED;
      if (error != NULL && *error == NULL)
        g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "etcd %s: watch stream ended", endpoint);
      return WATCH_BROKEN;
    }
    json_object *reply = json_tokener_parse (line);
    if (reply == NULL)
      continue;
    gboolean broken = FALSE;
    GError *ready_error = NULL;
    gboolean stop = dispatch_events (reply, cb, &broken, &ready_error);
    json_object_put (reply);
    if (stop)
      return WATCH_STOPPED;
    if (ready_error != NULL) {
      g_propagate_error (error, ready_error);
      return WATCH_FAILED;
    }
    if (broken) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "etcd %s: watch cancelled by the server", endpoint);
      return WATCH_BROKEN;
    }
  }
}

static void
cancel_too (GCancellable *outer, gpointer inner)
{
  g_cancellable_cancel (inner);
}

gboolean
vss_etcd_watch_prefix (VssEtcd *self, const char *prefix, gint64 deadline_usec, GCancellable *stop,
                       VssEtcdWatchReady ready, VssEtcdWatchFunc func, gpointer user_data, GError **error)
{
  WatchCallbacks cb = { ready, func, user_data };
  if (self->user != NULL && self->token == NULL && !authenticate (self, error))
    return FALSE;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gulong stop_id = stop != NULL ? g_cancellable_connect (stop, G_CALLBACK (cancel_too), cancellable, NULL) : 0;
  DeadlineTimer timer;
  deadline_timer_start (&timer, deadline_usec, cancellable);
  guint n = g_strv_length (self->endpoints);
  WatchEnd end = WATCH_BROKEN;
  GError *last = NULL;
  /* Each endpoint gets a few chances, then the deadline ends it anyway. */
  for (guint tries = 0; tries < 4 * n && end == WATCH_BROKEN; tries++) {
    g_clear_error (&last);
    end = watch_stream (self, self->endpoints[self->current], prefix, &cb, cancellable, &last);
    if (end == WATCH_BROKEN) {
      self->current = (self->current + 1) % n;
      if (g_cancellable_is_cancelled (cancellable))
        end = WATCH_CANCELLED;
      else
        g_usleep (20 * 1000);   /* a member that just went away */
    }
  }
  deadline_timer_stop (&timer);
  if (stop != NULL)
    g_cancellable_disconnect (stop, stop_id);
  if (end == WATCH_STOPPED) {
    g_clear_error (&last);
    return TRUE;
  }
  if (end == WATCH_CANCELLED) {
    g_clear_error (&last);
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NOT_RESPONDING, "etcd: nothing came before the deadline");
  } else {
    g_propagate_error (error, last);
  }
  return FALSE;
}
