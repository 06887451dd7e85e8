/* vss-sha256.h — SHA-256 for file data: libcrypto when the build found it
 * (SHA-NI makes it ~10x faster than GChecksum, which would otherwise bound
 * a backup's throughput), else GChecksum. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VSS_SHA256_LEN 32

typedef struct _VssSha256 VssSha256;
VssSha256 *vss_sha256_new (void);
void       vss_sha256_update (VssSha256 *self, const void *data, gsize length);
/* Writes 64 hex digits and a NUL into @out; the hasher is then reset. */
void       vss_sha256_finish (VssSha256 *self, char out[65]);
/* The same as 32 bytes. */
void       vss_sha256_finish_raw (VssSha256 *self, guint8 out[VSS_SHA256_LEN]);
/* 64 lower-case hex digits and a NUL. */
void       vss_sha256_to_hex (const guint8 digest[VSS_SHA256_LEN], char out[65]);
void       vss_sha256_free (VssSha256 *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSha256, vss_sha256_free)

G_END_DECLS
