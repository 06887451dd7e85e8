/* vss-online.h — what the two online (streaming) backup APIs share:
 * result codes as the originals return them, and the backup file type
 * byte that prefixes every returned file name (BFT_*, the NTDS layout that
 * Certificate Services reuses as CSBFT_*). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An HRESULT-style result: 0 for success, else one of the codes below or
 * of vss-ds-backup.h / vss-cs-backup.h. */
typedef guint32 VssHResult;

#define VSS_S_OK 0x00000000u

/* Win32 codes, returned as they are (not wrapped in HRESULT_FROM_WIN32),
 * as the originals document them. */
#define VSS_WIN32_ERROR_ACCESS_DENIED 5u
#define VSS_WIN32_ERROR_NOT_ENOUGH_MEMORY 8u
#define VSS_WIN32_ERROR_HANDLE_EOF 38u
#define VSS_WIN32_ERROR_INVALID_PARAMETER 87u
#define VSS_WIN32_ERROR_NOT_SUPPORTED 50u
#define VSS_WIN32_RPC_S_INVALID_BINDING 1702u

/* Backup file types (one byte before each name in a returned list). */
#define VSS_BFT_DIRECTORY 0x80
#define VSS_BFT_DATABASE_DIRECTORY 0x40
#define VSS_BFT_LOG_DIRECTORY 0x20
#define VSS_BFT_LOG (VSS_BFT_LOG_DIRECTORY | 0x01)
#define VSS_BFT_LOG_DIR (VSS_BFT_DIRECTORY | 0x02)
#define VSS_BFT_CHECKPOINT_DIR (VSS_BFT_DIRECTORY | 0x03)
#define VSS_BFT_NTDS_DATABASE (VSS_BFT_DATABASE_DIRECTORY | 0x04)
#define VSS_BFT_PATCH_FILE (VSS_BFT_LOG_DIRECTORY | 0x05)
#define VSS_BFT_UNKNOWN 0x0F
#define VSS_CSBFT_CERTSERVER_DATABASE VSS_BFT_NTDS_DATABASE

G_END_DECLS
