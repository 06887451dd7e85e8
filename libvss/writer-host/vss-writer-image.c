/* vss-writer-image.c — one image a writer serves after the thaw.
 *
 * The requester connects to a Unix socket in the runtime directory and
 * reads the image to its end.  A socket, not a FIFO: a reader that comes
 * after the writer gave up gets ECONNREFUSED at once instead of blocking,
 * and the writer learns when its reader went away (EPIPE).  The pin the
 * image stands on is released (@release) when the stream ended, when
 * nobody connected within the pin timeout, or when the writer's backup
 * ends (backup_complete, backup_shutdown, abort) — whichever comes first.
 * The stream is parts (util/vss-image-parts.h): the writer's own bytes,
 * or ranges of files passed by descriptor, which the requester reads
 * itself; so "after the stream" means once the requester has closed its
 * end, not once the last header went out. */
#include "vss-writer-image.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/vss-fs.h"
#include "util/vss-image-parts.h"
#include "util/vss-paths.h"

#define IMAGE_TIMEOUT_DEFAULT_MS (10 * 60 * 1000)
#define IMAGE_SOCKET_BUFFER (4 * 1024 * 1024)

struct _VssWriterImage {
  char *writer_name;
  char *path;                   /* the file the image stands for */
  char *dir;                    /* private directory holding the socket */
  char *socket_path;
  int listen_fd;
  GCancellable *cancel;
  GMutex lock;
  int stream_fd;                /* the connected reader, -1 before or after */
  GThread *thread;
  VssWriterImageFunc write_image;   /* writes one part of bytes, or NULL: */
  VssWriterImagePart *parts;        /* the parts as the writer gave them */
  guint n_parts;
  guint64 size;
  gpointer data;
  GDestroyNotify release;
  guint timeout_ms;
};

guint
vss_writer_image_timeout_ms (void)
{
  const char *env = g_getenv ("VSS_WRITER_IMAGE_TIMEOUT_MS");
  guint64 ms = env != NULL ? g_ascii_strtoull (env, NULL, 10) : 0;
  return ms > 0 && ms < G_MAXUINT ? (guint) ms : IMAGE_TIMEOUT_DEFAULT_MS;
}

/* The reader's connection, or -1 when the wait ended without one. */
static int
wait_for_reader (VssWriterImage *self)
{
  GPollFD cancel_fd;
  if (!g_cancellable_make_pollfd (self->cancel, &cancel_fd))
    return -1;
  struct pollfd fds[2] = { { self->listen_fd, POLLIN, 0 }, { cancel_fd.fd, POLLIN, 0 } };
  gint64 deadline = g_get_monotonic_time () + (gint64) self->timeout_ms * 1000;
  int fd = -1;
  while (fd < 0 && !g_cancellable_is_cancelled (self->cancel)) {
    gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
    if (left_ms <= 0) {
      g_message ("%s: nobody read the image of %s within %u ms: released", self->writer_name,
                 self->path, self->timeout_ms);
      break;
    }
    int n = poll (fds, 2, (int) MIN (left_ms, 1000));
    if (n > 0 && (fds[0].revents & POLLIN))
      fd = accept4 (self->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  }
  g_cancellable_release_fd (self->cancel);
  return fd;
}

static gboolean
write_parts (VssWriterImage *self, int fd, GError **error)
{
  for (guint i = 0; i < self->n_parts; i++) {
    const VssWriterImagePart *p = &self->parts[i];
    VssImagePart part = { p->bytes != NULL ? VSS_IMAGE_PART_BYTES : VSS_IMAGE_PART_FILE,
                          p->offset, p->length, p->bytes != NULL ? -1 : p->fd };
    if (!vss_image_part_send_header (fd, &part) ||
        (p->bytes != NULL && !vss_fs_write_all (fd, p->bytes, p->length))) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "sending part %u of %u: %s", i + 1,
                   self->n_parts, g_strerror (errno));
      return FALSE;
    }
  }
  return TRUE;
}

/* The image on @fd: its parts, or one part of bytes that the writer's
 * function writes. */
static gboolean
write_stream (VssWriterImage *self, int fd, GError **error)
{
  if (self->write_image == NULL)
    return write_parts (self, fd, error);
  VssImagePart whole = { VSS_IMAGE_PART_BYTES, 0, self->size, -1 };
  if (self->size > 0 && !vss_image_part_send_header (fd, &whole)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "%s", g_strerror (errno));
    return FALSE;
  }
  return self->write_image (fd, self->data, error);
}

/* Until the requester has closed its end (it may still be copying a
 * range of a file it was passed, which only the pin keeps as it was), or
 * the image is released (backup_complete, backup_shutdown, abort).  No
 * timeout: a pin dropped under a copy of many minutes would let the copy
 * mix two states of the store.  A requester that dies closes its end. */
static void
wait_for_reader_close (VssWriterImage *self, int fd)
{
  GPollFD cancel_fd;
  if (shutdown (fd, SHUT_WR) != 0 || !g_cancellable_make_pollfd (self->cancel, &cancel_fd))
    return;
  struct pollfd fds[2] = { { fd, POLLIN, 0 }, { cancel_fd.fd, POLLIN, 0 } };
  char byte;
  while (!g_cancellable_is_cancelled (self->cancel)) {
    int n = poll (fds, 2, 1000);
    if (n > 0 && fds[0].revents != 0 && read (fd, &byte, 1) <= 0)
      break;   /* closed (0), or gone (an error): anything it sends is ignored */
  }
  g_cancellable_release_fd (self->cancel);
}

static gpointer
serve_thread (gpointer user_data)
{
  VssWriterImage *self = user_data;
  /* A reader that leaves early must end the stream, not the process. */
  sigset_t pipe_set;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, NULL);
  int fd = wait_for_reader (self);
  /* one reader: a late one finds no socket rather than a silent one */
  g_unlink (self->socket_path);
  close (self->listen_fd);
  self->listen_fd = -1;
  if (fd >= 0) {
    /* room for the writer to run ahead while the reader hashes */
    int buffer = IMAGE_SOCKET_BUFFER;
    setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    g_mutex_lock (&self->lock);
    self->stream_fd = fd;
    g_mutex_unlock (&self->lock);
    g_autoptr(GError) error = NULL;
    /* a release that came between accept and here found no stream to cut */
    if (g_cancellable_set_error_if_cancelled (self->cancel, &error))
      g_debug ("%s: image of %s: released before it was read", self->writer_name, self->path);
    else if (!write_stream (self, fd, &error))
      g_message ("%s: image of %s: %s", self->writer_name, self->path,
                 error != NULL ? error->message : "the writer could not write it");
    else
      wait_for_reader_close (self, fd);
    g_mutex_lock (&self->lock);
    self->stream_fd = -1;
    g_mutex_unlock (&self->lock);
    close (fd);
  }
  if (self->release != NULL)
    self->release (self->data);
  self->release = NULL;
  return NULL;
}

static int
listen_at (const char *socket_path, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (socket_path) >= sizeof addr.sun_path) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "the image socket path %s is too long; set VSS_RUNTIME_DIR to a shorter "
                 "directory", socket_path);
    return -1;
  }
  strcpy (addr.sun_path, socket_path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0 && listen (fd, 1) == 0)
    return fd;
  int err = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot listen on %s: %s", socket_path,
               g_strerror (err));
  return -1;
}

static gboolean
make_socket (VssWriterImage *self, GError **error)
{
  const char *runtime = vss_paths_runtime_dir ();
  if (!vss_paths_ensure_dir (runtime, error))
    return FALSE;
  g_autofree char *template = g_build_filename (runtime, "image-XXXXXX", NULL);
  if (g_mkdtemp_full (template, 0700) == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot create %s: %s", template,
                 g_strerror (errno));
    return FALSE;
  }
  self->dir = g_steal_pointer (&template);
  self->socket_path = g_build_filename (self->dir, "s", NULL);
  self->listen_fd = listen_at (self->socket_path, error);
  return self->listen_fd >= 0;
}

VssWriterImage *
vss_writer_image_new (const char *writer_name, const char *path, guint64 size,
                      VssWriterImageFunc write_image, const VssWriterImagePart *parts,
                      guint n_parts, gpointer data, GDestroyNotify release, char **out_source,
                      GError **error)
{
  VssWriterImage *self = g_new0 (VssWriterImage, 1);
  self->writer_name = g_strdup (writer_name);
  self->path = g_strdup (path);
  self->listen_fd = self->stream_fd = -1;
  self->cancel = g_cancellable_new ();
  g_mutex_init (&self->lock);
  self->write_image = write_image;
  self->parts = write_image == NULL ? g_memdup2 (parts, n_parts * sizeof *parts) : NULL;
  self->n_parts = n_parts;
  self->size = size;
  self->data = data;
  self->release = release;
  self->timeout_ms = vss_writer_image_timeout_ms ();
  if (!make_socket (self, error)) {
    vss_writer_image_free (self);   /* releases: the caller's pin is not left held */
    return NULL;
  }
  *out_source = g_strdup (self->socket_path);
  self->thread = g_thread_new ("vss-image", serve_thread, self);
  return self;
}

void
vss_writer_image_free (VssWriterImage *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancel);
  g_mutex_lock (&self->lock);
  if (self->stream_fd >= 0)
    shutdown (self->stream_fd, SHUT_RDWR);   /* a stream in progress ends now */
  g_mutex_unlock (&self->lock);
  if (self->thread != NULL)
    g_thread_join (self->thread);
  else if (self->release != NULL)
    self->release (self->data);
  if (self->thread == NULL && self->listen_fd >= 0)
    close (self->listen_fd);
  if (self->thread == NULL && self->socket_path != NULL)
    g_unlink (self->socket_path);
  if (self->dir != NULL)
    g_rmdir (self->dir);
  g_object_unref (self->cancel);
  g_mutex_clear (&self->lock);
  g_free (self->parts);
  g_free (self->socket_path);
  g_free (self->dir);
  g_free (self->path);
  g_free (self->writer_name);
  g_free (self);
}
