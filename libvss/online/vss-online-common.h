/* vss-online-common.h — checks and encodings both online APIs use. */
#pragma once

#include <vss/vss-online.h>

#include "writer-host/vss-writer-module.h"

G_BEGIN_DECLS

typedef enum {
  VSS_SERVER_LOCAL,         /* this host (name, short name, FQDN or a name resolving to one
                             * of its addresses, localhost, NULL/empty) */
  VSS_SERVER_INVALID_NAME,  /* not a valid host name (e.g. contains '_') */
  VSS_SERVER_OTHER,         /* a valid name, but another machine */
} VssServerKind;

/* Classifies @server, after stripping leading backslashes ("\\\\host"). */
VssServerKind vss_online_classify_server (const char *server);

/* Root, or CAP_DAC_OVERRIDE in the effective set: may read and write any
 * file (LMDB readers write their slot in lock.mdb, SQLite readers the -shm;
 * restores replace files). */
gboolean vss_online_has_override_privilege (void);

/* A double-NUL-terminated list: each name is prefixed with its file type
 * byte from @types (same length as @names) and NUL-terminated, and one more
 * NUL ends the list.  *out_size is the whole size in bytes.  Free with
 * g_free (the APIs' backup_free). */
char *vss_online_multi_sz (GPtrArray *names, const guint8 *types, guint32 *out_size);

/* The writer module called @name in the writer directories, or NULL.
 * *out_search_path (optional) gets the directories searched, for the
 * message that says where it was looked for. */
const VssWriterModule *vss_online_find_writer (const char *name, char **out_search_path);

/* Handles of both APIs are valid only while registered, under the name
 * of their API: one used after its end (or another API's, or never made)
 * is refused, never read from freed memory. */
void     vss_online_handle_register (gpointer handle, const char *api);
void     vss_online_handle_unregister (gpointer handle);
gboolean vss_online_handle_is_live (gconstpointer handle, const char *api);

G_END_DECLS
