/* vss-ds-private.h — what the vss_ds_* functions share: the handle, the
 * per-thread last error, the caller checks and reaching the writer. */
#pragma once

#include <vss/vss.h>

#include "vss-ds-token.h"

G_BEGIN_DECLS

#define VSS_DS_WRITER_NAME "directory"

typedef enum { VSS_DS_BACKUP, VSS_DS_RESTORE } VssDsKind;

struct _VssDsHandle {
  VssDsKind kind;
  VssWriter *writer;            /* the directory writer, loaded */
  const VssDsBackupInterface *iface;
  gboolean iface_has_fd;        /* "vss.ds-backup.2": stream_write_to_fd is there */
  /* backup */
  gpointer session;
  gpointer stream;              /* the one open file, or NULL */
  /* restore */
  gboolean has_token;
  VssHResult token_hr;          /* of decoding the token: register refuses a bad one */
  char *token_message;
  VssDsToken token;
  GPtrArray *targets;           /* directories holding our interlock */
  char *owner;                  /* the token our interlocks carry */
};

/* Records the message for vss_ds_get_last_error_message() and returns
 * @code (VSS_S_OK clears it). */
VssHResult vss_ds_fail (VssHResult code, const char *format, ...) G_GNUC_PRINTF (2, 3);
VssHResult vss_ds_ok (void);

/* The check every entry point makes of its server name (this host only). */
VssHResult vss_ds_check_caller (const char *server);
/* The backup privilege: root, CAP_DAC_OVERRIDE or read-write access to
 * every environment of @handle's writer; else ERROR_ACCESS_DENIED. */
VssHResult vss_ds_check_access (VssDsHandle *handle);
/* The restore privilege: root or CAP_DAC_OVERRIDE; else ERROR_ACCESS_DENIED. */
VssHResult vss_ds_check_restore_privilege (void);
/* What a call given no live handle of its kind returns (ended, NULL,
 * never made, the other kind): ERROR_INVALID_PARAMETER, distinct from
 * hrInvalidHandle, "no file is open". */
VssHResult vss_ds_invalid_handle (const char *made_by);
/* Finds and loads the directory writer; a new handle of @kind. */
VssHResult vss_ds_handle_new (VssDsKind kind, VssDsHandle **out_handle);
/* The handle when it is live (made, not yet ended) and of @kind, else
 * NULL; never reads an ended handle's memory. */
VssDsHandle *vss_ds_handle_check (VssDsHandle *handle, VssDsKind kind);
void       vss_ds_handle_free (VssDsHandle *handle);

G_END_DECLS
