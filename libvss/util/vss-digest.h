/* vss-digest.h — the digest of a file's data in a backup set.
 *
 * A file of up to VSS_DIGEST_PIECE bytes has the SHA-256 of its bytes
 * (what sha256sum prints).  A larger file has its piece digest: the
 * SHA-256 of the concatenated 32-byte SHA-256s of its 4 MiB pieces, the
 * last one shorter (docs/backup-set.md, "sha256_tree").  Pieces are
 * independent, so every core can hash one (util/vss-hash-behind.c), and a
 * piece that is all hole has a known digest, so a hole costs no reading.
 * Sets written before manifest version 5 have the plain SHA-256 of every
 * file, which the "plain" form below still computes. */
#pragma once

#include <glib.h>

#include "vss-sha256.h"

G_BEGIN_DECLS

#define VSS_DIGEST_PIECE (4 * 1024 * 1024)

/* Is a file of @size bytes given its piece digest (TRUE) or the SHA-256
 * of its bytes, when @pieces (a version-5 set) allows piece digests? */
static inline gboolean
vss_digest_is_pieces (gboolean pieces, guint64 size)
{
  return pieces && size > VSS_DIGEST_PIECE;
}

/* The digest of a whole file, fed in order. */
typedef struct _VssDigest VssDigest;

/* @pieces: the digest of a version-5 set (plain SHA-256 up to one piece,
 * the piece digest beyond); else always the plain SHA-256. */
VssDigest *vss_digest_new (gboolean pieces);
void       vss_digest_update (VssDigest *self, const void *data, gsize length);
/* @length zero bytes (a hole): whole pieces of zeros are not hashed. */
void       vss_digest_update_zeros (VssDigest *self, guint64 length);
/* 64 hex digits and a NUL into @out; the digest then starts again. */
void       vss_digest_finish (VssDigest *self, char out[65]);
void       vss_digest_free (VssDigest *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssDigest, vss_digest_free)

/* The SHA-256 of VSS_DIGEST_PIECE zero bytes (computed once). */
const guint8 *vss_digest_zero_piece (void);
/* The digest of a file from the SHA-256s of its pieces (@n_pieces × 32
 * bytes, in order): one piece (a file of at most VSS_DIGEST_PIECE bytes,
 * or any file in plain mode) is its own digest. */
void       vss_digest_from_pieces (const guint8 *pieces, guint64 n_pieces, char out[65]);

G_END_DECLS
