/* vss-wire.c — length-prefixed JSON messages over a stream socket. */
#include "vss-wire.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vss/vss.h>

static gboolean
wire_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
wire_error (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE, "writer protocol: %s", message);
  return FALSE;
}

GBytes *
vss_wire_encode (json_object *message, GError **error)
{
  size_t length = 0;
  const char *body = json_object_to_json_string_length (message, JSON_C_TO_STRING_PLAIN, &length);

  if (length == 0 || length > VSS_WIRE_MAX_MESSAGE) {
    wire_error (error, "message of %zu bytes is over the limit of %u", length, VSS_WIRE_MAX_MESSAGE);
    return NULL;
  }
  guint8 *buf = g_malloc (length + 4);
  guint32 be = GUINT32_TO_BE ((guint32) length);
  memcpy (buf, &be, 4);
  memcpy (buf + 4, body, length);
  return g_bytes_new_take (buf, length + 4);
}

gboolean
vss_wire_decode (const guint8 *buf, gsize len, json_object **out, gsize *consumed, GError **error)
{
  guint32 be;

  *out = NULL;
  *consumed = 0;
  if (len < 4)
    return TRUE;
  memcpy (&be, buf, 4);
  guint32 length = GUINT32_FROM_BE (be);
  if (length == 0 || length > VSS_WIRE_MAX_MESSAGE)
    return wire_error (error, "message length %u is outside 1..%u", length, VSS_WIRE_MAX_MESSAGE);
  if (len - 4 < length)
    return TRUE;
  json_tokener *tok = json_tokener_new ();
  json_object *obj = json_tokener_parse_ex (tok, (const char *) buf + 4, (int) length);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  gboolean whole = jerr == json_tokener_success && tok->char_offset == (int) length;
  json_tokener_free (tok);
  if (obj == NULL || !whole || !json_object_is_type (obj, json_type_object)) {
    json_object_put (obj);
    return wire_error (error, "a message of %u bytes is not one JSON object", length);
  }
  *out = obj;
  *consumed = 4 + (gsize) length;
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *buf, gsize len, GError **error)
{
  while (len > 0) {
    ssize_t n = send (fd, buf, len, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK)
      n = write (fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return wire_error (error, "cannot send: %s", g_strerror (errno));
    buf += n;
    len -= (gsize) n;
  }
  return TRUE;
}

gboolean
vss_wire_write (int fd, json_object *message, GError **error)
{
  g_autoptr(GBytes) bytes = vss_wire_encode (message, error);
  gsize len = 0;

  if (bytes == NULL)
    return FALSE;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  return write_all (fd, data, len, error);
}

/* 1: got it all, 0: clean EOF before any byte, -1: error. */
static int
read_all (int fd, guint8 *buf, gsize len, GError **error)
{
  gsize got = 0;
  while (got < len) {
    ssize_t n = read (fd, buf + got, len - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      wire_error (error, "cannot receive: %s", g_strerror (errno));
      return -1;
    }
    if (n == 0) {
      if (got == 0)
        return 0;
      wire_error (error, "connection closed in the middle of a message");
      return -1;
    }
    got += (gsize) n;
  }
  return 1;
}

json_object *
vss_wire_read (int fd, GError **error)
{
  guint8 header[4];
  int r = read_all (fd, header, 4, error);

  if (r <= 0)
    return NULL;
  guint32 be;
  memcpy (&be, header, 4);
  guint32 length = GUINT32_FROM_BE (be);
  if (length == 0 || length > VSS_WIRE_MAX_MESSAGE) {
    wire_error (error, "message length %u is outside 1..%u", length, VSS_WIRE_MAX_MESSAGE);
    return NULL;
  }
  g_autofree guint8 *buf = g_malloc (length + 4);
  memcpy (buf, header, 4);
  r = read_all (fd, buf + 4, length, error);
  if (r == 0)
    wire_error (error, "connection closed in the middle of a message");
  if (r <= 0)
    return NULL;
  json_object *out = NULL;
  gsize consumed = 0;
  if (!vss_wire_decode (buf, length + 4, &out, &consumed, error))
    return NULL;
  return out;
}

json_object *
vss_wire_message_new (const char *type)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "type", json_object_new_string (type));
  return obj;
}

const char *
vss_wire_message_type (json_object *message)
{
  json_object *type = NULL;
  if (message == NULL || !json_object_object_get_ex (message, "type", &type) ||
      !json_object_is_type (type, json_type_string))
    return NULL;
  return json_object_get_string (type);
}

json_object *
vss_wire_hello_new (const char *role)
{
  json_object *obj = vss_wire_message_new ("hello");
  json_object_object_add (obj, "protocol", json_object_new_int (VSS_WIRE_PROTOCOL_VERSION));
  json_object_object_add (obj, "role", json_object_new_string (role));
  return obj;
}

gboolean
vss_wire_check_hello (json_object *message, GError **error)
{
  json_object *protocol = NULL;

  if (g_strcmp0 (vss_wire_message_type (message), "hello") != 0)
    return wire_error (error, "expected a hello, got \"%s\"",
                       vss_wire_message_type (message) ? vss_wire_message_type (message) : "no type");
  if (!json_object_object_get_ex (message, "protocol", &protocol) ||
      !json_object_is_type (protocol, json_type_int))
    return wire_error (error, "hello without a protocol version");
  int version = json_object_get_int (protocol);
  if (version != VSS_WIRE_PROTOCOL_VERSION)
    return wire_error (error, "protocol version %d, this side speaks %d; "
                       "use a writer host and library of the same release",
                       version, VSS_WIRE_PROTOCOL_VERSION);
  return TRUE;
}
