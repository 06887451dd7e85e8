/* vss-set-add-stream.c — a stream's bytes as one file entry of the set:
 * a writer image (vss_writer_serve_image) read from its socket after the
 * thaw.  The entry is like any file's (stored data, size, SHA-256), so
 * verify and restore treat it as one; its mode, owner and times are the
 * live file's, which the image stands for. */
#include "vss-set-writer-private.h"

#include "util/vss-fs.h"
#include "util/vss-hash-behind.h"

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

/* Copies exactly @size bytes from @sfd into @dfd, hashing them; one more
 * byte, or fewer, is an error. */
static gboolean
copy_stream (VssBackupSetWriter *self, int sfd, int dfd, guint64 size, const char *original,
             VssSetEntry *e, GError **error)
{
  g_autofree guint8 *buf = g_malloc (VSS_SET_COPY_CHUNK);
  StreamHash hash = { 0 };
  stream_hash_start (&hash, dfd, size);
  guint64 done = 0;
  gssize n = 1;
  int write_errno = 0;
  while (done < size && (n = read_some (sfd, buf, MIN (size - done, VSS_SET_COPY_CHUNK))) > 0) {
    if (!vss_fs_write_all (dfd, (const char *) buf, (gsize) n)) {
      write_errno = errno;
      break;
    }
    stream_hash_written (&hash, dfd, buf, done, (gsize) n);
    done += (guint64) n;
  }
  gboolean whole = write_errno == 0 && n > 0 && done == size;
  if (whole)
    n = read_some (sfd, buf, 1);   /* the end must come now */
  whole = whole && n == 0;
  if (!stream_hash_finish (&hash, whole, size, e->sha256) && whole)
    write_errno = errno != 0 ? errno : EIO;
  if (write_errno != 0) {
    g_autofree char *dst = g_build_filename (self->partial, e->stored, NULL);
    return vss_set_errno_is_full (write_errno)
               ? vss_set_writer_out_of_space (self, write_errno, dst, error)
               : vss_set_errno_error (error, write_errno, "cannot write", dst);
  }
  if (!whole) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                 "the image of %s %s after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                 " bytes%s%s (see the writer's log)", original,
                 n > 0 ? "went on" : "ended", done, size, n < 0 ? ": " : "",
                 n < 0 ? g_strerror (errno) : "");
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
