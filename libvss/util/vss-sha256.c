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
vss_sha256_finish (VssSha256 *self, char out[65])
{
#ifdef VSS_HAVE_LIBCRYPTO
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex (self->ctx, digest, &len);
  for (unsigned int i = 0; i < 32; i++)
    g_snprintf (out + 2 * i, 3, "%02x", digest[i]);
  EVP_DigestInit_ex (self->ctx, EVP_sha256 (), NULL);
#else
  g_strlcpy (out, g_checksum_get_string (self->sum), 65);
  g_checksum_reset (self->sum);
#endif
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
