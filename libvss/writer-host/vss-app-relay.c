/* vss-app-relay.c — application writers of a daemon, for a requester in
 * another process.
 *
 * Application writers register with the one process that serves the
 * writer socket (`vss daemon`).  A requester that embeds the coordinator
 * in its own process reaches them through that daemon: one connection
 * lists them, and one connection per writer and backup carries the
 * session ("open", events, "close") that the daemon relays to the
 * writer's own connection.  When the requester vanishes in the middle of
 * a backup, the daemon aborts the writer for it. */
#include "vss-app-private.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "document/vss-document-private.h"
#include "vss-wire.h"
#include "vss-writer-endpoint.h"

/* ---- the daemon's side ---- */

typedef struct {
  gatomicrefcount ref;
  GMutex write_lock;
  int fd;
} RelayConn;

typedef struct {
  RelayConn *conn;
  json_object *seq;
} RelayPending;

static RelayConn *
relay_conn_ref (RelayConn *conn)
{
  g_atomic_ref_count_inc (&conn->ref);
  return conn;
}

static void
relay_conn_unref (RelayConn *conn)
{
  if (!g_atomic_ref_count_dec (&conn->ref))
    return;
  close (conn->fd);
  g_mutex_clear (&conn->write_lock);
  g_free (conn);
}

static void
relay_write (RelayConn *conn, json_object *message)
{
  g_mutex_lock (&conn->write_lock);
  /* A requester that went away is not an error here: it gets nothing. */
  vss_wire_write (conn->fd, message, NULL);
  g_mutex_unlock (&conn->write_lock);
}

static void
relay_reply (VssEventReply *reply, gpointer user_data)
{
  RelayPending *pending = user_data;
  json_object *message = vss_wire_message_new ("reply");
  json_object_object_add (message, "seq", pending->seq);
  json_object_object_add (message, "reply", vss_event_reply_to_json (reply));
  relay_write (pending->conn, message);
  json_object_put (message);
  vss_event_reply_free (reply);
  relay_conn_unref (pending->conn);
  g_free (pending);
}

static json_object *
writer_list (void)
{
  json_object *list = json_object_new_array ();
  g_autoptr(GPtrArray) entries = vss_app_server_list ();
  for (guint i = 0; entries != NULL && i < entries->len; i++) {
    VssAppEntry *entry = g_ptr_array_index (entries, i);
    VssWriterEndpoint *endpoint = vss_writer_endpoint_new (&entry->descriptor);
    json_object *item = vss_writer_endpoint_hello (endpoint);
    vss_writer_endpoint_free (endpoint);
    json_object_object_add (item, "pid", json_object_new_int64 (entry->pid));
    json_object_array_add (list, item);
  }
  json_object *message = vss_wire_message_new ("writers");
  json_object_object_add (message, "writers", list);
  return message;
}

typedef struct {
  RelayConn *conn;
  VssTransport *transport;
  gboolean needs_abort;
} RelaySession;

static gboolean
relay_open (RelaySession *session, json_object *message, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *instance_id = NULL;
  if (!vss_json_read_string (message, "open", "name", TRUE, &name, error) ||
      !vss_json_read_string (message, "open", "instance_id", TRUE, &instance_id, error))
    return FALSE;
  VssAppEntry *entry = vss_app_server_find (name);
  if (entry == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "no application writer named \"%s\" is registered (any more)", name);
    return FALSE;
  }
  if (session->transport != NULL)
    vss_transport_close (session->transport);
  session->transport = vss_app_entry_transport_new (entry, instance_id);
  vss_app_entry_unref (entry);
  return TRUE;
}

static gboolean
relay_event (RelaySession *session, json_object *message, GError **error)
{
  json_object *seq = NULL, *name = NULL, *request = NULL;
  VssEvent event;
  if (session->transport == NULL || !json_object_object_get_ex (message, "seq", &seq) ||
      !json_object_object_get_ex (message, "event", &name) ||
      !vss_event_from_string (json_object_get_string (name), &event)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "writer protocol: an event before open, or without seq or a known event");
    return FALSE;
  }
  json_object_object_get_ex (message, "request", &request);
  session->needs_abort = vss_event_leaves_abort_needed (event, session->needs_abort);
  RelayPending *pending = g_new0 (RelayPending, 1);
  pending->conn = relay_conn_ref (session->conn);
  pending->seq = json_object_get (seq);
  vss_transport_send (session->transport, event, request, relay_reply, pending);
  return TRUE;
}

static void
discard (VssEventReply *reply, gpointer user_data)
{
  vss_event_reply_free (reply);
}

/* Handles one message; FALSE ends the connection (with @error on a
 * protocol error, without after "close"). */
static gboolean
relay_handle (RelaySession *session, json_object *message, GError **error)
{
  const char *type = vss_wire_message_type (message);
  if (g_strcmp0 (type, "list") == 0) {
    json_object *list = writer_list ();
    relay_write (session->conn, list);
    json_object_put (list);
    return TRUE;
  }
  if (g_strcmp0 (type, "open") == 0)
    return relay_open (session, message, error);
  if (g_strcmp0 (type, "event") == 0)
    return relay_event (session, message, error);
  if (g_strcmp0 (type, "close") == 0) {
    session->needs_abort = FALSE;
    return FALSE;
  }
  g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
               "writer protocol: unexpected message \"%s\" on a relay connection",
               type != NULL ? type : "(no type)");
  return FALSE;
}

void
vss_app_relay_serve (int fd, json_object *hello)
{
  RelaySession session = { 0 };
  struct timeval none = { 0, 0 };

  /* A session may sit idle for hours between post_snapshot and
   * backup_complete, while the requester copies. */
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  session.conn = g_new0 (RelayConn, 1);
  g_atomic_ref_count_init (&session.conn->ref);
  g_mutex_init (&session.conn->write_lock);
  session.conn->fd = fd;
  for (;;) {
    g_autoptr(GError) error = NULL;
    json_object *message = vss_wire_read (fd, &error);
    gboolean go_on = message != NULL && relay_handle (&session, message, &error);
    json_object_put (message);
    if (error != NULL) {
      json_object *report = vss_wire_message_new ("error");
      json_object_object_add (report, "message", json_object_new_string (error->message));
      relay_write (session.conn, report);
      json_object_put (report);
      g_message ("writer socket: relay connection ended: %s", error->message);
    }
    if (!go_on)
      break;
  }
  if (session.transport != NULL) {
    if (session.needs_abort)
      vss_transport_send (session.transport, VSS_EVENT_ABORT, NULL, discard, NULL);
    vss_transport_close (session.transport);
  }
  relay_conn_unref (session.conn);
}

/* ---- the requester's side ---- */

static int
relay_connect (const char *path, GError **error)
{
  json_object *hello = NULL;
  json_object *ours = vss_wire_hello_new ("relay");
  int fd = vss_app_connect (path, error);
  gboolean ok = fd >= 0 && vss_app_handshake (fd, ours, &hello, error);
  json_object_put (ours);
  json_object_put (hello);
  if (!ok && fd >= 0) {
    close (fd);
    fd = -1;
  }
  return fd;
}

static VssWriterModule *
module_from_item (const char *path, json_object *item, GError **error)
{
  VssAppRef *ref = g_new0 (VssAppRef, 1);
  VssWriterModule *module = g_new0 (VssWriterModule, 1);
  module->app = ref;
  ref->socket_path = g_strdup (path);
  if (!vss_writer_hello_parse (item, &ref->descriptor, &ref->writer_id, &ref->name, &ref->pid,
                               error)) {
    vss_app_module_free (module);
    return NULL;
  }
  module->path = g_strdup_printf ("application pid %" G_GINT64_FORMAT " via %s", ref->pid, path);
  module->identity = &ref->descriptor;
  return module;
}

GPtrArray *
vss_app_relay_list (const char *path)
{
  g_autoptr(GError) error = NULL;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  int fd = relay_connect (path, &error);
  if (fd < 0) {
    g_debug ("no application writers: %s", error->message);
    return NULL;
  }
  json_object *ask = vss_wire_message_new ("list");
  json_object *answer = vss_wire_write (fd, ask, &error) ? vss_wire_read (fd, &error) : NULL;
  json_object *list = NULL;
  json_object_put (ask);
  close (fd);
  if (answer == NULL || !json_object_object_get_ex (answer, "writers", &list) ||
      !json_object_is_type (list, json_type_array)) {
    g_warning ("the writer socket %s did not list its writers: %s", path,
               error != NULL ? error->message : "bad answer");
    json_object_put (answer);
    return NULL;
  }
  GPtrArray *modules = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_app_module_free);
  for (size_t i = 0; i < json_object_array_length (list); i++) {
    g_autoptr(GError) item_error = NULL;
    VssWriterModule *module = module_from_item (path, json_object_array_get_idx (list, i), &item_error);
    if (module != NULL)
      g_ptr_array_add (modules, module);
    else
      g_warning ("the writer socket %s listed a bad writer: %s", path, item_error->message);
  }
  json_object_put (answer);
  return modules;
}

typedef struct {
  VssTransport parent;
  VssPeer *peer;
} RelayTransport;

static char *
relay_lost (VssPeer *peer, const char *why, gpointer user_data)
{
  /* Ours: the callback runs exactly once. */
  char *refusal = user_data;
  return refusal != NULL ? refusal
                         : g_strdup_printf ("the connection to the daemon ended: %s", why);
}

static void
relay_send (VssTransport *transport, VssEvent event, json_object *request,
            VssReplyFunc done, gpointer user_data)
{
  vss_peer_send_event (((RelayTransport *) transport)->peer, event, request, done, user_data);
}

static void
relay_close (VssTransport *transport)
{
  RelayTransport *self = (RelayTransport *) transport;
  json_object *message = vss_wire_message_new ("close");
  vss_peer_send_message (self->peer, message);
  json_object_put (message);
  /* The daemon hangs up after close; the I/O thread then frees the peer. */
  vss_peer_unref (self->peer);
  g_free (self);
}

static const VssTransportClass relay_class = {
  .name = "socket",
  .send = relay_send,
  .close = relay_close,
};

VssTransport *
vss_app_relay_transport_new (const VssAppRef *ref, const char *instance_id)
{
  g_autoptr(GError) error = NULL;
  RelayTransport *self = g_new0 (RelayTransport, 1);
  char *refusal = NULL;   /* handed to relay_lost */
  self->parent.klass = &relay_class;
  int fd = relay_connect (ref->socket_path, &error);
  if (fd < 0) {
    /* A dead connection: the peer is lost at once, saying why. */
    int pair[2];
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
      g_error ("socketpair: %s", g_strerror (errno));
    close (pair[1]);
    fd = pair[0];
    refusal = g_strdup_printf ("cannot reach the daemon: %s", error->message);
  }
  self->peer = vss_peer_new (fd, ref->name, NULL, relay_lost, refusal);
  json_object *open = vss_wire_message_new ("open");
  json_object_object_add (open, "name", json_object_new_string (ref->name));
  json_object_object_add (open, "instance_id", json_object_new_string (instance_id));
  vss_peer_send_message (self->peer, open);
  json_object_put (open);
  return &self->parent;
}
