/* vss-image-parts.c — the headers of a writer image's parts, and the
 * descriptors that ride with them (vss-image-parts.h). */
#include "vss-image-parts.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vss/vss-error.h>

/* Both ends are on one machine: host byte order. */
typedef struct {
  char magic[4];
  guint32 kind;
  guint64 offset;
  guint64 length;
} Header;

#define MAGIC "VSSi"
/* A header carries one descriptor; room for a few more so that extra
 * ones arrive (and are closed) rather than being dropped unseen. */
#define MAX_FDS 4

gboolean
vss_image_part_send_header (int sock, const VssImagePart *part)
{
  Header h = { .kind = part->kind, .offset = part->offset, .length = part->length };
  memcpy (h.magic, MAGIC, sizeof h.magic);
  struct iovec iov = { &h, sizeof h };
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int))];
  } control = { 0 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (part->kind == VSS_IMAGE_PART_FILE) {
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN (sizeof (int));
    memcpy (CMSG_DATA (c), &part->fd, sizeof (int));
  }
  gsize done = 0;
  while (done < sizeof h) {
    ssize_t n = sendmsg (sock, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    /* the descriptor went with the first byte; the rest goes plain */
    done += (gsize) n;
    iov.iov_base = (char *) &h + done;
    iov.iov_len = sizeof h - done;
    msg.msg_control = NULL;
    msg.msg_controllen = 0;
  }
  return TRUE;
}

/* The descriptors in @msg's control data, appended to @fds. */
static void
collect_fds (struct msghdr *msg, GArray *fds)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR (msg); c != NULL; c = CMSG_NXTHDR (msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    gsize n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
    for (gsize i = 0; i < n; i++) {
      int fd;
      memcpy (&fd, CMSG_DATA (c) + i * sizeof (int), sizeof fd);
      g_array_append_val (fds, fd);
    }
  }
}

/* Reads the whole header; the bytes read (short only at the end of the
 * stream), or -1 with errno. */
static gssize
read_header (int sock, Header *h, GArray *fds)
{
  gsize done = 0;
  while (done < sizeof *h) {
    union {
      struct cmsghdr align;
      char buf[CMSG_SPACE (MAX_FDS * sizeof (int))];
    } control;
    struct iovec iov = { (char *) h + done, sizeof *h - done };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                          .msg_controllen = sizeof control.buf };
    ssize_t n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    collect_fds (&msg, fds);
    if (n == 0)
      break;
    done += (gsize) n;
  }
  return (gssize) done;
}

/* A FILE part's descriptor: a regular file that holds the whole range. */
static gboolean
check_file (const VssImagePart *part, guint n_fds, GError **error)
{
  struct stat st;
  const char *problem = NULL;
  if (n_fds != 1)
    problem = n_fds == 0 ? "a file part came without its descriptor"
                         : "a file part came with more than one descriptor";
  else if (fstat (part->fd, &st) != 0 || !S_ISREG (st.st_mode))
    problem = "a file part's descriptor is not a regular file";
  else if (part->offset > (guint64) st.st_size || part->length > (guint64) st.st_size - part->offset)
    problem = "a file part's range ends past the end of its file";
  if (problem != NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "%s (offset %" G_GUINT64_FORMAT
                 ", %" G_GUINT64_FORMAT " bytes)", problem, part->offset, part->length);
  return problem == NULL;
}

/* What is wrong with a header of @n bytes that came with @n_fds
 * descriptors, or NULL. */
static const char *
header_problem (const Header *h, gssize n, guint n_fds)
{
  if (n == 0)
    return "the image ended with a stray descriptor";
  if (n < (gssize) sizeof *h)
    return "the image ended inside a part's header";
  if (memcmp (h->magic, MAGIC, sizeof h->magic) != 0)
    return "the image is not a stream of parts (is the writer's libvss older?)";
  if ((h->kind != VSS_IMAGE_PART_BYTES && h->kind != VSS_IMAGE_PART_FILE) || h->length == 0)
    return "a part header of an unknown kind, or of no bytes";
  if (h->kind == VSS_IMAGE_PART_BYTES && n_fds > 0)
    return "a part of bytes came with a descriptor";
  return NULL;
}

int
vss_image_part_receive (int sock, VssImagePart *part, GError **error)
{
  Header h = { 0 };
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  gssize n = read_header (sock, &h, fds);
  int err = errno;
  if (n == 0 && fds->len == 0)
    return 0;
  *part = (VssImagePart) { .kind = h.kind, .offset = h.offset, .length = h.length,
                           .fd = fds->len > 0 ? g_array_index (fds, int, 0) : -1 };
  const char *problem = n < 0 ? NULL : header_problem (&h, n, fds->len);
  gboolean ok = FALSE;
  if (n < 0)
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot read the image: %s",
                 g_strerror (err));
  else if (problem != NULL)
    g_set_error_literal (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, problem);
  else
    ok = h.kind != VSS_IMAGE_PART_FILE || check_file (part, fds->len, error);
  gboolean keep_fd = ok && h.kind == VSS_IMAGE_PART_FILE;
  for (guint i = keep_fd ? 1 : 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  if (!keep_fd)
    part->fd = -1;
  return ok ? 1 : -1;
}
