/* test-writer-image.c — vss_writer_serve_image() and _parts() as the
 * runner keeps them: the entry they make, the stream of parts (bytes, and
 * a file passed by descriptor), and every way the pin is released (once
 * the reader closed its end after the stream, at abort, at
 * backup_complete, at the pin timeout, and at once when the requester
 * reads no images). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "document/vss-document-private.h"
#include "util/vss-image-parts.h"
#include "vss-test.h"
#include "wh-test.h"

#define WRITER_ID "6f1c2d3e-0000-4000-8000-0000000000ab"
#define IMAGE "0123456789abcdef"

static char *tmpdir;
static gint released;
static char *source;            /* the socket of the last image served */
static int part_fd = -1;        /* the file a parts image passes */
static gboolean serve_parts;    /* cb_serve serves HEAD + part_fd's range */
static VssWriterImagePart bad_part;   /* with bad_part.length: served alone */
#define HEAD "head"
#define FILE_BYTES "0123456789abcdef-the-file"

static void
setup (void)
{
  tmpdir = vss_test_setup_env ();
  g_atomic_int_set (&released, 0);
  serve_parts = FALSE;
  bad_part = (VssWriterImagePart) { 0 };
  g_autofree char *path = g_build_filename (tmpdir, "live", NULL);
  cr_assert (g_file_set_contents (path, FILE_BYTES, -1, NULL));
  part_fd = open (path, O_RDONLY | O_CLOEXEC);
}

static void
teardown (void)
{
  g_clear_pointer (&source, g_free);
  close (part_fd);
  vss_test_teardown_env (tmpdir);
  tmpdir = NULL;
}

TestSuite (writer_image, .init = setup, .fini = teardown);

static gboolean
write_image (int fd, gpointer data, GError **error)
{
  return write (fd, IMAGE, strlen (IMAGE)) == (ssize_t) strlen (IMAGE);
}

static void
release (gpointer data)
{
  g_atomic_int_inc (&released);
}

static gboolean
cb_serve (VssWriter *w)
{
  g_autoptr(GError) error = NULL;
  VssComponent *c = vss_writer_get_component (w, 0);
  /* the range skips the file's first 4 bytes; an empty part is left out */
  VssWriterImagePart parts[] = {
    { .bytes = HEAD, .fd = -1, .length = strlen (HEAD) },
    { .bytes = HEAD, .fd = -1, .length = 0 },
    { .fd = part_fd, .offset = 4, .length = strlen (FILE_BYTES) - 4 },
  };
  gboolean ok = bad_part.length > 0
                  ? vss_writer_serve_image_parts (w, c, "/srv/db/data.mdb", &bad_part, 1, NULL,
                                                  release, &error)
                : serve_parts
                  ? vss_writer_serve_image_parts (w, c, "/srv/db/data.mdb", parts,
                                                  G_N_ELEMENTS (parts), NULL, release, &error)
                  : vss_writer_serve_image (w, c, "/srv/db/data.mdb", strlen (IMAGE), write_image,
                                            NULL, release, &error);
  if (!ok) {
    vss_writer_set_failure (w, VSS_WF_NONRETRYABLE, "%s", error->message);
    return FALSE;
  }
  source = g_strdup (vss_component_get_post_snapshot_source (c, 0, NULL));
  return TRUE;
}

static json_object *
request_new (const char *event, gboolean images)
{
  json_object *request = wh_request_new (event, TRUE);
  g_autoptr(GPtrArray) components = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_component_free);
  g_ptr_array_add (components, vss_component_new (VSS_CT_DATABASE, "lmdb", "db"));
  json_object_object_add (request, "components", vss_components_to_json_array (components));
  json_object_object_add (request, "writer_images", json_object_new_boolean (images));
  return request;
}

static VssWriter *
writer_serving (const VssWriterDescriptor *d, gboolean images, VssEventReply **out_reply)
{
  VssWriter *writer = vss_writer_new (d, "inst-1");
  cr_assert (vss_writer_load (writer, NULL));
  json_object *request = request_new ("post_snapshot", images);
  *out_reply = vss_writer_handle_event (writer, VSS_EVENT_POST_SNAPSHOT, request);
  json_object_put (request);
  return writer;
}

static VssWriterDescriptor
descriptor_new (void)
{
  VssWriterDescriptor d = {
    .abi_major = VSS_WRITER_ABI_MAJOR, .abi_minor = VSS_WRITER_ABI_MINOR,
    .writer_id = WRITER_ID, .name = "imaging", .usage_type = VSS_UT_USERDATA,
    .on_post_snapshot = cb_serve,
  };
  return d;
}

static void
end_with (VssWriter *writer, VssEvent event)
{
  json_object *request = request_new (vss_event_to_string (event), TRUE);
  g_autoptr(VssEventReply) reply = vss_writer_handle_event (writer, event, request);
  json_object_put (request);
  cr_assert (reply->ok);
}

static int
connect_to (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
    close (fd);
    return -1;
  }
  return fd;
}

/* The reader has closed the image: the pin goes (within 2 s), once, and
 * freeing the writer does not release it again. */
static void
assert_released_once (VssWriter *writer)
{
  for (int i = 0; i < 200 && g_atomic_int_get (&released) == 0; i++)
    g_usleep (10 * 1000);
  cr_assert_eq (g_atomic_int_get (&released), 1, "released once the reader closed");
  vss_writer_free (writer);
  cr_assert_eq (g_atomic_int_get (&released), 1, "released once");
}

Test (writer_image, the_entry_names_a_socket_that_streams_the_image_then_releases)
{
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(VssEventReply) reply = NULL;
  VssWriter *writer = writer_serving (&d, TRUE, &reply);
  cr_assert (reply->ok, "%s", reply->message);
  const char *json = json_object_to_json_string_ext (reply->components, JSON_C_TO_STRING_PLAIN);
  cr_assert (strstr (json, "\"source\"") != NULL && strstr (json, "\"size\":16") != NULL, "%s", json);
  int fd = connect_to (source);
  cr_assert_geq (fd, 0, "connect %s: %s", source, g_strerror (errno));
  g_autoptr(GError) error = NULL;
  VssImagePart part;
  cr_assert_eq (vss_image_part_receive (fd, &part, &error), 1, "%s", error ? error->message : "");
  cr_assert_eq (part.kind, VSS_IMAGE_PART_BYTES, "one part of bytes, which the writer writes");
  cr_assert_eq (part.length, strlen (IMAGE));
  char buf[64] = { 0 };
  gsize got = 0;
  ssize_t n;
  while ((n = read (fd, buf + got, sizeof buf - 1 - got)) > 0)
    got += (gsize) n;
  close (fd);
  cr_assert_str_eq (buf, IMAGE);
  assert_released_once (writer);
}

/* The pin must outlive the last header: the reader copies the range
 * after it, so the release waits until the reader closed its end, however
 * long past the pin timeout (which bounds only the wait for a reader). */
Test (writer_image, parts_pass_bytes_and_the_file_and_release_once_the_reader_closed)
{
  serve_parts = TRUE;
  g_setenv ("VSS_WRITER_IMAGE_TIMEOUT_MS", "100", TRUE);
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(VssEventReply) reply = NULL;
  VssWriter *writer = writer_serving (&d, TRUE, &reply);
  cr_assert (reply->ok, "%s", reply->message);
  guint64 size = strlen (HEAD) + strlen (FILE_BYTES) - 4;
  g_autofree char *size_member = g_strdup_printf ("\"size\":%" G_GUINT64_FORMAT, size);
  const char *json = json_object_to_json_string_ext (reply->components, JSON_C_TO_STRING_PLAIN);
  cr_assert (strstr (json, size_member) != NULL, "%s", json);
  int fd = connect_to (source);
  cr_assert_geq (fd, 0, "connect %s: %s", source, g_strerror (errno));
  g_autoptr(GError) error = NULL;
  VssImagePart part;
  char buf[16] = { 0 };
  cr_assert_eq (vss_image_part_receive (fd, &part, &error), 1, "%s", error ? error->message : "");
  cr_assert (part.kind == VSS_IMAGE_PART_BYTES && part.length == strlen (HEAD));
  cr_assert_eq (read (fd, buf, strlen (HEAD)), (ssize_t) strlen (HEAD));
  cr_assert_str_eq (buf, HEAD);
  cr_assert_eq (vss_image_part_receive (fd, &part, &error), 1, "%s", error ? error->message : "");
  cr_assert_eq (part.kind, VSS_IMAGE_PART_FILE, "the empty part is left out");
  cr_assert (part.offset == 4 && part.length == strlen (FILE_BYTES) - 4);
  struct stat passed, mine;
  cr_assert (fstat (part.fd, &passed) == 0 && fstat (part_fd, &mine) == 0);
  cr_assert (passed.st_ino == mine.st_ino && passed.st_dev == mine.st_dev, "the writer's file");
  close (part.fd);
  cr_assert_eq (vss_image_part_receive (fd, &part, &error), 0, "then the end");
  g_usleep (400 * 1000);
  g_unsetenv ("VSS_WRITER_IMAGE_TIMEOUT_MS");
  cr_assert_eq (g_atomic_int_get (&released), 0, "released while the reader may still copy");
  close (fd);
  assert_released_once (writer);
}

Test (writer_image, a_part_with_both_bytes_and_a_file_is_refused_and_released)
{
  bad_part = (VssWriterImagePart) { .bytes = HEAD, .fd = part_fd, .length = 4 };
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(VssEventReply) reply = NULL;
  VssWriter *writer = writer_serving (&d, TRUE, &reply);
  cr_assert_not (reply->ok);
  cr_assert (strstr (reply->message, "either bytes or a file") != NULL, "%s", reply->message);
  cr_assert_eq (g_atomic_int_get (&released), 1);
  vss_writer_free (writer);
}

Test (writer_image, abort_releases_an_unread_image)
{
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(VssEventReply) reply = NULL;
  VssWriter *writer = writer_serving (&d, TRUE, &reply);
  cr_assert (reply->ok, "%s", reply->message);
  cr_assert_eq (g_atomic_int_get (&released), 0);
  cr_assert (g_file_test (source, G_FILE_TEST_EXISTS));
  end_with (writer, VSS_EVENT_ABORT);
  cr_assert_eq (g_atomic_int_get (&released), 1);
  cr_assert_not (g_file_test (source, G_FILE_TEST_EXISTS), "the socket goes with the image");
  vss_writer_free (writer);
}

Test (writer_image, backup_complete_releases_an_unread_image)
{
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(VssEventReply) reply = NULL;
  VssWriter *writer = writer_serving (&d, TRUE, &reply);
  end_with (writer, VSS_EVENT_BACKUP_COMPLETE);
  cr_assert_eq (g_atomic_int_get (&released), 1);
  vss_writer_free (writer);
}

Test (writer_image, the_pin_timeout_releases_an_unread_image)
{
  g_setenv ("VSS_WRITER_IMAGE_TIMEOUT_MS", "100", TRUE);
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(VssEventReply) reply = NULL;
  VssWriter *writer = writer_serving (&d, TRUE, &reply);
  for (int i = 0; i < 300 && g_atomic_int_get (&released) == 0; i++)
    g_usleep (10 * 1000);
  g_unsetenv ("VSS_WRITER_IMAGE_TIMEOUT_MS");
  cr_assert_eq (g_atomic_int_get (&released), 1, "released within 3 s of a 100 ms timeout");
  cr_assert_lt (connect_to (source), 0, "a late reader is refused, not left waiting");
  vss_writer_free (writer);
  cr_assert_eq (g_atomic_int_get (&released), 1);
}

Test (writer_image, a_requester_without_images_gets_none_and_the_pin_goes_at_once)
{
  VssWriterDescriptor d = descriptor_new ();
  g_autoptr(VssEventReply) reply = NULL;
  VssWriter *writer = writer_serving (&d, FALSE, &reply);
  cr_assert_not (reply->ok);
  cr_assert (strstr (reply->message, "reads images") != NULL, "%s", reply->message);
  cr_assert_eq (g_atomic_int_get (&released), 1);
  vss_writer_free (writer);
}
