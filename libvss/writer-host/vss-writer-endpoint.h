/* vss-writer-endpoint.h — the writer's end of a connection: what a helper
 * process and an application-hosted writer both run.
 *
 * It turns protocol messages from the coordinator into calls of the
 * writer-side runner (vss-writer.c) and builds the answers.  One "open"
 * starts a writer session (on_load), "close" ends it (on_unload); an
 * application keeps its connection between sessions. */
#pragma once

#include "vss-writer-module.h"

G_BEGIN_DECLS

typedef struct _VssWriterEndpoint VssWriterEndpoint;

typedef enum {
  VSS_ENDPOINT_CONTINUE,      /* go on reading */
  VSS_ENDPOINT_CLOSED,        /* the session ended with "close" */
  VSS_ENDPOINT_FAILED,        /* protocol error: see @error, drop the connection */
} VssEndpointResult;

VssWriterEndpoint *vss_writer_endpoint_new (const VssWriterDescriptor *descriptor);
/* Ends an open session: on_abort first when the writer was prepared or
 * frozen and not yet through post_snapshot or abort (the coordinator is
 * gone, nobody else will tell it), then on_unload. */
void               vss_writer_endpoint_free (VssWriterEndpoint *self);
/* Freeze and thaw run at nice @window_nice, every other event at
 * @background_nice (a helper started in the background). */
void vss_writer_endpoint_set_nice (VssWriterEndpoint *self, int window_nice, int background_nice);

/* Our hello: protocol, role "writer", the descriptor's identity, our pid. */
json_object *vss_writer_endpoint_hello (VssWriterEndpoint *self);
/* Handles one message; *out_reply is the message to send back, or NULL. */
VssEndpointResult vss_writer_endpoint_handle (VssWriterEndpoint *self, json_object *message,
                                              json_object **out_reply, GError **error);
/* Ends the current session as if the coordinator had vanished. */
void vss_writer_endpoint_lost (VssWriterEndpoint *self);

/* From another thread, once the coordinator is gone: when the serving
 * thread is stuck in an event of a writer that may hold a freeze, runs
 * on_abort beside it (that thread is abandoned; the caller exits the
 * process next).  TRUE when on_abort ran. */
gboolean vss_writer_endpoint_abandon (VssWriterEndpoint *self);
/* Whether the serving thread is inside an event now. */
gboolean vss_writer_endpoint_is_busy (VssWriterEndpoint *self);

/* Reads one message from the blocking socket @fd, handles it and writes
 * the reply.  VSS_ENDPOINT_FAILED ends the session (as
 * vss_writer_endpoint_lost): with @error on a protocol error, after
 * telling the peer with an "error" message; without at end of file. */
VssEndpointResult vss_writer_endpoint_serve_one (VssWriterEndpoint *self, int fd, GError **error);

/* Serves the blocking socket @fd until "close" (@until_close) or end of
 * file.  Our hello must have been sent already.  FALSE with @error on a
 * protocol error (after telling the peer with an "error" message). */
gboolean vss_writer_endpoint_serve (VssWriterEndpoint *self, int fd, gboolean until_close,
                                    GError **error);

/* Identity from a writer's hello, as a descriptor without callbacks (for
 * the coordinator's record of an application-hosted writer). */
gboolean vss_writer_hello_parse (json_object *hello, VssWriterDescriptor *out_descriptor,
                                 char **out_writer_id, char **out_name, gint64 *out_pid,
                                 GError **error);

G_END_DECLS
