/* vss-writer-endpoint.c — a writer served over the writer protocol. */
#include "vss-writer-endpoint.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "document/vss-document-private.h"
#include "util/vss-copy-priority.h"
#include "vss-wire.h"

struct _VssWriterEndpoint {
  const VssWriterDescriptor *descriptor;
  gboolean got_hello;
  /* The serving thread changes these under lock; vss_writer_endpoint_abandon
   * reads them from another thread. */
  GMutex lock;
  VssWriter *writer;          /* the open session, or NULL */
  /* Between prepare_backup and post_snapshot/abort: the writer may hold
   * a freeze or state that only on_abort releases. */
  gboolean needs_abort;
  gboolean in_event;
  gboolean abandoned;         /* another thread aborted beside a stuck event */
  /* A helper started at background priority: the serving thread's nice
   * from freeze through thaw, and outside (vss_writer_endpoint_set_nice). */
  gboolean window_priority;
  int window_nice, background_nice;
};

VssWriterEndpoint *
vss_writer_endpoint_new (const VssWriterDescriptor *descriptor)
{
  VssWriterEndpoint *self = g_new0 (VssWriterEndpoint, 1);
  self->descriptor = descriptor;
  g_mutex_init (&self->lock);
  return self;
}

static void
end_session (VssWriterEndpoint *self)
{
  g_mutex_lock (&self->lock);
  gboolean abandoned = self->abandoned;
  g_mutex_unlock (&self->lock);
  /* The abandoning thread may still be in on_abort: leave the writer to
   * the process's exit. */
  if (abandoned)
    return;
  if (self->writer != NULL && self->needs_abort && vss_writer_is_loaded (self->writer)) {
    g_autoptr(VssEventReply) reply = vss_writer_handle_event (self->writer, VSS_EVENT_ABORT, NULL);
    g_message ("writer %s: the coordinator went away during a backup; aborted (%s)",
               self->descriptor->name, reply->ok ? "ok" : reply->message);
  }
  g_mutex_lock (&self->lock);
  VssWriter *writer = g_steal_pointer (&self->writer);
  self->needs_abort = FALSE;
  g_mutex_unlock (&self->lock);
  vss_writer_free (writer);
}

gboolean
vss_writer_endpoint_abandon (VssWriterEndpoint *self)
{
  g_mutex_lock (&self->lock);
  gboolean stuck = self->in_event && self->needs_abort && !self->abandoned && self->writer != NULL;
  if (stuck)
    self->abandoned = TRUE;
  VssWriter *writer = self->writer;
  g_mutex_unlock (&self->lock);
  if (!stuck)
    return FALSE;
  g_message ("writer %s: the coordinator went away while the writer was stuck in an event; "
             "aborting beside it", self->descriptor->name);
  return vss_writer_abort_abandoned (writer);
}

gboolean
vss_writer_endpoint_is_busy (VssWriterEndpoint *self)
{
  g_mutex_lock (&self->lock);
  gboolean busy = self->in_event;
  g_mutex_unlock (&self->lock);
  return busy;
}

void
vss_writer_endpoint_lost (VssWriterEndpoint *self)
{
  end_session (self);
  self->got_hello = FALSE;
}

void
vss_writer_endpoint_free (VssWriterEndpoint *self)
{
  if (self == NULL)
    return;
  end_session (self);
  g_mutex_clear (&self->lock);
  g_free (self);
}

json_object *
vss_writer_endpoint_hello (VssWriterEndpoint *self)
{
  const VssWriterDescriptor *d = self->descriptor;
  json_object *hello = vss_wire_hello_new ("writer");
  json_object *writer = json_object_new_object ();

  json_object_object_add (writer, "writer_id", json_object_new_string (d->writer_id));
  json_object_object_add (writer, "name", json_object_new_string (d->name));
  json_object_object_add (writer, "usage_type", json_object_new_int (d->usage_type));
  json_object_object_add (writer, "freeze_timeout_ms", json_object_new_int64 (d->freeze_timeout_ms));
  json_object_object_add (hello, "writer", writer);
  json_object_object_add (hello, "pid", json_object_new_int64 (getpid ()));
  return hello;
}

void
vss_writer_endpoint_set_nice (VssWriterEndpoint *self, int window_nice, int background_nice)
{
  self->window_priority = TRUE;
  self->window_nice = window_nice;
  self->background_nice = background_nice;
}

/* A freezing writer holds its application from freeze to thaw: those
 * events run at the coordinator's priority, the others in the background. */
static void
set_event_priority (VssWriterEndpoint *self, VssEvent event)
{
  if (!self->window_priority)
    return;
  gboolean window = event == VSS_EVENT_FREEZE || event == VSS_EVENT_THAW;
  if (!vss_copy_priority_set_thread_nice (window ? self->window_nice : self->background_nice))
    g_debug ("%s: %s keeps its CPU priority: %s", self->descriptor->name,
             vss_event_to_string (event), g_strerror (errno));
}

static VssEndpointResult
handle_event (VssWriterEndpoint *self, json_object *message, json_object **out_reply, GError **error)
{
  json_object *seq = NULL;
  json_object *name = NULL;
  json_object *request = NULL;
  VssEvent event;

  if (!json_object_object_get_ex (message, "seq", &seq) || !json_object_is_type (seq, json_type_int) ||
      !json_object_object_get_ex (message, "event", &name) ||
      !vss_event_from_string (json_object_get_string (name), &event)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "writer protocol: an event without a seq or with an unknown event name");
    return VSS_ENDPOINT_FAILED;
  }
  json_object_object_get_ex (message, "request", &request);
  set_event_priority (self, event);
  VssEventReply *reply;
  if (self->writer == NULL) {
    reply = vss_event_reply_new_failure (VSS_WF_NONRETRYABLE, "%s: %s: no open session",
                                         self->descriptor->name, vss_event_to_string (event));
  } else {
    g_mutex_lock (&self->lock);
    self->in_event = TRUE;
    g_mutex_unlock (&self->lock);
    reply = vss_writer_handle_event (self->writer, event, request);
  }
  g_mutex_lock (&self->lock);
  self->in_event = FALSE;
  self->needs_abort = vss_event_leaves_abort_needed (event, self->needs_abort);
  g_mutex_unlock (&self->lock);
  *out_reply = vss_wire_message_new ("reply");
  json_object_object_add (*out_reply, "seq", json_object_get (seq));
  json_object_object_add (*out_reply, "reply", vss_event_reply_to_json (reply));
  vss_event_reply_free (reply);
  return VSS_ENDPOINT_CONTINUE;
}

static VssEndpointResult
handle_open (VssWriterEndpoint *self, json_object *message, GError **error)
{
  json_object *instance = NULL;

  if (!json_object_object_get_ex (message, "instance_id", &instance) ||
      !json_object_is_type (instance, json_type_string)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "writer protocol: \"open\" without an instance_id");
    return VSS_ENDPOINT_FAILED;
  }
  /* A second open without close: the old session is over. */
  end_session (self);
  VssWriter *writer = vss_writer_new (self->descriptor, json_object_get_string (instance));
  g_autoptr(GError) load_error = NULL;
  if (!vss_writer_load (writer, &load_error))
    g_debug ("%s", load_error->message);
  g_mutex_lock (&self->lock);
  self->writer = writer;
  g_mutex_unlock (&self->lock);
  return VSS_ENDPOINT_CONTINUE;
}

VssEndpointResult
vss_writer_endpoint_handle (VssWriterEndpoint *self, json_object *message,
                            json_object **out_reply, GError **error)
{
  const char *type = vss_wire_message_type (message);

  *out_reply = NULL;
  if (!self->got_hello) {
    if (!vss_wire_check_hello (message, error))
      return VSS_ENDPOINT_FAILED;
    self->got_hello = TRUE;
    return VSS_ENDPOINT_CONTINUE;
  }
  if (g_strcmp0 (type, "open") == 0)
    return handle_open (self, message, error);
  if (g_strcmp0 (type, "event") == 0)
    return handle_event (self, message, out_reply, error);
  if (g_strcmp0 (type, "close") == 0) {
    g_mutex_lock (&self->lock);
    self->needs_abort = FALSE;
    g_mutex_unlock (&self->lock);
    end_session (self);
    return VSS_ENDPOINT_CLOSED;
  }
  g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
               "writer protocol: unexpected message \"%s\"", type != NULL ? type : "(no type)");
  return VSS_ENDPOINT_FAILED;
}

static void
send_error (int fd, const GError *error)
{
  json_object *message = vss_wire_message_new ("error");
  json_object_object_add (message, "message", json_object_new_string (error->message));
  vss_wire_write (fd, message, NULL);
  json_object_put (message);
}

VssEndpointResult
vss_writer_endpoint_serve_one (VssWriterEndpoint *self, int fd, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  json_object *message = vss_wire_read (fd, &local_error);
  json_object *reply = NULL;
  VssEndpointResult result = message != NULL
    ? vss_writer_endpoint_handle (self, message, &reply, &local_error)
    : VSS_ENDPOINT_FAILED;
  json_object_put (message);
  if (reply != NULL && !vss_wire_write (fd, reply, local_error != NULL ? NULL : &local_error))
    result = VSS_ENDPOINT_FAILED;
  json_object_put (reply);
  if (result != VSS_ENDPOINT_FAILED)
    return result;
  /* No error: the coordinator closed the connection. */
  if (local_error != NULL)
    send_error (fd, local_error);
  vss_writer_endpoint_lost (self);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return VSS_ENDPOINT_FAILED;
}

gboolean
vss_writer_endpoint_serve (VssWriterEndpoint *self, int fd, gboolean until_close, GError **error)
{
  for (;;) {
    g_autoptr(GError) local_error = NULL;
    VssEndpointResult result = vss_writer_endpoint_serve_one (self, fd, &local_error);
    if (result == VSS_ENDPOINT_FAILED) {
      /* No error: the coordinator closed the connection. */
      if (local_error == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
    if (result == VSS_ENDPOINT_CLOSED && until_close)
      return TRUE;
  }
}

gboolean
vss_writer_hello_parse (json_object *hello, VssWriterDescriptor *out, char **out_writer_id,
                        char **out_name, gint64 *out_pid, GError **error)
{
  json_object *writer = NULL;
  gint64 usage = 0;
  gint64 freeze = 0;

  if (!vss_wire_check_hello (hello, error))
    return FALSE;
  if (!vss_json_read_object (hello, "hello", "writer", TRUE, &writer, error) ||
      !vss_json_read_string (writer, "hello.writer", "writer_id", TRUE, out_writer_id, error) ||
      !vss_json_read_string (writer, "hello.writer", "name", TRUE, out_name, error) ||
      !vss_json_read_int64 (writer, "hello.writer", "usage_type", FALSE, &usage, error) ||
      !vss_json_read_int64 (writer, "hello.writer", "freeze_timeout_ms", FALSE, &freeze, error) ||
      !vss_json_read_int64 (hello, "hello", "pid", FALSE, out_pid, error))
    return FALSE;
  memset (out, 0, sizeof *out);
  out->abi_major = VSS_WRITER_ABI_MAJOR;
  out->abi_minor = VSS_WRITER_ABI_MINOR;
  out->writer_id = *out_writer_id;
  out->name = *out_name;
  out->usage_type = (VssUsageType) usage;
  out->freeze_timeout_ms = (guint32) CLAMP (freeze, 0, G_MAXUINT32);
  return vss_writer_descriptor_check (out, "application writer", error);
}
