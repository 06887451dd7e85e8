/* vss-set-add-stream.c — a stream's bytes as one file entry of the set:
 * a writer image (vss_writer_serve_image, _parts) read after the thaw, as
 * its parts (util/vss-image-parts.h): bytes from its socket, or ranges of
 * a file whose descriptor came over it, copied by the kernel.  The entry
 * is like any file's (stored data, size, SHA-256), so verify and restore
 * treat it as one; its mode, owner and times are the live file's, which
 * the image stands for. */
#include "vss-set-writer-private.h"

#include "util/vss-fs.h"
#include "util/vss-hash-behind.h"
#include "util/vss-image-parts.h"

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

/* Hashes what was written: inline for a stream of one piece, behind the
 * writes on every core for a larger one (util/vss-hash-behind.c), so the
 * hash of an image overlaps its transfer instead of adding to it. */
typedef struct {
  VssDigest *inline_digest;
  VssHashBehind *behind;
  off_t flushed;
} StreamHash;

static void
stream_hash_start (StreamHash *h, int dfd, guint64 size)
{
  if (vss_digest_is_pieces (TRUE, size))
    h->behind = vss_hash_behind_start (dfd);
  else
    h->inline_digest = vss_digest_new (TRUE);
}

static void
stream_hash_written (StreamHash *h, int dfd, const guint8 *buf, guint64 offset, gsize n)
{
  if (h->inline_digest != NULL) {
    vss_digest_update (h->inline_digest, buf, n);
    return;
  }
  vss_hash_behind_publish (h->behind, (off_t) (offset + n));
  vss_fs_write_behind (dfd, (off_t) offset, (off_t) n, &h->flushed);
}

/* FALSE when the written copy could not be read back for its digest. */
static gboolean
stream_hash_finish (StreamHash *h, gboolean ok, guint64 size, char out[65])
{
  if (h->inline_digest != NULL) {
    vss_digest_finish (h->inline_digest, out);
    vss_digest_free (h->inline_digest);
    return TRUE;
  }
  if (!ok) {
    vss_hash_behind_cancel (h->behind);
    return TRUE;
  }
  return vss_hash_behind_finish (h->behind, (off_t) size, out);
}

/* How the copy of a stream went. */
typedef struct {
  guint64 done;         /* bytes stored */
  gboolean ended;       /* the stream ended before its size */
  int read_errno;       /* the image could not be read */
  int write_errno;      /* the set's file could not be written */
  GError *refused;      /* a part that failed its checks */
} StreamCopy;

static gboolean
pwrite_all (int fd, const guint8 *buf, gsize length, guint64 offset)
{
  while (length > 0) {
    ssize_t n = pwrite (fd, buf, length, (off_t) offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    buf += n, offset += (guint64) n, length -= (gsize) n;
  }
  return TRUE;
}

/* A part of bytes, read from the socket and written at its offset (never
 * through the file position, which nothing here owns alone). */
static void
copy_bytes_part (StreamCopy *sc, int sfd, int dfd, guint8 *buf, guint64 length, StreamHash *hash)
{
  guint64 end = sc->done + length;
  while (sc->done < end) {
    gssize n = read_some (sfd, buf, MIN (end - sc->done, VSS_SET_COPY_CHUNK));
    if (n <= 0) {
      sc->read_errno = n < 0 ? errno : 0;
      sc->ended = n == 0;
      return;
    }
    if (!pwrite_all (dfd, buf, (gsize) n, sc->done)) {
      sc->write_errno = errno;
      return;
    }
    stream_hash_written (hash, dfd, buf, sc->done, (gsize) n);
    sc->done += (guint64) n;
  }
}

/* A range of a file the writer passed by descriptor, copied by the kernel
 * into the set's file.  The digest is of the stored copy, read back from
 * it (by the hash threads, or here for a small image), never of the
 * writer's file: what is hashed is exactly what was stored even if the
 * live file changes meanwhile.  For an LMDB image it does, harmlessly:
 * the pages the pinned read transaction uses never change while it is
 * pinned, but free pages may be rewritten by newer transactions, and
 * LMDB never reads a free page. */
static void
copy_file_part (StreamCopy *sc, const VssImagePart *part, int dfd, guint8 *buf, StreamHash *hash)
{
  gboolean use_cfr = TRUE;
  for (guint64 copied = 0; copied < part->length;) {
    gsize want = MIN (part->length - copied, VSS_SET_COPY_CHUNK);
    gssize n = vss_fs_copy_range (part->fd, (off_t) (part->offset + copied), dfd,
                                  (off_t) sc->done, want, &use_cfr);
    if (n > 0 && hash->inline_digest != NULL && pread (dfd, buf, (gsize) n, (off_t) sc->done) != n)
      n = -1;
    if (n <= 0) {
      /* the file shrank since the checks (0), or a copy failed */
      sc->ended = n == 0;
      if (n < 0 && vss_set_errno_is_full (errno))
        sc->write_errno = errno;
      else if (n < 0)
        sc->read_errno = errno;
      return;
    }
    stream_hash_written (hash, dfd, buf, sc->done, (gsize) n);
    sc->done += (guint64) n;
    copied += (guint64) n;
  }
}

/* The stream's parts until @size bytes are stored or something fails;
 * TRUE when a part would go past @size. */
static gboolean
copy_parts (StreamCopy *sc, int sfd, int dfd, guint8 *buf, guint64 size, StreamHash *hash)
{
  while (sc->done < size && !sc->ended && sc->read_errno == 0 && sc->write_errno == 0) {
    VssImagePart part;
    int got = vss_image_part_receive (sfd, &part, &sc->refused);
    sc->ended = got == 0;
    if (got <= 0)
      break;
    gboolean too_long = part.length > size - sc->done;
    if (!too_long && part.kind == VSS_IMAGE_PART_FILE)
      copy_file_part (sc, &part, dfd, buf, hash);
    else if (!too_long)
      copy_bytes_part (sc, sfd, dfd, buf, part.length, hash);
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
  g_autofree guint8 *buf = g_malloc (VSS_SET_COPY_CHUNK);
  StreamHash hash = { 0 };
  stream_hash_start (&hash, dfd, size);
  StreamCopy sc = { 0 };
  gboolean went_on = copy_parts (&sc, sfd, dfd, buf, size, &hash);
  gboolean whole = !went_on && sc.refused == NULL && sc.read_errno == 0 &&
                   sc.write_errno == 0 && sc.done == size;
  if (whole) {
    gssize n = read_some (sfd, buf, 1);   /* the end must come now */
    went_on = n > 0;
    sc.read_errno = n < 0 ? errno : 0;
    whole = n == 0;
  }
  if (!stream_hash_finish (&hash, whole, size, e->sha256) && whole)
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
                    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);   /* read back by the hash */
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
