/* vss-transport.h — how the coordinator reaches a writer.
 *
 * The coordinator speaks to every writer through a VssTransport, whatever
 * runs the writer: a worker thread in this process (in-process transport),
 * a helper process, or an application over a socket.  An event and its
 * reply are plain JSON objects, so a transport that crosses a process
 * boundary only has to carry them; the state machine never knows which
 * transport it talks to.
 *
 * Request (built by the coordinator, see vss-event.c):
 *   { "event": "freeze", "writer_id": …, "instance_id": …,
 *     "backup_type": "full", "context": "backup", "select_components": true,
 *     "bootable_state": false, "partial_file_support": false,
 *     "snapshot_set_id": … | absent,
 *     "snapshots": [ { "original_path": …, "snapshot_path": … } ],
 *     "components": [ …the writer's BCD components… ],
 *     "writable": true }
 *
 * Reply (VssEventReply): ok, failure, message, and for identify the
 * metadata, for writable events the components as the writer left them. */
#pragma once

#include <json-c/json.h>
#include <vss/vss.h>

G_BEGIN_DECLS

typedef enum {
  VSS_EVENT_IDENTIFY,
  VSS_EVENT_PREPARE_BACKUP,
  VSS_EVENT_PREPARE_SNAPSHOT,
  VSS_EVENT_FREEZE,
  VSS_EVENT_THAW,
  VSS_EVENT_POST_SNAPSHOT,
  VSS_EVENT_BACKUP_COMPLETE,
  VSS_EVENT_BACKUP_SHUTDOWN,
  VSS_EVENT_ABORT,
  VSS_EVENT_PRE_RESTORE,
  VSS_EVENT_POST_RESTORE,
  VSS_EVENT_COUNT
} VssEvent;

/* "identify", "prepare_backup", … */
const char *vss_event_to_string (VssEvent event);
gboolean    vss_event_from_string (const char *str, VssEvent *out);
/* Whether a writer needs on_abort if its coordinator vanished after
 * @event was sent: from prepare_backup on, until post_snapshot, abort or
 * backup_shutdown; other events leave @needed as it was. */
gboolean    vss_event_leaves_abort_needed (VssEvent event, gboolean needed);

typedef struct {
  gboolean ok;
  VssWriterFailure failure;     /* VSS_WF_NONE when none was set */
  char *message;                /* "name: event: what went wrong" or NULL */
  json_object *metadata;        /* identify only: the writer metadata */
  json_object *components;      /* the components after a writable event, or NULL */
  guint freeze_timeout_ms;      /* the writer's declared freeze timeout, 0 when unsaid */
  gboolean not_configured;      /* on_load said VSS_ERROR_WRITER_NOT_CONFIGURED */
} VssEventReply;

VssEventReply *vss_event_reply_new (void);
/* A failed reply with @failure and a formatted message. */
VssEventReply *vss_event_reply_new_failure (VssWriterFailure failure, const char *format, ...) G_GNUC_PRINTF (2, 3);
void           vss_event_reply_free (VssEventReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssEventReply, vss_event_reply_free)
json_object   *vss_event_reply_to_json (const VssEventReply *reply);
VssEventReply *vss_event_reply_from_json (json_object *obj, GError **error);

/* Called exactly once per send, on any thread; owns @reply. */
typedef void (*VssReplyFunc) (VssEventReply *reply, gpointer user_data);

typedef struct _VssTransport VssTransport;

typedef struct {
  const char *name;                 /* "inproc", "helper", "socket" */
  /* Queue @event for the writer.  Events of one writer are handled one at
   * a time, in the order sent.  @request is borrowed (take a ref to keep it). */
  void (*send) (VssTransport *self, VssEvent event, json_object *request,
                VssReplyFunc done, gpointer user_data);
  /* Stop the writer once its queued events are done (on_unload).  Never
   * blocks, even when the writer hangs; frees @self when it is safe. */
  void (*close) (VssTransport *self);
  /* Optional: end the writer now, whatever it does (stopped, hung), and
   * return once it is gone — a helper is SIGKILLed and reaped.  Its
   * pending and later events fail.  NULL where nothing can be ended (a
   * writer thread of this process). */
  void (*kill) (VssTransport *self);
} VssTransportClass;

struct _VssTransport {
  const VssTransportClass *klass;
};

static inline void
vss_transport_send (VssTransport *self, VssEvent event, json_object *request,
                    VssReplyFunc done, gpointer user_data)
{
  self->klass->send (self, event, request, done, user_data);
}

static inline void
vss_transport_close (VssTransport *self)
{
  self->klass->close (self);
}

/* FALSE when the transport cannot end its writer. */
static inline gboolean
vss_transport_kill (VssTransport *self)
{
  if (self->klass->kill == NULL)
    return FALSE;
  self->klass->kill (self);
  return TRUE;
}

G_END_DECLS
