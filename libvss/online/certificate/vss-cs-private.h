/* vss-cs-private.h — what the vss_cs_* backup and restore halves share:
 * handles, the certificate writer behind them, and result reporting. */
#pragma once

#include <vss/vss.h>

#include "online/vss-online-common.h"

G_BEGIN_DECLS

typedef enum { CS_HANDLE_BACKUP = 1, CS_HANDLE_RESTORE } CsHandleKind;

typedef struct {
  CsHandleKind kind;
  VssWriter *writer;                    /* the certificate writer, loaded with its config */
  const VssCsBackupInterface *iface;
  guint32 flags;
  GHashTable *stamps;                   /* database → WAL stamp at its copy */
  char *open_temp;                      /* the copy being streamed */
  int open_fd;                          /* -1 when no file is open */
  gpointer open_stream;                 /* or the writer's in-place stream */
  GPtrArray *registered;                /* restore: stores gated by register */
  char *gate_token;                     /* restore: names this handle in the gates it closes */
} CsHandle;

/* Sets this thread's last message and returns @code. */
VssHResult cs_fail (VssHResult code, const char *format, ...) G_GNUC_PRINTF (2, 3);
VssHResult cs_ok (void);
/* A GError from the writer as VSS_CS_E_ERROR (or @code). */
VssHResult cs_fail_error (VssHResult code, const char *what, GError *error);

/* Checks the server argument and the privilege; VSS_S_OK or a code. */
VssHResult cs_check_server (const char *server);
/* A new handle on the certificate writer, or a failure code. */
VssHResult cs_handle_new (CsHandleKind kind, guint32 flags, CsHandle **out);
/* The live handle @handle of @kind, or NULL (ended, freed, foreign),
 * with the message set; cs_invalid_handle() is then the code to return. */
CsHandle  *cs_handle_lookup (VssCsHandle handle, CsHandleKind kind);
void       cs_handle_end (CsHandle *self);
/* What a call given no live handle of its kind returns: an invalid
 * handle is an invalid parameter (ERROR_INVALID_PARAMETER), distinct from
 * VSS_CS_E_INVALID_HANDLE, "no file is open on this handle". */
VssHResult cs_invalid_handle (void);

G_END_DECLS
