/* vss-wire.h — the framing of the writer protocol (docs/writer-protocol.md).
 *
 * Every message is a 4-byte big-endian length followed by that many bytes
 * of one JSON object with a "type" member.  Both sides refuse a length of
 * zero or above VSS_WIRE_MAX_MESSAGE, and any body that is not a JSON
 * object: a peer that sends one is broken or hostile, and the connection
 * is dropped. */
#pragma once

#include <glib.h>
#include <json-c/json.h>

G_BEGIN_DECLS

#define VSS_WIRE_PROTOCOL_VERSION 1
/* One message carries at most one document (writer metadata, a writer's
 * components) of VSS_DOCUMENT_MAX_BYTES (64 MiB: ~250,000 components),
 * plus its envelope. */
#define VSS_WIRE_MAX_MESSAGE (65u * 1024u * 1024u)
/* The helper process finds its end of the socketpair here. */
#define VSS_WIRE_HELPER_FD 3

/* Writes one message; never raises SIGPIPE (MSG_NOSIGNAL on sockets). */
gboolean     vss_wire_write (int fd, json_object *message, GError **error);
/* Reads one message (blocking); NULL with @error, or NULL with no error
 * at a clean end of file before the first byte of a message. */
json_object *vss_wire_read (int fd, GError **error);

/* Frames @message into a new buffer (length prefix included). */
GBytes      *vss_wire_encode (json_object *message, GError **error);
/* Parses one framed message from the front of @buf.  Returns TRUE and
 * sets *out (NULL when the message is not complete yet) and *consumed;
 * FALSE with @error when the length or the body is bad. */
gboolean     vss_wire_decode (const guint8 *buf, gsize len, json_object **out,
                              gsize *consumed, GError **error);

/* {"type": @type} with more members to add. */
json_object *vss_wire_message_new (const char *type);
/* The "type" member, or NULL. */
const char  *vss_wire_message_type (json_object *message);
/* The hello every side sends first: {"type":"hello","protocol":1,"role":@role}. */
json_object *vss_wire_hello_new (const char *role);
/* TRUE when @message is a hello of our protocol major; else @error says
 * what came instead. */
gboolean     vss_wire_check_hello (json_object *message, GError **error);

G_END_DECLS
