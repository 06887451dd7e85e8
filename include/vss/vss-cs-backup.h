/* vss-cs-backup.h — the certificate services online backup API (vss_cs_*),
 * modeled on the Certificate Services one (certbcli.h).
 *
 * The "server" is this machine's certificate writer: the stores listed in
 * <config dir>/certificate.conf (NSS directories, SQLite CA databases).
 * Backup, as with CertSrvBackup*:
 *
 *   vss_cs_is_server_online (NULL, &online);
 *   vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &hbc);
 *   vss_cs_backup_get_database_names (hbc, &names, &size);  // then open/read/close each
 *   vss_cs_backup_get_backup_logs (hbc, &logs, &size);      // same
 *   vss_cs_backup_get_dynamic_file_list (hbc, &files, &size); // copy these yourself
 *   vss_cs_backup_truncate_logs (hbc);                      // only once all is safe
 *   vss_cs_backup_end (hbc);
 *
 * Lists are double-NUL-terminated, each name prefixed by its VSS_CSBFT_*
 * byte (vss-online.h); free them with vss_cs_backup_free.  Opening a
 * database streams a consistent copy taken at open time (one
 * sqlite3_backup step) while writers continue.  Every call returns an
 * HRESULT-style code; vss_cs_get_last_error_message() says what was wrong
 * and what to do, for the calling thread.  Common to all:
 *  - server: NULL, "", this host's name, short name or FQDN, a name the
 *    local resolver maps to one of its addresses, localhost; a name that
 *    is not a host name is VSS_WIN32_RPC_S_INVALID_BINDING, another
 *    computer's (another domain's with this host's first label too)
 *    VSS_CS_E_COULD_NOT_CONNECT;
 *  - privilege: root or CAP_DAC_READ_SEARCH, else ERROR_ACCESS_DENIED;
 *  - a handle that is NULL, ended, never made or of the other kind is
 *    VSS_WIN32_ERROR_INVALID_PARAMETER; VSS_CS_E_INVALID_HANDLE means only
 *    "no file is open on this handle". */
#pragma once

#include <glib.h>
#include <vss/vss-online.h>

G_BEGIN_DECLS

typedef gpointer VssCsHandle;    /* HCSBC */

#define VSS_CSBACKUP_TYPE_FULL 1u
#define VSS_CSBACKUP_TYPE_LOGS_ONLY 2u
#define VSS_CSRESTORE_TYPE_FULL 1u
#define VSS_CSCONTROL_SHUTDOWN 1u

/* Result codes beyond vss-online.h's (the hr* layout of ntdsbmsg.h). */
#define VSS_CS_E_INVALID_PARAM 0xC7FF0001u      /* a NULL or malformed argument */
#define VSS_CS_E_ERROR 0xC7FF0002u              /* the store failed; see the message */
#define VSS_CS_E_INVALID_HANDLE 0xC7FF0003u     /* no file is open on the handle */
#define VSS_CS_E_RESTORE_IN_PROGRESS 0xC7FF0004u
#define VSS_CS_E_ALREADY_OPEN 0xC7FF0005u       /* one open file per handle */
#define VSS_CS_E_COULD_NOT_CONNECT 0xC7FF0007u  /* another server, or no certificate writer */
#define VSS_CS_E_LOG_FILE_NOT_FOUND 0xC7FF000Au
#define VSS_CS_E_CIRCULAR_LOGGING 0xC7FF000Bu   /* logs-only of a journal-mode store */
#define VSS_CS_E_FULL_BACKUP_NOT_TAKEN 0xC7FF000Eu /* the WAL was reset: take a full backup */

/* What the last failing vss_cs_* call of this thread said; "" if none. */
const char *vss_cs_get_last_error_message (void);

/* S_OK, the server and privilege codes, VSS_CS_E_INVALID_PARAM (out_online
 * NULL), VSS_CS_E_COULD_NOT_CONNECT (no certificate writer). */
VssHResult vss_cs_is_server_online (const char *server, gboolean *out_online);
/* S_OK; ERROR_INVALID_PARAMETER (grbit_jet not 0, flags not FULL or
 * LOGS_ONLY, out_handle NULL); VSS_CS_E_COULD_NOT_CONNECT (shut down for a
 * restore, no writer); VSS_CS_E_RESTORE_IN_PROGRESS (a restore has closed
 * a store's gate: a half-restored store is not backed up);
 * VSS_CS_E_CIRCULAR_LOGGING (LOGS_ONLY of a rollback-journal store). */
VssHResult vss_cs_backup_prepare (const char *server, guint32 grbit_jet, guint32 backup_flags,
                                  VssCsHandle *out_handle);
VssHResult vss_cs_backup_get_database_names (VssCsHandle handle, char **out_list, guint32 *out_size);
VssHResult vss_cs_backup_get_backup_logs (VssCsHandle handle, char **out_list, guint32 *out_size);
VssHResult vss_cs_backup_get_dynamic_file_list (VssCsHandle handle, char **out_list,
                                                guint32 *out_size);
/* @name: a name from a list (with or without its type byte).  S_OK,
 * VSS_CS_E_INVALID_PARAM (NULL), VSS_CS_E_ALREADY_OPEN,
 * VSS_CS_E_LOG_FILE_NOT_FOUND (not listed), VSS_CS_E_FULL_BACKUP_NOT_TAKEN
 * (the WAL was reset since the database was copied), VSS_CS_E_ERROR. */
VssHResult vss_cs_backup_open_file (VssCsHandle handle, const char *name, guint32 read_hint,
                                    guint64 *out_size);
/* ERROR_HANDLE_EOF at the end; VSS_CS_E_INVALID_HANDLE when no file is open;
 * VSS_CS_E_INVALID_PARAM, VSS_CS_E_ERROR. */
VssHResult vss_cs_backup_read (VssCsHandle handle, void *buffer, guint32 size, guint32 *out_read);
VssHResult vss_cs_backup_close (VssCsHandle handle);
/* Truncates every WAL, only as saved through this handle: under the
 * store's write lock the WAL must still be exactly what was saved, then
 * every frame goes into the database and the next write starts a new
 * generation (the next log backup holds only later frames).  S_OK;
 * VSS_CS_E_LOG_FILE_NOT_FOUND (a log was not saved through this handle);
 * VSS_CS_E_ERROR (frames were written since it was saved, or a reader kept
 * the checkpoint from completing: nothing truncated, save and retry). */
VssHResult vss_cs_backup_truncate_logs (VssCsHandle handle);
VssHResult vss_cs_backup_end (VssCsHandle handle);
void       vss_cs_backup_free (void *buffer);

typedef struct {
  const char *database_name;      /* the name the backup listed */
  const char *new_database_name;  /* where the restored copy is */
} VssCsRestoreMapEntry;

/* S_OK, ERROR_INVALID_PARAMETER (flags, out_handle), ERROR_ACCESS_DENIED
 * (the stores are online: vss_cs_server_control SHUTDOWN first). */
VssHResult vss_cs_restore_prepare (const char *server, guint32 restore_flags,
                                   VssCsHandle *out_handle);
VssHResult vss_cs_restore_get_database_locations (VssCsHandle handle, char **out_list,
                                                  guint32 *out_size);
/* Places the restore interlock for every mapped store.  @backup_log_path
 * holds the restored WALs ("<database basename>-wal"); @gen_low..@gen_high
 * are the WAL checkpoint sequence numbers they may carry.  S_OK,
 * ERROR_INVALID_PARAMETER (NULL paths, empty or unknown map, low > high),
 * VSS_CS_E_RESTORE_IN_PROGRESS (a live restore has a store's gate
 * closed), VSS_CS_E_ERROR. */
VssHResult vss_cs_restore_register (VssCsHandle handle, const char *checkpoint_path,
                                    const char *log_path, const VssCsRestoreMapEntry *map,
                                    guint32 count, const char *backup_log_path,
                                    guint32 gen_low, guint32 gen_high);
/* With VSS_S_OK: replays the logs, checks each database, clears the
 * interlock.  With a failure code the interlock stays.  S_OK,
 * VSS_CS_E_INVALID_PARAM (nothing registered), VSS_CS_E_ERROR. */
VssHResult vss_cs_restore_register_complete (VssCsHandle handle, VssHResult restore_state);
VssHResult vss_cs_restore_end (VssCsHandle handle);
VssHResult vss_cs_server_control (const char *server, guint32 control_flags, guint32 *out_size,
                                  guint8 **out_data);

/* The restore interlock: FALSE (with the reason) while a restore is
 * registered and not completed for @path (a store, or a file in it). */
gboolean vss_cs_restore_gate_check (const char *path, GError **error);
/* Closes the gate of @database (a restore of it starts) / opens it again
 * (the restored database was checked).  For the certificate writer's
 * pre_restore and post_restore. */
gboolean vss_cs_restore_gate_close (const char *database, GError **error);
void     vss_cs_restore_gate_open (const char *database);

/* ---- for the certificate writer module: the table behind the facade ---- */

#define VSS_CS_BACKUP_INTERFACE "vss.cs-backup.1"

typedef struct _VssWriter VssWriter;

typedef struct {
  guint32 version;   /* 3 (2: without the two calls at the end; 1: nor streaming) */
  /* Absolute paths, of every configured store. */
  GPtrArray *(*list_databases) (VssWriter *writer, GError **error);
  GPtrArray *(*list_logs) (VssWriter *writer, GError **error);
  GPtrArray *(*list_dynamic_files) (VssWriter *writer, GError **error);
  /* FALSE (saying which store and its journal_mode) when one has no log. */
  gboolean (*check_logs_only) (VssWriter *writer, GError **error);
  /* A consistent copy of @database into the new file @dest, and the WAL
   * generation it was taken in (@out_stamp, NULL for journal mode). */
  gboolean (*copy_database) (VssWriter *writer, const char *database, const char *dest,
                             char **out_stamp, GError **error);
  /* A copy of WAL @log into @dest; fails when its generation is not
   * @stamp (when @stamp is not NULL). */
  gboolean (*copy_log) (VssWriter *writer, const char *log, const char *dest, const char *stamp,
                        GError **error);
  gboolean (*truncate_logs) (VssWriter *writer, GError **error);
  /* After the files are back: put @wal (or none) beside @database when its
   * checkpoint sequence is within [gen_low, gen_high], open, check. */
  gboolean (*restore_database) (VssWriter *writer, const char *database, const char *wal,
                                guint32 gen_low, guint32 gen_high, GError **error);
  /* version 2: @database as it is now, read in place (no copy on disk);
   * *out_stamp as for copy_database.  NULL without an error when it
   * cannot be streamed in place: copy_database it. */
  gpointer (*open_database) (VssWriter *writer, const char *database, guint64 *out_size,
                             char **out_stamp, GError **error);
  /* Bytes read, 0 at the end, -1 with @error. */
  gssize (*stream_read) (gpointer stream, void *buffer, gsize size, GError **error);
  void (*stream_close) (gpointer stream);
  /* version 3: copy_log under the write lock; *out_log_stamp names the
   * generation and frame count saved, for truncate_log. */
  gboolean (*copy_log_stamped) (VssWriter *writer, const char *log, const char *dest,
                                const char *db_stamp, char **out_log_stamp, GError **error);
  /* version 3: truncates @log when it holds only what @log_stamp saved;
   * FALSE saying why (frames written since, readers in the way). */
  gboolean (*truncate_log) (VssWriter *writer, const char *log, const char *log_stamp,
                            GError **error);
} VssCsBackupInterface;

G_END_DECLS
