/* image — a writer serving its one component as an image: component
 * "data", the file $VSS_TEST_IMAGE_DIR/data.bin.  Freeze reads the file
 * into memory (the "pin"); post_snapshot serves it.  $VSS_TEST_IMAGE_MODE:
 * "ok" (default) writes it all; "short" writes half, then fails;
 * "unread" serves it, then stays in post_snapshot for
 * $VSS_TEST_IMAGE_SLEEP_MS, longer than the pin timeout; "parts" serves
 * it as parts (vss_writer_serve_image_parts): its first 4096 bytes from
 * memory, the rest as a range of data.bin passed by descriptor;
 * "parts-shrink" passes a copy of data.bin that it cuts to half its size
 * right after serving (before the requester can read it).  Every release
 * of the pin appends "released <bytes written>" to
 * $VSS_TEST_IMAGE_DIR/released. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <gmodule.h>
#include <unistd.h>
#include <vss/vss.h>

#define IMAGE_ID "9f0c0e1a-0001-4000-8000-000000000401"

typedef struct {
  GBytes *data;
  gsize written;
  char *dir;
  int fd;                       /* the file a parts image passes, or -1 */
} Pin;

#define HEAD_BYTES 4096

static Pin *pinned;             /* from freeze to post_snapshot */

static void
pin_release (gpointer data)
{
  Pin *pin = data;
  g_autofree char *path = g_build_filename (pin->dir, "released", NULL);
  g_autofree char *line = g_strdup_printf ("released %zu\n", pin->written);
  FILE *f = fopen (path, "a");
  if (f != NULL) {
    fputs (line, f);
    fclose (f);
  }
  g_bytes_unref (pin->data);
  if (pin->fd >= 0)
    close (pin->fd);
  g_free (pin->dir);
  g_free (pin);
}

static gboolean
image_identify (VssWriter *writer, VssWriterMetadata *md, GError **error)
{
  const char *dir = g_getenv ("VSS_TEST_IMAGE_DIR");
  if (dir == NULL)
    return TRUE;
  return vss_writer_metadata_add_component (md, VSS_CT_FILEGROUP, NULL, "data", "Data", TRUE, TRUE, error) &&
         vss_writer_metadata_add_files_to_file_group (md, NULL, "data", dir, "data.bin", FALSE, NULL, error) &&
         vss_writer_metadata_set_component_image (md, NULL, "data", error);
}

static gboolean
image_freeze (VssWriter *writer)
{
  const char *dir = g_getenv ("VSS_TEST_IMAGE_DIR");
  g_autofree char *path = g_build_filename (dir, "data.bin", NULL);
  char *contents = NULL;
  gsize length = 0;
  if (!vss_writer_get_writer_images (writer) || !g_file_get_contents (path, &contents, &length, NULL))
    return TRUE;
  pinned = g_new0 (Pin, 1);
  pinned->data = g_bytes_new_take (contents, length);
  pinned->dir = g_strdup (dir);
  pinned->fd = -1;
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize length, Pin *pin)
{
  while (length > 0) {
    ssize_t n = write (fd, data, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    length -= (gsize) n;
    pin->written += (gsize) n;
  }
  return TRUE;
}

static gboolean
write_image (int fd, gpointer data, GError **error)
{
  Pin *pin = data;
  gsize length = 0;
  const guint8 *bytes = g_bytes_get_data (pin->data, &length);
  gboolean is_short = g_strcmp0 (g_getenv ("VSS_TEST_IMAGE_MODE"), "short") == 0;
  if (!write_all (fd, bytes, is_short ? length / 2 : length, pin) || is_short) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "the test image failed after %zu bytes",
                 pin->written);
    return FALSE;
  }
  return TRUE;
}

/* The "parts" and "parts-shrink" modes. */
static gboolean
serve_parts (VssWriter *writer, Pin *pin, const char *path, gboolean shrink, GError **error)
{
  gsize length = 0;
  const guint8 *bytes = g_bytes_get_data (pin->data, &length);
  g_autofree char *copy = g_build_filename (pin->dir, "shrink.bin", NULL);
  if (shrink && !g_file_set_contents (copy, (const char *) bytes, (gssize) length, error)) {
    pin_release (pin);
    return FALSE;
  }
  pin->fd = open (shrink ? copy : path, O_RDONLY | O_CLOEXEC);
  VssWriterImagePart parts[] = {
    { .bytes = bytes, .fd = -1, .length = MIN (length, HEAD_BYTES) },
    { .fd = pin->fd, .offset = MIN (length, HEAD_BYTES), .length = length - MIN (length, HEAD_BYTES) },
  };
  if (!vss_writer_serve_image_parts (writer, vss_writer_get_component (writer, 0), path, parts,
                                     G_N_ELEMENTS (parts), pin, pin_release, error))
    return FALSE;
  if (shrink && truncate (copy, (off_t) length / 2) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot cut %s: %s", copy,
                 g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
image_post_snapshot (VssWriter *writer)
{
  g_autoptr(GError) error = NULL;
  Pin *pin = g_steal_pointer (&pinned);
  if (pin == NULL || vss_writer_get_component_count (writer) == 0) {
    if (pin != NULL)
      pin_release (pin);
    return TRUE;
  }
  g_autofree char *path = g_build_filename (pin->dir, "data.bin", NULL);
  const char *mode = g_getenv ("VSS_TEST_IMAGE_MODE");
  gboolean ok = g_str_has_prefix (mode != NULL ? mode : "", "parts")
                  ? serve_parts (writer, pin, path, g_strcmp0 (mode, "parts-shrink") == 0, &error)
                  : vss_writer_serve_image (writer, vss_writer_get_component (writer, 0), path,
                                            g_bytes_get_size (pin->data), write_image, pin,
                                            pin_release, &error);
  if (!ok) {
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
    return FALSE;
  }
  if (g_strcmp0 (g_getenv ("VSS_TEST_IMAGE_MODE"), "unread") == 0) {
    const char *ms = g_getenv ("VSS_TEST_IMAGE_SLEEP_MS");
    g_usleep (1000 * (ms != NULL ? g_ascii_strtoull (ms, NULL, 10) : 1000));
  }
  return TRUE;
}

static gboolean
image_abort (VssWriter *writer)
{
  if (pinned != NULL)
    pin_release (g_steal_pointer (&pinned));
  return TRUE;
}

VSS_WRITER_DEFINE (IMAGE_ID, "image", VSS_UT_USERDATA, 0,
                   .on_identify = image_identify,
                   .on_freeze = image_freeze,
                   .on_post_snapshot = image_post_snapshot,
                   .on_abort = image_abort)
