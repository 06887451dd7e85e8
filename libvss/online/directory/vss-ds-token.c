/* vss-ds-token.c — encoding and checking expiry tokens. */
#include "vss-ds-token.h"

#include <string.h>

#define HEADER_SIZE (8 + 4 + 8 + 8 + 4)
#define DIGEST_SIZE 32

void
vss_ds_token_clear (VssDsToken *token)
{
  g_clear_pointer (&token->identity, g_free);
}

static void
put_u32 (GByteArray *out, guint32 v)
{
  guint32 le = GUINT32_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &le, 4);
}

static void
put_u64 (GByteArray *out, guint64 v)
{
  guint64 le = GUINT64_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &le, 8);
}

static void
digest (const guint8 *data, gsize size, guint8 out[DIGEST_SIZE])
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = DIGEST_SIZE;
  g_checksum_update (sum, data, size);
  g_checksum_get_digest (sum, out, &len);
}

void *
vss_ds_token_encode (const VssDsToken *token, guint32 *out_size)
{
  GByteArray *out = g_byte_array_new ();
  gsize id_len = strlen (token->identity);
  guint8 sum[DIGEST_SIZE];
  g_byte_array_append (out, (const guint8 *) VSS_DS_TOKEN_MAGIC, 8);
  put_u32 (out, VSS_DS_TOKEN_VERSION);
  put_u64 (out, (guint64) token->backup_time_usec);
  put_u64 (out, token->tombstone_seconds);
  put_u32 (out, (guint32) id_len);
  g_byte_array_append (out, (const guint8 *) token->identity, id_len);
  digest (out->data, out->len, sum);
  g_byte_array_append (out, sum, DIGEST_SIZE);
  *out_size = out->len;
  return g_byte_array_free (out, FALSE);
}

static guint64
get_u64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

static guint32
get_u32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static VssHResult
fail (VssHResult code, char **out_message, const char *message)
{
  *out_message = g_strdup (message);
  return code;
}

VssHResult
vss_ds_token_decode (const void *blob, guint32 size, gint64 now_usec, VssDsToken *out_token,
                     char **out_message)
{
  const guint8 *p = blob;
  guint8 sum[DIGEST_SIZE];
  if (blob == NULL || size == 0)
    return fail (VSS_DS_HR_MISSING_EXPIRY_TOKEN, out_message,
                 "no expiry token: give the token vss_ds_backup_prepare returned for this backup");
  if (size < HEADER_SIZE + DIGEST_SIZE || memcmp (p, VSS_DS_TOKEN_MAGIC, 8) != 0 ||
      get_u32 (p + 8) != VSS_DS_TOKEN_VERSION)
    return fail (VSS_DS_HR_UNKNOWN_EXPIRY_TOKEN_FORMAT, out_message,
                 "the expiry token is not a libvss directory token (wrong size, magic or version)");
  guint32 id_len = get_u32 (p + HEADER_SIZE - 4);
  if ((guint64) HEADER_SIZE + id_len + DIGEST_SIZE != size)
    return fail (VSS_DS_HR_UNKNOWN_EXPIRY_TOKEN_FORMAT, out_message,
                 "the expiry token is truncated or has extra bytes");
  digest (p, size - DIGEST_SIZE, sum);
  if (memcmp (sum, p + size - DIGEST_SIZE, DIGEST_SIZE) != 0)
    return fail (VSS_DS_HR_UNKNOWN_EXPIRY_TOKEN_FORMAT, out_message,
                 "the expiry token is damaged (checksum mismatch): use the token saved with "
                 "the backup");
  out_token->backup_time_usec = (gint64) get_u64 (p + 12);
  out_token->tombstone_seconds = get_u64 (p + 20);
  out_token->identity = g_strndup ((const char *) p + HEADER_SIZE, id_len);
  gint64 age = now_usec - out_token->backup_time_usec;
  if (age > 0 && (guint64) age / G_USEC_PER_SEC > out_token->tombstone_seconds) {
    *out_message = g_strdup_printf ("the backup is %.1f days old, past its tombstone lifetime "
                                    "of %.1f days: restoring it would bring back deleted "
                                    "objects; use a newer backup", age / 86400e6,
                                    out_token->tombstone_seconds / 86400.0);
    vss_ds_token_clear (out_token);
    return VSS_DS_HR_CONTENTS_EXPIRED;
  }
  return VSS_S_OK;
}

gboolean
vss_ds_token_names (const VssDsToken *token, const char *identity)
{
  g_auto(GStrv) ids = g_strsplit (token->identity, ",", -1);
  return g_strv_contains ((const char *const *) ids, identity);
}
