/* vss-sha256.c — SHA-256 from libcrypto or GChecksum (vss-sha256.h). */
#include "vss-sha256.h"

#ifdef VSS_HAVE_LIBCRYPTO
#include <openssl/evp.h>
#endif

struct _VssSha256 {
#ifdef VSS_HAVE_LIBCRYPTO
  EVP_MD_CTX *ctx;
#else
  GChecksum *sum;
#endif
};

VssSha256 *
vss_sha256_new (void)
{
  VssSha256 *self = g_new0 (VssSha256, 1);
#ifdef VSS_HAVE_LIBCRYPTO
  self->ctx = EVP_MD_CTX_new ();
  if (self->ctx == NULL || EVP_DigestInit_ex (self->ctx, EVP_sha256 (), NULL) != 1)
    g_error ("libcrypto cannot start a SHA-256 digest");
#else
  self->sum = g_checksum_new (G_CHECKSUM_SHA256);
#endif
  return self;
}

void
vss_sha256_update (VssSha256 *self, const void *data, gsize length)
{
#ifdef VSS_HAVE_LIBCRYPTO
  EVP_DigestUpdate (self->ctx, data, length);
#else
  g_checksum_update (self->sum, data, length);
#endif
}

void
vss_sha256_finish_raw (VssSha256 *self, guint8 out[VSS_SHA256_LEN])
{
#ifdef VSS_HAVE_LIBCRYPTO
  unsigned int len = 0;
  EVP_DigestFinal_ex (self->ctx, out, &len);
  EVP_DigestInit_ex (self->ctx, EVP_sha256 (), NULL);
#else
  gsize len = VSS_SHA256_LEN;
  g_checksum_get_digest (self->sum, out, &len);
  g_checksum_reset (self->sum);
#endif
}

void
vss_sha256_to_hex (const guint8 digest[VSS_SHA256_LEN], char out[65])
{
  static const char hex[] = "0123456789abcdef";
  for (guint i = 0; i < VSS_SHA256_LEN; i++) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 15];
  }
  out[64] = '\0';
}

void
vss_sha256_finish (VssSha256 *self, char out[65])
{
  guint8 digest[VSS_SHA256_LEN];
  vss_sha256_finish_raw (self, digest);
  vss_sha256_to_hex (digest, out);
}

void
vss_sha256_free (VssSha256 *self)
{
  if (self == NULL)
    return;
#ifdef VSS_HAVE_LIBCRYPTO
  EVP_MD_CTX_free (self->ctx);
#else
  g_checksum_free (self->sum);
#endif
  g_free (self);
}
