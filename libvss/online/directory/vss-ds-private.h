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
  VssDsToken token;
  GPtrArray *targets;           /* directories holding our interlock */
};

/* Records the message for vss_ds_get_last_error_message() and returns
 * @code (VSS_S_OK clears it). */
VssHResult vss_ds_fail (VssHResult code, const char *format, ...) G_GNUC_PRINTF (2, 3);
VssHResult vss_ds_ok (void);

/* The checks every entry point makes on the caller: the server name
 * (this host only) and the backup privilege. */
VssHResult vss_ds_check_caller (const char *server);
/* Finds and loads the directory writer; a new handle of @kind. */
VssHResult vss_ds_handle_new (VssDsKind kind, VssDsHandle **out_handle);
/* The handle when it is live (made, not yet ended) and of @kind, else
 * NULL; never reads an ended handle's memory. */
VssDsHandle *vss_ds_handle_check (VssDsHandle *handle, VssDsKind kind);
void       vss_ds_handle_free (VssDsHandle *handle);

G_END_DECLS
