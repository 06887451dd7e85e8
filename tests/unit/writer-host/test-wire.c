/* test-wire.c — the writer protocol's framing, and the helper process
 * facing a hostile or wrong-version coordinator: refused with an "error"
 * message and exit status 2, never a crash. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vss-test.h"
#include "wh-test.h"
#include "writer-host/vss-wire.h"

VSS_TEST_ENV_FIXTURE (setup, teardown);

TestSuite (wire, .init = setup, .fini = teardown, .timeout = 30);

static GBytes *
frame (guint32 length, const char *body)
{
  GByteArray *buf = g_byte_array_new ();
  guint32 be = GUINT32_TO_BE (length);
  g_byte_array_append (buf, (const guint8 *) &be, 4);
  g_byte_array_append (buf, (const guint8 *) body, (guint) strlen (body));
  return g_byte_array_free_to_bytes (buf);
}

static gboolean
decode (GBytes *bytes, json_object **out, gsize *consumed, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  return vss_wire_decode (data, len, out, consumed, error);
}

Test (wire, a_message_round_trips_and_partial_input_waits)
{
  json_object *msg = vss_wire_hello_new ("writer");
  g_autoptr(GBytes) bytes = vss_wire_encode (msg, NULL);
  json_object *out = NULL;
  gsize consumed = 0;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  cr_assert (vss_wire_decode (data, len - 1, &out, &consumed, NULL));
  cr_assert_null (out, "a partial message must wait for more bytes");
  cr_assert (vss_wire_decode (data, len, &out, &consumed, NULL));
  cr_assert_eq (consumed, len);
  cr_assert (vss_wire_check_hello (out, NULL));
  cr_assert_str_eq (vss_wire_message_type (out), "hello");
  json_object_put (out);
  json_object_put (msg);
}

Test (wire, bad_lengths_and_bodies_are_refused)
{
  static const struct { guint32 length; const char *body; const char *error; } cases[] = {
    { 0, "", "outside 1.." },
    { VSS_WIRE_MAX_MESSAGE + 1, "{}", "outside 1.." },
    { 9, "[1, 2, 3]", "not one JSON object" },
    { 4, "{}{}", "not one JSON object" },
    { 5, "{\"a\":", "not one JSON object" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GBytes) bytes = frame (cases[i].length, cases[i].body);
    g_autoptr(GError) error = NULL;
    json_object *out = NULL;
    gsize consumed = 0;
    cr_assert_not (decode (bytes, &out, &consumed, &error), "case %u accepted", i);
    cr_assert_null (out);
    cr_assert_not_null (strstr (error->message, cases[i].error), "case %u: %s", i, error->message);
  }
}

Test (wire, another_protocol_version_is_refused_with_a_hint)
{
  json_object *hello = json_tokener_parse ("{\"type\":\"hello\",\"protocol\":2}");
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_wire_check_hello (hello, &error));
  cr_assert_not_null (strstr (error->message, "protocol version 2, this side speaks 1"), "%s",
                      error->message);
  json_object_put (hello);
}

/* Starts vss-writer-host on the recorder module; returns our end. */
static int
start_helper (GPid *pid)
{
  int fds[2];
  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "recorder", NULL);
  g_autofree char *module = g_build_filename (dir, "libvss-test-recorder.so", NULL);
  const char *argv[] = { g_getenv ("VSS_WRITER_HOST"), module, NULL };
  int source[] = { fds[1] };
  int target[] = { VSS_WIRE_HELPER_FD };
  g_autoptr(GError) error = NULL;
  cr_assert (g_spawn_async_with_pipes_and_fds (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                               NULL, -1, -1, -1, source, target, 1, pid, NULL,
                                               NULL, NULL, &error),
             "%s", error ? error->message : "");
  close (fds[1]);
  return fds[0];
}

static void
expect_refusal (int fd, GPid pid, const char *part)
{
  /* Its hello first, then the error. */
  json_object *hello = vss_wire_read (fd, NULL);
  cr_assert (vss_wire_check_hello (hello, NULL));
  json_object_put (hello);
  json_object *error = vss_wire_read (fd, NULL);
  cr_assert_str_eq (vss_wire_message_type (error), "error");
  json_object *text = NULL;
  cr_assert (json_object_object_get_ex (error, "message", &text));
  cr_assert_not_null (strstr (json_object_get_string (text), part), "%s",
                      json_object_get_string (text));
  json_object_put (error);
  int status = 0;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 2, "helper status %d", status);
  close (fd);
}

Test (wire, the_helper_refuses_a_coordinator_of_another_version)
{
  GPid pid;
  int fd = start_helper (&pid);
  json_object *hello = json_tokener_parse ("{\"type\":\"hello\",\"protocol\":99,\"role\":\"coordinator\"}");
  cr_assert (vss_wire_write (fd, hello, NULL));
  json_object_put (hello);
  expect_refusal (fd, pid, "protocol version 99");
}

Test (wire, the_helper_refuses_an_oversized_message)
{
  GPid pid;
  int fd = start_helper (&pid);
  json_object *hello = vss_wire_hello_new ("coordinator");
  cr_assert (vss_wire_write (fd, hello, NULL));
  json_object_put (hello);
  g_autoptr(GBytes) bytes = frame (0x7fffffff, "{}");
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  cr_assert_eq (send (fd, data, len, MSG_NOSIGNAL), (ssize_t) len);
  expect_refusal (fd, pid, "outside 1..");
}

Test (wire, the_helper_refuses_an_event_it_does_not_know)
{
  GPid pid;
  int fd = start_helper (&pid);
  json_object *hello = vss_wire_hello_new ("coordinator");
  json_object *event = json_tokener_parse ("{\"type\":\"event\",\"seq\":1,\"event\":\"explode\"}");
  cr_assert (vss_wire_write (fd, hello, NULL) && vss_wire_write (fd, event, NULL));
  json_object_put (hello);
  json_object_put (event);
  expect_refusal (fd, pid, "unknown event name");
}
