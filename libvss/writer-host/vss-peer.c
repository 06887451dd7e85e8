/* vss-peer.c — one writer connection, driven by its own I/O thread.
 *
 * The thread polls the socket and a wake-up pipe: the socket for replies
 * (and for writability while the outbox holds data), the pipe for "new
 * data queued" and "stop".  Sockets are non-blocking and written with
 * MSG_NOSIGNAL: a writer that dies or stops reading can never block or
 * kill the coordinator. */
#include "vss-peer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vss-wire.h"

typedef struct {
  gint64 seq;
  VssEvent event;
  VssReplyFunc done;
  gpointer user_data;
} Pending;

struct _VssPeer {
  gatomicrefcount ref;
  GMutex lock;
  int fd;
  int wake[2];
  char *name;
  VssPeerLostFunc lost_func;
  gpointer user_data;

  /* Guarded by lock. */
  GQueue outbox;              /* GBytes */
  gsize out_offset;           /* bytes of the head already sent */
  GQueue pending;             /* Pending, in send order */
  gint64 next_seq;
  gint64 deadline_usec;
  gboolean stop;
  gboolean lost;
  char *lost_reason;          /* set when lost */
  char *error_message;        /* an "error" message the writer sent */

  /* I/O thread only. */
  GByteArray *inbuf;
  gboolean got_hello;
};

VssPeer *
vss_peer_ref (VssPeer *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
vss_peer_unref (VssPeer *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_queue_clear_full (&self->outbox, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&self->pending, g_free);
  close (self->fd);
  close (self->wake[0]);
  close (self->wake[1]);
  g_byte_array_unref (self->inbuf);
  g_free (self->name);
  g_free (self->lost_reason);
  g_free (self->error_message);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static void
wake_up (VssPeer *self)
{
  char byte = 1;
  /* A full pipe already means "wake up". */
  if (write (self->wake[1], &byte, 1) < 0 && errno != EAGAIN)
    g_debug ("peer %s: wake-up pipe: %s", self->name, g_strerror (errno));
}

static VssEventReply *
lost_reply (VssPeer *self, VssEvent event)
{
  return vss_event_reply_new_failure (VSS_WF_NOT_RESPONDING, "%s: %s: %s", self->name,
                                      vss_event_to_string (event), self->lost_reason);
}

/* Takes the lock and @bytes; drops them when the peer is already lost. */
static void
queue_bytes (VssPeer *self, GBytes *bytes)
{
  g_mutex_lock (&self->lock);
  if (self->lost) {
    g_mutex_unlock (&self->lock);
    g_bytes_unref (bytes);
    return;
  }
  g_queue_push_tail (&self->outbox, bytes);
  g_mutex_unlock (&self->lock);
  wake_up (self);
}

void
vss_peer_send_message (VssPeer *self, json_object *message)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = vss_wire_encode (message, &error);
  if (bytes == NULL) {
    g_warning ("writer %s: %s", self->name, error->message);
    return;
  }
  queue_bytes (self, bytes);
}

void
vss_peer_send_event (VssPeer *self, VssEvent event, json_object *request,
                     VssReplyFunc done, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  json_object *message = vss_wire_message_new ("event");
  Pending *pending = g_new0 (Pending, 1);

  pending->event = event;
  pending->done = done;
  pending->user_data = user_data;
  g_mutex_lock (&self->lock);
  pending->seq = ++self->next_seq;
  g_mutex_unlock (&self->lock);
  json_object_object_add (message, "seq", json_object_new_int64 (pending->seq));
  json_object_object_add (message, "event", json_object_new_string (vss_event_to_string (event)));
  if (request != NULL)
    json_object_object_add (message, "request", json_object_get (request));
  GBytes *bytes = vss_wire_encode (message, &error);
  json_object_put (message);
  if (bytes == NULL) {
    g_free (pending);
    done (vss_event_reply_new_failure (VSS_WF_NONRETRYABLE, "%s: %s: %s", self->name,
                                       vss_event_to_string (event), error->message), user_data);
    return;
  }
  g_mutex_lock (&self->lock);
  if (self->lost) {
    VssEventReply *reply = lost_reply (self, event);
    g_mutex_unlock (&self->lock);
    g_bytes_unref (bytes);
    g_free (pending);
    done (reply, user_data);
    return;
  }
  g_queue_push_tail (&self->pending, pending);
  g_queue_push_tail (&self->outbox, bytes);
  g_mutex_unlock (&self->lock);
  wake_up (self);
}

void
vss_peer_set_deadline (VssPeer *self, gint64 deadline_usec)
{
  g_mutex_lock (&self->lock);
  self->deadline_usec = deadline_usec;
  g_mutex_unlock (&self->lock);
  wake_up (self);
}

const char *
vss_peer_get_name (VssPeer *self)
{
  return self->name;
}

void
vss_peer_stop (VssPeer *self)
{
  g_mutex_lock (&self->lock);
  self->stop = TRUE;
  g_mutex_unlock (&self->lock);
  wake_up (self);
}

/* ---- the I/O thread ---- */

static Pending *
take_pending (VssPeer *self, gint64 seq)
{
  g_mutex_lock (&self->lock);
  for (GList *l = self->pending.head; l != NULL; l = l->next) {
    Pending *pending = l->data;
    if (pending->seq == seq) {
      g_queue_delete_link (&self->pending, l);
      g_mutex_unlock (&self->lock);
      return pending;
    }
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static gboolean
handle_reply (VssPeer *self, json_object *message, GError **error)
{
  json_object *seq = NULL;
  json_object *body = NULL;

  if (!json_object_object_get_ex (message, "seq", &seq) || !json_object_is_type (seq, json_type_int) ||
      !json_object_object_get_ex (message, "reply", &body)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "writer protocol: a reply without seq or reply");
    return FALSE;
  }
  Pending *pending = take_pending (self, json_object_get_int64 (seq));
  if (pending == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "writer protocol: a reply to no event (seq %" G_GINT64_FORMAT ")",
                 json_object_get_int64 (seq));
    return FALSE;
  }
  g_autoptr(GError) local_error = NULL;
  VssEventReply *reply = vss_event_reply_from_json (body, &local_error);
  if (reply == NULL)
    reply = vss_event_reply_new_failure (VSS_WF_NONRETRYABLE, "%s: %s: bad reply from the writer: %s",
                                         self->name, vss_event_to_string (pending->event),
                                         local_error->message);
  pending->done (reply, pending->user_data);
  g_free (pending);
  return TRUE;
}

static gboolean
handle_message (VssPeer *self, json_object *message, GError **error)
{
  const char *type = vss_wire_message_type (message);

  if (g_strcmp0 (type, "error") == 0) {
    json_object *text = NULL;
    g_mutex_lock (&self->lock);
    g_free (self->error_message);
    self->error_message = g_strdup (json_object_object_get_ex (message, "message", &text)
                                    ? json_object_get_string (text) : "unspecified error");
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  if (!self->got_hello) {
    if (!vss_wire_check_hello (message, error))
      return FALSE;
    self->got_hello = TRUE;
    return TRUE;
  }
  if (g_strcmp0 (type, "reply") == 0)
    return handle_reply (self, message, error);
  g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
               "writer protocol: unexpected message \"%s\"", type != NULL ? type : "(no type)");
  return FALSE;
}

/* Reads what is there; FALSE with @why when the connection ended. */
static gboolean
read_some (VssPeer *self, char **why)
{
  guint8 chunk[65536];
  ssize_t n = recv (self->fd, chunk, sizeof chunk, MSG_DONTWAIT);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return TRUE;
  if (n < 0) {
    *why = g_strdup_printf ("connection error: %s", g_strerror (errno));
    return FALSE;
  }
  if (n == 0) {
    *why = g_strdup (self->inbuf->len > 0 ? "connection closed in the middle of a message"
                                          : "connection closed");
    return FALSE;
  }
  g_byte_array_append (self->inbuf, chunk, (guint) n);
  for (;;) {
    g_autoptr(GError) error = NULL;
    json_object *message = NULL;
    gsize consumed = 0;
    if (!vss_wire_decode (self->inbuf->data, self->inbuf->len, &message, &consumed, &error) ||
        (message != NULL && !handle_message (self, message, &error))) {
      json_object_put (message);
      *why = g_strdup (error->message);
      return FALSE;
    }
    if (message == NULL)
      return TRUE;
    json_object_put (message);
    g_byte_array_remove_range (self->inbuf, 0, (guint) consumed);
  }
}

/* Sends from the outbox; FALSE with @why when the peer is gone. */
static gboolean
write_some (VssPeer *self, char **why)
{
  g_mutex_lock (&self->lock);
  while (self->outbox.length > 0) {
    GBytes *head = g_queue_peek_head (&self->outbox);
    gsize len = 0;
    const guint8 *data = g_bytes_get_data (head, &len);
    ssize_t n = send (self->fd, data + self->out_offset, len - self->out_offset,
                      MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      break;
    if (n < 0) {
      *why = g_strdup_printf ("cannot send to the writer: %s", g_strerror (errno));
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
    self->out_offset += (gsize) n;
    if (self->out_offset == len) {
      g_bytes_unref (g_queue_pop_head (&self->outbox));
      self->out_offset = 0;
    }
  }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
drain_wake (VssPeer *self)
{
  char buf[64];
  while (read (self->wake[0], buf, sizeof buf) > 0)
    ;
}

/* One poll round; FALSE with @why when the connection is over. */
static gboolean
io_round (VssPeer *self, char **why)
{
  g_mutex_lock (&self->lock);
  gboolean want_write = self->outbox.length > 0;
  gint64 deadline = self->deadline_usec;
  gboolean stop = self->stop;
  g_mutex_unlock (&self->lock);
  if (stop) {
    *why = g_strdup ("closed by the coordinator");
    return FALSE;
  }
  gint64 now = g_get_monotonic_time ();
  if (deadline != 0 && now >= deadline) {
    *why = g_strdup ("did not finish in time after it was closed; killed");
    return FALSE;
  }
  int timeout = deadline != 0 ? (int) MIN ((deadline - now + 999) / 1000, G_MAXINT) : -1;
  struct pollfd fds[2] = {
    { .fd = self->fd, .events = POLLIN | (want_write ? POLLOUT : 0) },
    { .fd = self->wake[0], .events = POLLIN },
  };
  if (poll (fds, 2, timeout) < 0)
    return errno == EINTR ? TRUE : (*why = g_strdup_printf ("poll: %s", g_strerror (errno)), FALSE);
  if (fds[1].revents & POLLIN)
    drain_wake (self);
  if ((fds[0].revents & POLLOUT) && !write_some (self, why))
    return FALSE;
  if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !read_some (self, why))
    return FALSE;
  return TRUE;
}

static void
fail_pending (VssPeer *self)
{
  g_mutex_lock (&self->lock);
  GQueue pending = self->pending;
  g_queue_init (&self->pending);
  g_queue_clear_full (&self->outbox, (GDestroyNotify) g_bytes_unref);
  g_mutex_unlock (&self->lock);
  for (GList *l = pending.head; l != NULL; l = l->next) {
    Pending *one = l->data;
    one->done (lost_reply (self, one->event), one->user_data);
    g_free (one);
  }
  g_queue_clear (&pending);
}

static gpointer
io_thread (gpointer data)
{
  VssPeer *self = data;
  g_autofree char *why = NULL;

  while (io_round (self, &why))
    ;
  /* Stop answering first: new sends fail at once from here on. */
  g_mutex_lock (&self->lock);
  if (self->error_message != NULL) {
    char *with_error = g_strdup_printf ("%s (the writer said: %s)", why, self->error_message);
    g_free (why);
    why = with_error;
  }
  g_mutex_unlock (&self->lock);
  char *described = self->lost_func != NULL ? self->lost_func (self, why, self->user_data) : NULL;
  g_mutex_lock (&self->lock);
  self->lost = TRUE;
  self->lost_reason = described != NULL ? described : g_strdup (why);
  g_mutex_unlock (&self->lock);
  fail_pending (self);
  vss_peer_unref (self);
  return NULL;
}

VssPeer *
vss_peer_new (int fd, const char *name, const char *role, VssPeerLostFunc lost,
              gpointer user_data)
{
  VssPeer *self = g_new0 (VssPeer, 1);

  g_atomic_ref_count_init (&self->ref);
  g_mutex_init (&self->lock);
  self->fd = fd;
  self->name = g_strdup (name);
  self->lost_func = lost;
  self->user_data = user_data;
  self->inbuf = g_byte_array_new ();
  if (pipe2 (self->wake, O_CLOEXEC | O_NONBLOCK) < 0)
    g_error ("writer %s: cannot make a pipe: %s", name, g_strerror (errno));
  g_queue_init (&self->outbox);
  g_queue_init (&self->pending);
  /* Without a role the hellos were exchanged before (vss-app-server.c). */
  self->got_hello = role == NULL;
  if (role != NULL) {
    json_object *hello_message = vss_wire_hello_new (role);
    vss_peer_send_message (self, hello_message);
    json_object_put (hello_message);
  }
  g_autofree char *thread_name = g_strdup_printf ("vss-p-%.9s", name);
  /* Detached: the thread holds its own reference until the end. */
  g_thread_unref (g_thread_new (thread_name, io_thread, vss_peer_ref (self)));
  return self;
}
