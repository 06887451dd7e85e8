/* vss-set-add-stream.c — a stream's bytes as one file entry of the set:
 * a writer image (vss_writer_serve_image, _parts) read after the thaw, as
 * its parts (util/vss-image-parts.h): bytes from its socket, or ranges of
 * a file whose descriptor came over it, read here.  The entry
 * is like any file's (stored data, size, SHA-256), so verify and restore
 * treat it as one; its mode, owner and times are the live file's, which
 * the image stands for. */
#include "vss-set-writer-private.h"

#include "util/vss-image-parts.h"
#include "util/vss-piece-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads at most @want bytes; 0 at the end, -1 with errno. */
static gssize
read_some (int fd, guint8 *buf, gsize want)
{
  gssize n;
  do
    n = read (fd, buf, want);
  while (n < 0 && errno == EINTR);
  return n;
}

/* How the copy of a stream went. */
typedef struct {
  guint64 done;         /* bytes stored */
  gboolean ended;       /* the stream ended before its size */
  int read_errno;       /* the image could not be read */
  int write_errno;      /* the set's file could not be written */
  GError *refused;      /* a part that failed its checks */
} StreamCopy;

/* At most @want bytes of @part from @at on: from the socket for bytes,
 * from the range for a file (never through its file position, which the
 * writer shares); 0 at the end, -1 with errno. */
static gssize
read_part (const VssImagePart *part, int sfd, guint8 *buf, gsize want, guint64 at)
{
  if (part->kind != VSS_IMAGE_PART_FILE)
    return read_some (sfd, buf, want);
  gssize n;
  do
    n = pread (part->fd, buf, want, (off_t) (part->offset + at));
  while (n < 0 && errno == EINTR);
  return n;
}

/* A part, read straight into the pieces of the set's file
 * (util/vss-piece-writer.h), which hash and write them.  The digest is of
 * those private buffers, never of the writer's file read again: what is
 * hashed is exactly what was stored even if the live file changes
 * meanwhile.  For an LMDB image it does, harmlessly: the pages the pinned
 * read transaction uses never change while it is pinned, but free pages
 * may be rewritten by newer transactions, and LMDB never reads a free
 * page. */
static void
copy_part (StreamCopy *sc, const VssImagePart *part, int sfd, VssPieceWriter *pieces)
{
  for (guint64 copied = 0; copied < part->length;) {
    gsize room;
    guint8 *space = vss_piece_writer_space (pieces, &room);
    gssize n = read_part (part, sfd, space, (gsize) MIN (part->length - copied, room), copied);
    if (n <= 0) {
      /* the socket ended, or the file shrank since the checks (0) */
      sc->ended = n == 0;
      sc->read_errno = n < 0 ? errno : 0;
      return;
    }
    if (!vss_piece_writer_commit (pieces, (gsize) n)) {
      sc->write_errno = errno;
      return;
    }
    sc->done += (guint64) n;
    copied += (guint64) n;
  }
}

/* The stream's parts until @size bytes are stored or something fails;
 * TRUE when a part would go past @size. */
static gboolean
copy_parts (StreamCopy *sc, int sfd, VssPieceWriter *pieces, guint64 size)
{
  while (sc->done < size && !sc->ended && sc->read_errno == 0 && sc->write_errno == 0) {
    VssImagePart part;
    int got = vss_image_part_receive (sfd, &part, &sc->refused);
    sc->ended = got == 0;
    if (got <= 0)
      break;
    gboolean too_long = part.length > size - sc->done;
    if (!too_long)
      copy_part (sc, &part, sfd, pieces);
    if (part.fd >= 0)
      close (part.fd);
    if (too_long)
      return TRUE;
  }
  return FALSE;
}

/* Copies exactly @size bytes of the image on @sfd into @dfd, hashing
 * them; one more byte, or fewer, is an error. */
static gboolean
copy_stream (VssBackupSetWriter *self, int sfd, int dfd, guint64 size, const char *original,
             VssSetEntry *e, GError **error)
{
  VssPieceWriter *pieces = vss_piece_writer_new (dfd, size);
  StreamCopy sc = { 0 };
  gboolean went_on = copy_parts (&sc, sfd, pieces, size);
  gboolean whole = !went_on && sc.refused == NULL && sc.read_errno == 0 &&
                   sc.write_errno == 0 && sc.done == size;
  if (whole) {
    guint8 byte;
    gssize n = read_some (sfd, &byte, 1);   /* the end must come now */
    went_on = n > 0;
    sc.read_errno = n < 0 ? errno : 0;
    whole = n == 0;
  }
  if (!whole)
    vss_piece_writer_cancel (pieces);
  else if (!vss_piece_writer_finish (pieces, e->sha256))
    sc.write_errno = errno != 0 ? errno : EIO;
  g_autoptr(GError) refused = sc.refused;
  if (sc.write_errno != 0) {
    g_autofree char *dst = g_build_filename (self->partial, e->stored, NULL);
    return vss_set_errno_is_full (sc.write_errno)
               ? vss_set_writer_out_of_space (self, sc.write_errno, dst, error)
               : vss_set_errno_error (error, sc.write_errno, "cannot write", dst);
  }
  if (!whole) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                 "the image of %s %s after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                 " bytes%s%s (see the writer's log)", original,
                 went_on ? "went on" : refused != NULL ? "was refused" : "ended", sc.done, size,
                 refused != NULL || sc.read_errno != 0 ? ": " : "",
                 refused != NULL ? refused->message
                 : sc.read_errno != 0 ? g_strerror (sc.read_errno) : "");
    return FALSE;
  }
  e->size = size;
  e->sha256_tree = vss_digest_is_pieces (TRUE, size);
  self->bytes += size;
  return TRUE;
}

/* The live file's metadata, or a private file's when there is none. */
static void
take_metadata (VssSetEntry *e, const char *original)
{
  struct stat st;
  if (lstat (original, &st) != 0 || !S_ISREG (st.st_mode)) {
    st.st_mode = 0600;
    st.st_uid = getuid ();
    st.st_gid = getgid ();
    clock_gettime (CLOCK_REALTIME, &st.st_mtim);
    st.st_atim = st.st_mtim;
  }
  e->mode = st.st_mode & 07777;
  e->uid = st.st_uid;
  e->gid = st.st_gid;
  e->mtime_nsec = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
  e->atime_nsec = (gint64) st.st_atim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_atim.tv_nsec;
  e->has_atime = TRUE;
}

static gboolean
store_stream (VssBackupSetWriter *self, VssSetEntry *e, int sfd, guint64 size,
              const char *original, GError **error)
{
  if (!vss_set_writer_make_parents (self, e->stored, error))
    return FALSE;
  int dfd = openat (self->partial_fd, e->stored,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (dfd < 0) {
    g_autofree char *dst = g_build_filename (self->partial, e->stored, NULL);
    return vss_set_errno_error (error, errno, "cannot write", dst);
  }
  gboolean ok = copy_stream (self, sfd, dfd, size, original, e, error);
  if (close (dfd) != 0 && ok) {
    g_autofree char *dst = g_build_filename (self->partial, e->stored, NULL);
    ok = vss_set_errno_error (error, errno, "cannot write", dst);
  }
  return ok;
}

gboolean
vss_backup_set_writer_add_stream (VssBackupSetWriter *self, const char *component, int fd,
                                  guint64 size, const char *original, GError **error)
{
  g_return_val_if_fail (self != NULL && fd >= 0, FALSE);
  const char *problem = component == NULL || *component == '\0' ? "no component name"
                        : vss_set_check_absolute (original) != NULL
                            ? "the original path must be absolute and clean" : NULL;
  if (problem != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "cannot add a stream to %s: %s",
                 component != NULL ? component : "(null)", problem);
    return FALSE;
  }
  if (!vss_set_writer_check_usable (self, error))
    return FALSE;
  VssManifest *m = self->manifest;
  guint ncomponents = m->components->len;
  guint index = vss_manifest_component_index (m, component);
  vss_set_writer_begin_tree (self, index, original);
  if (vss_set_writer_has_entry (self, index, original)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                 "%s is already in component %s of the set", original, component);
    return FALSE;
  }
  VssSetEntry *e = vss_set_entry_new (index, original, VSS_SET_ENTRY_FILE);
  e->stored = g_strdup_printf (VSS_SET_FILES "/%u%s", index, original);
  take_metadata (e, original);
  if (!store_stream (self, e, fd, size, original, error)) {
    if (!self->failed)
      unlinkat (self->partial_fd, e->stored, 0);
    vss_set_entry_free (e);
    if (m->components->len > ncomponents)
      g_ptr_array_set_size (m->components, ncomponents);
    return FALSE;
  }
  vss_set_writer_record_entry (self, e);
  vss_set_writer_add_root (self, index, original);
  return vss_set_writer_check_entries (self, error);
}
