/* vss-ds-token.h — the expiry token of a directory backup.
 *
 * An opaque blob the requester keeps with the backup and gives back at
 * restore: "VSSDSTOK", version 1, the backup time (µs since the epoch),
 * the tombstone lifetime (s), the directory identity, then a SHA-256 of
 * everything before it.  The checksum catches damage, not forgery: the
 * token must be restorable on a rebuilt machine, so there is no local key.
 * Integers are little-endian. */
#pragma once

#include <vss/vss-ds-backup.h>

G_BEGIN_DECLS

#define VSS_DS_TOKEN_MAGIC "VSSDSTOK"
#define VSS_DS_TOKEN_VERSION 1u

typedef struct {
  gint64 backup_time_usec;
  guint64 tombstone_seconds;
  char *identity;               /* comma-separated environment ids */
} VssDsToken;

void   vss_ds_token_clear (VssDsToken *token);
/* A new blob (g_malloc, for vss_ds_backup_free). */
void  *vss_ds_token_encode (const VssDsToken *token, guint32 *out_size);
/* Decodes and checks @blob: VSS_S_OK, or MISSING_EXPIRY_TOKEN (none),
 * UNKNOWN_EXPIRY_TOKEN_FORMAT (damaged, truncated, another format) or
 * CONTENTS_EXPIRED (older than its tombstone lifetime at @now_usec); the
 * reason in *out_message. */
VssHResult vss_ds_token_decode (const void *blob, guint32 size, gint64 now_usec,
                                VssDsToken *out_token, char **out_message);
/* Whether @identity (the target's environment id) is one the token names. */
gboolean vss_ds_token_names (const VssDsToken *token, const char *identity);

G_END_DECLS
