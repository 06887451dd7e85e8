/* vss-image-parts.h — the wire of a writer image (docs/writer-protocol.md,
 * "Writer images"): the image is a sequence of parts on a Unix stream
 * socket, each a fixed header followed either by its bytes or by nothing,
 * a descriptor of a regular file riding with the header (SCM_RIGHTS) and
 * the part being a range of that file, which the reader copies itself.
 * The writer's side sends (writer-host/vss-writer-image.c); the
 * requester's side receives and checks (backupset/vss-set-add-stream.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VSS_IMAGE_PART_BYTES = 1,   /* @length bytes follow the header */
  VSS_IMAGE_PART_FILE = 2,    /* [@offset, @offset + @length) of the attached file */
} VssImagePartKind;

typedef struct {
  VssImagePartKind kind;
  guint64 offset;             /* FILE: where the range starts in the file */
  guint64 length;             /* never 0 */
  int fd;                     /* FILE: the file (the receiver owns it), else -1 */
} VssImagePart;

/* Sends @part's header, with @part->fd attached for a FILE part (the
 * sender keeps its descriptor); a BYTES part's bytes are the caller's to
 * write next.  FALSE with errno. */
gboolean vss_image_part_send_header (int sock, const VssImagePart *part);

/* Reads the next header from @sock.  1: a part, checked — a FILE part
 * carries exactly one descriptor, of a regular file, whose size holds the
 * range (its fd is then the caller's to close); 0: the stream ended before
 * a header; -1 with @error (VSS_ERROR_UNEXPECTED): not a part header, a
 * header cut short, or a FILE part that fails those checks.  Descriptors
 * that come with anything else are closed. */
int      vss_image_part_receive (int sock, VssImagePart *part, GError **error);

G_END_DECLS
