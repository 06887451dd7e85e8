/* vss-writer-client.c — a writer hosted by an application, connected to
 * the coordinator's writer socket. */
#include "vss-app-private.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "vss-wire.h"
#include "vss-writer-endpoint.h"

struct _VssWriterClient {
  const VssWriterDescriptor *descriptor;
  VssWriterEndpoint *endpoint;
  int fd;                       /* -1 when not connected */
  GThread *thread;
  GSource *source;
  gboolean connected;
  GMutex lock;
};

VssWriterClient *
vss_writer_client_new (const VssWriterDescriptor *descriptor, GError **error)
{
  g_return_val_if_fail (descriptor != NULL, NULL);
  if (!vss_writer_descriptor_check (descriptor, "(application writer)", error))
    return NULL;
  VssWriterClient *self = g_new0 (VssWriterClient, 1);
  self->descriptor = descriptor;
  self->fd = -1;
  g_mutex_init (&self->lock);
  return self;
}

/* The coordinator's answer to our registration: "registered", or an
 * "error" (name taken, …). */
static gboolean
wait_registered (int fd, GError **error)
{
  json_object *answer = vss_wire_read (fd, error);
  const char *type = vss_wire_message_type (answer);
  gboolean ok = g_strcmp0 (type, "registered") == 0;
  if (!ok && answer != NULL) {
    json_object *text = NULL, *code = NULL;
    json_object_object_get_ex (answer, "message", &text);
    json_object_object_get_ex (answer, "code", &code);
    g_set_error (error, VSS_ERROR, code != NULL ? json_object_get_int (code)
                                                : VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "refused by the coordinator: %s",
                 text != NULL ? json_object_get_string (text) : type != NULL ? type : "no answer");
  } else if (!ok && error != NULL && *error == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "the coordinator closed the connection before confirming the registration");
  }
  json_object_put (answer);
  return ok;
}

gboolean
vss_writer_client_connect (VssWriterClient *self, const char *socket_path, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->fd >= 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "vss_writer_client_connect: already connected; free the client and make a new one");
    return FALSE;
  }
  g_autofree char *path = socket_path != NULL ? g_strdup (socket_path)
                                              : vss_writer_socket_default_path ();
  int fd = vss_app_connect (path, error);
  if (fd < 0)
    return FALSE;
  VssWriterEndpoint *endpoint = vss_writer_endpoint_new (self->descriptor);
  json_object *ours = vss_writer_endpoint_hello (endpoint);
  json_object *theirs = NULL;
  json_object *reply = NULL;
  gboolean ok = vss_app_handshake (fd, ours, &theirs, error) &&
                vss_writer_endpoint_handle (endpoint, theirs, &reply, error) == VSS_ENDPOINT_CONTINUE;
  json_object_put (ours);
  json_object_put (theirs);
  json_object_put (reply);
  ok = ok && wait_registered (fd, error);
  if (!ok) {
    vss_writer_endpoint_free (endpoint);
    close (fd);
    return FALSE;
  }
  /* Events may be hours apart: no receive timeout from here on. */
  struct timeval none = { 0, 0 };
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  self->endpoint = endpoint;
  self->fd = fd;
  self->connected = TRUE;
  return TRUE;
}

gboolean
vss_writer_client_run (VssWriterClient *self, GError **error)
{
  g_return_val_if_fail (self != NULL && self->endpoint != NULL, FALSE);
  gboolean ok = vss_writer_endpoint_serve (self->endpoint, self->fd, FALSE, error);
  g_mutex_lock (&self->lock);
  self->connected = FALSE;
  g_mutex_unlock (&self->lock);
  return ok;
}

static gpointer
client_thread (gpointer data)
{
  VssWriterClient *self = data;
  g_autoptr(GError) error = NULL;
  if (!vss_writer_client_run (self, &error))
    g_message ("writer %s: disconnected: %s", self->descriptor->name, error->message);
  return NULL;
}

gboolean
vss_writer_client_start (VssWriterClient *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->endpoint == NULL || self->thread != NULL || self->source != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "vss_writer_client_start: connect first, and serve only once");
    return FALSE;
  }
  self->thread = g_thread_new ("vss-wclient", client_thread, self);
  return TRUE;
}

/* One message per wake-up: the socket is readable, so the read only
 * blocks for the rest of a message already on its way. */
static gboolean
on_readable (gint fd, GIOCondition condition, gpointer user_data)
{
  VssWriterClient *self = user_data;
  g_autoptr(GError) error = NULL;
  if (vss_writer_endpoint_serve_one (self->endpoint, fd, &error) != VSS_ENDPOINT_FAILED)
    return G_SOURCE_CONTINUE;
  if (error != NULL)
    g_message ("writer %s: disconnected: %s", self->descriptor->name, error->message);
  g_mutex_lock (&self->lock);
  self->connected = FALSE;
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

guint
vss_writer_client_attach (VssWriterClient *self, GMainContext *context)
{
  g_return_val_if_fail (self != NULL && self->endpoint != NULL, 0);
  g_return_val_if_fail (self->thread == NULL && self->source == NULL, 0);
  self->source = g_unix_fd_source_new (self->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (self->source, (GSourceFunc) (void (*) (void)) on_readable, self, NULL);
  return g_source_attach (self->source, context);
}

gboolean
vss_writer_client_is_connected (VssWriterClient *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  gboolean connected = self->connected;
  g_mutex_unlock (&self->lock);
  return connected;
}

void
vss_writer_client_free (VssWriterClient *self)
{
  if (self == NULL)
    return;
  /* Wakes a thread blocked in read; it then ends the session itself. */
  if (self->fd >= 0)
    shutdown (self->fd, SHUT_RDWR);
  if (self->thread != NULL)
    g_thread_join (self->thread);
  if (self->source != NULL) {
    g_source_destroy (self->source);
    g_source_unref (self->source);
  }
  vss_writer_endpoint_free (self->endpoint);
  if (self->fd >= 0)
    close (self->fd);
  g_mutex_clear (&self->lock);
  g_free (self);
}
