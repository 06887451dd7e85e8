/* vss-set-copy.c — the one-pass copy of a backup set: every byte is read
 * once, hashed and written, holes stay holes (the digest:
 * util/vss-digest.h).  A large file written to a destination also open
 * for reading (the set's own files) is hashed from its written copy on
 * other threads and written out behind the copy (util/vss-hash-behind.c,
 * vss_fs_write_behind): the copy and the hash overlap, and no flush of
 * everything is left for the end.  A large file only read (verify) is
 * hashed piece by piece on every core. */
#include "vss-backup-set-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/vss-copy-pace.h"
#include "util/vss-fs.h"
#include "util/vss-hash-behind.h"


gboolean
vss_set_errno_error (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/* ---- the hashing copy ---- */

struct _VssSetCopier {
  VssDigest *digest[2];   /* plain, by pieces (vss_digest_new) */
  guint8 *buf;            /* VSS_SET_COPY_CHUNK bytes */
  VssSetCopierTick tick;
  gpointer tick_data;
};

void
vss_set_copier_set_tick (VssSetCopier *self, VssSetCopierTick tick, gpointer user_data)
{
  self->tick = tick;
  self->tick_data = user_data;
}

static void
tick (VssSetCopier *self, off_t done)
{
  if (self->tick != NULL)
    self->tick ((guint64) done, self->tick_data);
}

VssSetCopier *
vss_set_copier_new (void)
{
  VssSetCopier *self = g_new0 (VssSetCopier, 1);
  self->digest[0] = vss_digest_new (FALSE);
  self->digest[1] = vss_digest_new (TRUE);
  self->buf = g_malloc (VSS_SET_COPY_CHUNK);
  return self;
}

void
vss_set_copier_free (VssSetCopier *self)
{
  if (self == NULL)
    return;
  vss_digest_free (self->digest[0]);
  vss_digest_free (self->digest[1]);
  g_free (self->buf);
  g_free (self);
}

static gboolean
write_all_at (int fd, const guint8 *data, gsize length, off_t offset)
{
  while (length > 0) {
    ssize_t n = pwrite (fd, data, length, offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    data += n;
    offset += n;
    length -= (gsize) n;
  }
  return TRUE;
}

typedef struct {
  int sfd, dfd;
  VssDigest *digest;  /* hashing here (NULL with @behind) */
  off_t pos;          /* bytes hashed so far */
  off_t written_end;  /* end of the last data written to dfd */
  int err;
  gboolean dst_side;
  VssHashBehind *behind;   /* hashing dfd as it is written; NULL: hashed here */
  off_t flushed;           /* written out before this offset (with @behind) */
} CopyRun;

/* Hashes a hole of @length zero bytes; nothing is written. */
static void
hash_hole (VssSetCopier *self, CopyRun *run, off_t length)
{
  if (length <= 0)
    return;
  if (run->behind == NULL)
    vss_digest_update_zeros (run->digest, (guint64) length);
  else
    vss_hash_behind_publish_hole (run->behind, run->pos, run->pos + length);
  run->pos += length;
  tick (self, run->pos);
}

/* Copies data up to @end; FALSE on error, TRUE with run->pos < end when
 * the source ended early. */
static gboolean
copy_data (VssSetCopier *self, CopyRun *run, off_t end)
{
  while (run->pos < end) {
    /* whole chunks even when paced: each is written out behind the copy */
    gsize want = (gsize) MIN (end - run->pos, (off_t) VSS_SET_COPY_CHUNK);
    VssCopyPace pace;
    vss_copy_pace_begin (&pace);
    ssize_t n = pread (run->sfd, self->buf, want, run->pos);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      run->err = errno;
      return FALSE;
    }
    if (n == 0)
      return TRUE;   /* the source shrank while being read */
    if (run->behind == NULL)
      vss_digest_update (run->digest, self->buf, (gsize) n);
    if (run->dfd >= 0 && !write_all_at (run->dfd, self->buf, (gsize) n, run->pos)) {
      run->err = errno;
      run->dst_side = TRUE;
      return FALSE;
    }
    if (run->behind != NULL) {
      vss_hash_behind_publish (run->behind, run->pos + n);
      vss_fs_write_behind (run->dfd, run->pos, n, &run->flushed);
    }
    run->pos += n;
    run->written_end = run->pos;
    tick (self, run->pos);
    vss_copy_pace_end (&pace);
  }
  return TRUE;
}

/* Next data region at or after run->pos: [*data, *hole).  FALSE when only
 * a hole is left.  Filesystems without SEEK_DATA give one region. */
static gboolean
next_region (CopyRun *run, off_t size, off_t *data, off_t *hole)
{
  *data = lseek (run->sfd, run->pos, SEEK_DATA);
  if ((*data < 0 && errno == ENXIO) || *data >= size)
    return FALSE;   /* a hole up to @size (the file may go on past it) */
  if (*data < 0)
    *data = run->pos;
  *hole = lseek (run->sfd, *data, SEEK_HOLE);
  if (*hole <= *data || *hole > size)
    *hole = size;   /* never an empty region: each one moves the copy on */
  return TRUE;
}

static gboolean
readable (int fd)
{
  int flags = fd >= 0 ? fcntl (fd, F_GETFL) : -1;
  return flags >= 0 && (flags & O_ACCMODE) == O_RDWR;
}

/* The digest of what was copied: from the thread that hashed @run->dfd
 * behind the copy, or from the hasher of this thread. */
static gboolean
finish_digest (CopyRun *run, gboolean ok, char out_sha256[65])
{
  if (run->behind == NULL) {
    vss_digest_finish (run->digest, out_sha256);
    return ok;
  }
  if (!ok) {
    vss_hash_behind_cancel (run->behind);
    return FALSE;
  }
  if (vss_hash_behind_finish (run->behind, run->pos, out_sha256))
    return TRUE;
  run->err = EIO;   /* our own copy could not be read back in full */
  run->dst_side = TRUE;
  return FALSE;
}

/* A large file only read, its digest by pieces: every core hashes a
 * piece (util/vss-hash-behind.c), holes unread.  A file shorter than @end
 * reads as one that shrank. */
static gboolean
hash_in_place (VssSetCopier *self, CopyRun *run, off_t end, char out_sha256[65])
{
  VssHashBehind *hash = vss_hash_behind_start (run->sfd);
  off_t data, hole;
  for (off_t pos = 0; pos < end; pos = hole) {
    run->pos = pos;
    if (!next_region (run, end, &data, &hole)) {
      vss_hash_behind_publish_hole (hash, pos, end);
      break;
    }
    vss_hash_behind_publish_hole (hash, pos, data);
  }
  run->pos = 0;
  vss_hash_behind_publish (hash, end);
  off_t done = 0;
  while (vss_hash_behind_wait (hash, &done))
    tick (self, done);
  if (vss_hash_behind_finish (hash, end, out_sha256)) {
    run->pos = end;
    tick (self, end);
    return TRUE;
  }
  struct stat st;
  if (fstat (run->sfd, &st) == 0 && st.st_size < end) {
    run->pos = st.st_size;
    return TRUE;
  }
  run->err = EIO;
  return FALSE;
}

/* Copies (or only reads, @dfd < 0) the data up to @end and hashes them. */
static gboolean
copy_and_hash (VssSetCopier *self, CopyRun *run, off_t end, gboolean dense, char out_sha256[65])
{
  gboolean ok = TRUE;
  while (ok && run->pos < end) {
    off_t data = run->pos, hole = end;
    if (!dense && !next_region (run, end, &data, &hole)) {
      hash_hole (self, run, end - run->pos);
      break;
    }
    hash_hole (self, run, data - run->pos);
    ok = copy_data (self, run, hole);
    if (ok && run->pos < hole)
      break;   /* shrank */
  }
  /* A trailing hole (or a shrunk source) sets the size without writing. */
  if (ok && run->dfd >= 0 && run->written_end < run->pos && ftruncate (run->dfd, run->pos) != 0) {
    run->err = errno;
    run->dst_side = TRUE;
    ok = FALSE;
  }
  return finish_digest (run, ok, out_sha256);
}

gboolean
vss_set_copier_run (VssSetCopier *self, int sfd, int dfd, guint64 size, gboolean pieces,
                    VssSetCopyResult *out)
{
  CopyRun run = { sfd, dfd, self->digest[pieces ? 1 : 0], 0, 0, 0, FALSE, NULL, 0 };
  /* Never past the source's end: a size taken from a manifest could
   * otherwise make us hash an endless hole (2^62 bytes of a 2-byte file).
   * A source shorter than @size reads as one that shrank. */
  struct stat st;
  off_t end = (off_t) MIN (size, (guint64) G_MAXINT64);
  /* A file with as many blocks as bytes has no hole to look for: a small
   * file costs two lseeks less (a tenth of verify's system calls). */
  gboolean dense = FALSE;
  if (fstat (sfd, &st) == 0 && S_ISREG (st.st_mode)) {
    end = MIN (end, st.st_size);
    dense = (off_t) st.st_blocks * 512 >= st.st_size;
  }
  gboolean large = pieces && end > VSS_DIGEST_PIECE;
  if (end > VSS_SET_COPY_CHUNK)
    posix_fadvise (sfd, 0, 0, POSIX_FADV_SEQUENTIAL);
  gboolean ok;
  if (large && dfd < 0) {
    ok = hash_in_place (self, &run, end, out->sha256);
  } else {
    if (large && readable (dfd))
      run.behind = vss_hash_behind_start (dfd);
    ok = copy_and_hash (self, &run, end, dense, out->sha256);
  }
  out->sha256_tree = vss_digest_is_pieces (pieces, (guint64) run.pos);
  out->copied = (guint64) run.pos;
  out->err = run.err;
  out->dst_side = run.dst_side;
  return ok;
}

/* ---- xattrs ---- */

static ssize_t
list_xattrs (int fd, const char *path, char *buf, size_t len)
{
  return fd >= 0 ? flistxattr (fd, buf, len) : llistxattr (path, buf, len);
}

static ssize_t
get_xattr (int fd, const char *path, const char *name, void *buf, size_t len)
{
  return fd >= 0 ? fgetxattr (fd, name, buf, len) : lgetxattr (path, name, buf, len);
}

static gboolean
read_one_xattr (int fd, const char *path, const char *name, GPtrArray *out, GError **error)
{
  ssize_t vlen = get_xattr (fd, path, name, NULL, 0);
  if (vlen < 0 && errno == ENODATA)
    return TRUE;   /* removed since the listing */
  if (vlen < 0)
    return vss_set_errno_error (error, errno, "cannot read the xattrs of", path);
  g_autofree char *value = g_malloc (vlen + 1);
  vlen = get_xattr (fd, path, name, value, vlen);
  if (vlen < 0)
    return vss_set_errno_error (error, errno, "cannot read the xattrs of", path);
  VssSetXattr *x = g_new0 (VssSetXattr, 1);
  x->name = g_strdup (name);
  x->value = g_bytes_new (value, vlen);
  g_ptr_array_add (out, x);
  return TRUE;
}

gboolean
vss_set_read_xattrs (int fd, const char *path, GPtrArray **out, GError **error)
{
  *out = NULL;
  ssize_t len = list_xattrs (fd, path, NULL, 0);
  if (len < 0 && (errno == ENOTSUP || errno == ENOSYS))
    return TRUE;
  if (len < 0)
    return vss_set_errno_error (error, errno, "cannot list the xattrs of", path);
  if (len == 0)
    return TRUE;
  g_autofree char *names = g_malloc (len);
  len = list_xattrs (fd, path, names, len);
  if (len < 0)
    return vss_set_errno_error (error, errno, "cannot list the xattrs of", path);
  g_autoptr(GPtrArray) xattrs = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_set_xattr_free);
  for (char *name = names; name < names + len; name += strlen (name) + 1) {
    if (!read_one_xattr (fd, path, name, xattrs, error))
      return FALSE;
  }
  if (xattrs->len > 0)
    *out = g_steal_pointer (&xattrs);
  return TRUE;
}
