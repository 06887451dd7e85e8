/* vss-digest.c — the digest of a file's data, fed in order (vss-digest.h). */
#include "vss-digest.h"

#include <string.h>

#define ZEROS (1024 * 1024)

struct _VssDigest {
  gboolean pieces;
  VssSha256 *piece;     /* the current piece (all of it in plain mode) */
  guint64 in_piece;     /* bytes in the current piece */
  GByteArray *done;     /* the SHA-256s of the finished pieces */
  guint8 *zeros;        /* a buffer of zeros, made on the first hole */
};

VssDigest *
vss_digest_new (gboolean pieces)
{
  VssDigest *self = g_new0 (VssDigest, 1);
  self->pieces = pieces;
  self->piece = vss_sha256_new ();
  self->done = g_byte_array_new ();
  return self;
}

void
vss_digest_free (VssDigest *self)
{
  if (self == NULL)
    return;
  vss_sha256_free (self->piece);
  g_byte_array_unref (self->done);
  g_free (self->zeros);
  g_free (self);
}

/* A piece is ended as soon as it is full: a file of exactly one piece
 * then has one digest, which is its plain SHA-256. */
static void
end_piece (VssDigest *self)
{
  guint8 sum[VSS_SHA256_LEN];
  vss_sha256_finish_raw (self->piece, sum);
  g_byte_array_append (self->done, sum, sizeof sum);
  self->in_piece = 0;
}

void
vss_digest_update (VssDigest *self, const void *data, gsize length)
{
  const guint8 *p = data;
  while (length > 0) {
    gsize n = self->pieces ? (gsize) MIN ((guint64) length, VSS_DIGEST_PIECE - self->in_piece)
                           : length;
    vss_sha256_update (self->piece, p, n);
    self->in_piece += n;
    p += n;
    length -= n;
    if (self->pieces && self->in_piece == VSS_DIGEST_PIECE)
      end_piece (self);
  }
}

void
vss_digest_update_zeros (VssDigest *self, guint64 length)
{
  for (; self->pieces && self->in_piece == 0 && length >= VSS_DIGEST_PIECE;
       length -= VSS_DIGEST_PIECE)
    g_byte_array_append (self->done, vss_digest_zero_piece (), VSS_SHA256_LEN);
  if (length > 0 && self->zeros == NULL)
    self->zeros = g_malloc0 (ZEROS);
  while (length > 0) {
    gsize n = (gsize) MIN (length, (guint64) ZEROS);
    vss_digest_update (self, self->zeros, n);
    length -= n;
  }
}

void
vss_digest_finish (VssDigest *self, char out[65])
{
  if (self->in_piece > 0 || self->done->len == 0)
    end_piece (self);
  vss_digest_from_pieces (self->done->data, self->done->len / VSS_SHA256_LEN, out);
  g_byte_array_set_size (self->done, 0);
}

static gpointer
compute_zero_piece (gpointer data)
{
  guint8 *sum = data;
  g_autofree guint8 *zeros = g_malloc0 (VSS_DIGEST_PIECE);
  g_autoptr(VssSha256) sha = vss_sha256_new ();
  vss_sha256_update (sha, zeros, VSS_DIGEST_PIECE);
  vss_sha256_finish_raw (sha, sum);
  return sum;
}

const guint8 *
vss_digest_zero_piece (void)
{
  static guint8 sum[VSS_SHA256_LEN];
  static GOnce once = G_ONCE_INIT;
  return g_once (&once, compute_zero_piece, sum);
}

void
vss_digest_from_pieces (const guint8 *pieces, guint64 n_pieces, char out[65])
{
  if (n_pieces == 1) {
    vss_sha256_to_hex (pieces, out);
    return;
  }
  g_autoptr(VssSha256) sha = vss_sha256_new ();
  vss_sha256_update (sha, pieces, (gsize) (n_pieces * VSS_SHA256_LEN));
  vss_sha256_finish (sha, out);
}
