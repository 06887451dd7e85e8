/* vss-transport-inproc.c — a writer on a worker thread of this process.
 *
 * Each writer gets one thread, fed by a GAsyncQueue, so that its callbacks
 * always run on the same thread (a writer may take thread-bound locks in
 * on_freeze and drop them in on_thaw) and one at a time, in order.
 *
 * The thread is detached and owns everything: close() only queues an
 * unload message, and the thread frees the writer and the transport when
 * it gets there.  A writer stuck in a callback forever therefore blocks
 * nobody; its thread and memory are simply never reclaimed (and its
 * module is never unloaded, see vss-writer-module.c). */
#include "vss-writer-module.h"

#include <string.h>

typedef enum {
  MESSAGE_EVENT,
  MESSAGE_UNLOAD,
} MessageKind;

typedef struct {
  MessageKind kind;
  VssEvent event;
  json_object *request;      /* a reference of our own while queued */
  VssReplyFunc done;
  gpointer user_data;
} Message;

typedef struct {
  VssTransport parent;
  GAsyncQueue *queue;        /* Message */
  const VssWriterModule *module;
  char *instance_id;
} InprocTransport;

static void
message_free (Message *message)
{
  if (message->request != NULL)
    json_object_put (message->request);
  g_free (message);
}

static void
inproc_free (InprocTransport *self)
{
  g_async_queue_unref (self->queue);
  g_free (self->instance_id);
  g_free (self);
}

static gpointer
worker_thread (gpointer data)
{
  InprocTransport *self = data;
  g_autoptr(GError) load_error = NULL;
  const VssWriterDescriptor *descriptor = vss_writer_module_open (self->module, &load_error);
  /* A module that cannot be opened answers every event with why. */
  VssWriter *writer = descriptor != NULL ? vss_writer_new (descriptor, self->instance_id) : NULL;

  if (writer == NULL || !vss_writer_load (writer, &load_error))
    g_debug ("%s", load_error->message);
  for (;;) {
    Message *message = g_async_queue_pop (self->queue);
    if (message->kind == MESSAGE_UNLOAD) {
      message_free (message);
      break;
    }
    VssEventReply *reply = writer != NULL
        ? vss_writer_handle_event (writer, message->event, message->request)
        : vss_event_reply_new_failure (VSS_WF_NONRETRYABLE, "%s", load_error->message);
    message->done (reply, message->user_data);
    message_free (message);
  }
  /* Nothing can reach the transport once close() queued the unload. */
  if (writer != NULL)
    vss_writer_free (writer);
  inproc_free (self);
  return NULL;
}

static void
inproc_send (VssTransport *transport, VssEvent event, json_object *request,
             VssReplyFunc done, gpointer user_data)
{
  InprocTransport *self = (InprocTransport *) transport;
  Message *message = g_new0 (Message, 1);

  g_return_if_fail (done != NULL);
  message->kind = MESSAGE_EVENT;
  message->event = event;
  message->request = request != NULL ? json_object_get (request) : NULL;
  message->done = done;
  message->user_data = user_data;
  g_async_queue_push (self->queue, message);
}

static void
inproc_close (VssTransport *transport)
{
  InprocTransport *self = (InprocTransport *) transport;
  Message *message = g_new0 (Message, 1);

  message->kind = MESSAGE_UNLOAD;
  /* After this push the worker may free @self at any moment. */
  g_async_queue_push (self->queue, message);
}

static const VssTransportClass inproc_class = {
  .name = "inproc",
  .send = inproc_send,
  .close = inproc_close,
};

/* "vss-w-recorder": Linux keeps 15 bytes of a thread name. */
static char *
thread_name (const VssWriterModule *module)
{
  char *name = g_strdup_printf ("vss-w-%s", module->identity->name);
  if (strlen (name) > 15)
    name[15] = '\0';
  return name;
}

VssTransport *
vss_transport_inproc_new (const VssWriterModule *module, const char *instance_id)
{
  g_return_val_if_fail (module != NULL, NULL);
  InprocTransport *self = g_new0 (InprocTransport, 1);
  g_autofree char *name = thread_name (module);

  self->parent.klass = &inproc_class;
  self->queue = g_async_queue_new ();
  self->module = module;
  self->instance_id = g_strdup (instance_id);
  /* Detached: never joined, so a hung writer cannot block its owner. */
  g_thread_unref (g_thread_new (name, worker_thread, self));
  return &self->parent;
}
