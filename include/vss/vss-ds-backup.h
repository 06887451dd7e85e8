/* vss-ds-backup.h — the directory service online backup API (vss_ds_*),
 * modeled on the Active Directory one (ntdsbcli.h), for the LMDB
 * environments of OpenLDAP back-mdb.
 *
 * Backup:  vss_ds_is_ntds_online → vss_ds_backup_prepare (keep the expiry
 * token with the backup) → vss_ds_backup_get_database_names → for each:
 * vss_ds_backup_open_file, vss_ds_backup_read until VSS_WIN32_ERROR_HANDLE_EOF,
 * vss_ds_backup_close → vss_ds_backup_get_backup_logs (LMDB keeps none:
 * an empty list) → vss_ds_backup_truncate_logs → vss_ds_backup_end.
 * Every database streamed from one handle is the image of the instant of
 * vss_ds_backup_prepare, while the directory server keeps writing.
 *
 * Restore (directory server stopped):  vss_ds_restore_prepare (with the
 * token) → vss_ds_restore_get_database_locations → vss_ds_restore_register
 * (places the restore interlock) → put the files back →
 * vss_ds_restore_register_complete (S_OK: checks the database and lifts the
 * interlock) → vss_ds_restore_end.
 *
 * Functions return VSS_S_OK or a code of vss-online.h or below; the text of
 * the last failure on the calling thread is vss_ds_get_last_error_message().
 * Each call's codes are listed at it.  Common to all:
 *  - server names: NULL, "", this host's name, short name or FQDN, a name
 *    the local resolver maps to one of its addresses, localhost
 *    (leading backslashes allowed); anything else, including another
 *    domain's name with this host's first label, is
 *    VSS_DS_HR_COULD_NOT_CONNECT, as is "no directory writer here";
 *  - a handle that is NULL, ended, never made or of the other kind
 *    (backup vs restore) is VSS_WIN32_ERROR_INVALID_PARAMETER;
 *    VSS_DS_HR_INVALID_HANDLE means only "no file is open on this handle";
 *  - VSS_DS_HR_ERROR: the store failed (the message says how).
 * Privileges: backup (and is_ntds_online) needs root, CAP_DAC_OVERRIDE or
 * read-write access to every environment's data.mdb and lock.mdb (the
 * directory server's user): an LMDB reader registers in lock.mdb, so
 * CAP_DAC_READ_SEARCH alone is refused.  Restore needs root or
 * CAP_DAC_OVERRIDE.  Otherwise VSS_WIN32_ERROR_ACCESS_DENIED.
 * Any number of backup handles may be live in one process: each streams
 * the instant of its own prepare, whatever the others do.
 * Lists are double-NUL-terminated, each name prefixed with its VSS_BFT_*
 * byte; free them (and tokens) with vss_ds_backup_free(). */
#pragma once

#include <glib.h>
#include <vss/vss-online.h>

G_BEGIN_DECLS

/* ntdsbmsg.h result codes (hr*). */
#define VSS_DS_HR_NONE 0x00000000u
#define VSS_DS_HR_NYI 0xC0000001u
#define VSS_DS_HR_INVALID_PARAM 0xC7FF0001u
#define VSS_DS_HR_ERROR 0xC7FF0002u
#define VSS_DS_HR_INVALID_HANDLE 0xC7FF0003u
#define VSS_DS_HR_RESTORE_IN_PROGRESS 0xC7FF0004u
#define VSS_DS_HR_ALREADY_OPEN 0xC7FF0005u
#define VSS_DS_HR_INVALID_RECIPS 0xC7FF0006u
#define VSS_DS_HR_COULD_NOT_CONNECT 0xC7FF0007u
#define VSS_DS_HR_RESTORE_MAP_EXISTS 0xC7FF0008u
#define VSS_DS_HR_INCREMENTAL_BACKUP_DISABLED 0xC7FF0009u
#define VSS_DS_HR_LOG_FILE_NOT_FOUND 0xC7FF000Au
#define VSS_DS_HR_CIRCULAR_LOGGING 0xC7FF000Bu
#define VSS_DS_HR_NO_FULL_RESTORE 0xC7FF000Cu
#define VSS_DS_HR_COMMUNICATION_ERROR 0xC7FF000Du
#define VSS_DS_HR_FULL_BACKUP_NOT_TAKEN 0xC7FF000Eu
#define VSS_DS_HR_MISSING_EXPIRY_TOKEN 0xC7FF000Fu
#define VSS_DS_HR_UNKNOWN_EXPIRY_TOKEN_FORMAT 0xC7FF0010u
#define VSS_DS_HR_CONTENTS_EXPIRED 0xC7FF0011u

/* backup_type of vss_ds_backup_prepare. */
#define VSS_DS_BACKUP_TYPE_FULL 1u
#define VSS_DS_BACKUP_TYPE_LOGS_ONLY 2u
#define VSS_DS_BACKUP_TYPE_INCREMENTAL 4u
/* flags of vss_ds_restore_prepare (0, or CATCHUP). */
#define VSS_DS_RESTORE_TYPE_AUTHORATATIVE 1u
#define VSS_DS_RESTORE_TYPE_ONLINE 2u
#define VSS_DS_RESTORE_TYPE_CATCHUP 4u

/* The file vss_ds_restore_register puts in each restore target directory;
 * while it is there the store must not be opened for service. */
#define VSS_DS_RESTORE_INTERLOCK_NAME "vss-restore.interlock"

/* The handle (HBC). */
typedef struct _VssDsHandle VssDsHandle;

/* EDB_RSTMAP: a backed-up database name and where to restore it. */
typedef struct {
  const char *database_name;
  const char *new_database_name;
} VssDsRestoreMap;

/* S_OK (*out_online: a process other than this one has an environment
 * open), COULD_NOT_CONNECT, ACCESS_DENIED, HR_INVALID_PARAM (out_online
 * NULL), HR_ERROR. */
VssHResult vss_ds_is_ntds_online (const char *server, gboolean *out_online);

/* S_OK; COULD_NOT_CONNECT; ERROR_INVALID_PARAMETER (grbit not 0,
 * INCREMENTAL or an unknown type, out_handle NULL); ERROR_NOT_SUPPORTED
 * (LOGS_ONLY); HR_INVALID_PARAM (out_expiry_token or out_token_size NULL);
 * ACCESS_DENIED; HR_RESTORE_IN_PROGRESS (an environment holds a restore
 * interlock: a half-restored store is not backed up); HR_ERROR. */
VssHResult vss_ds_backup_prepare (const char *server, guint32 grbit, guint32 backup_type,
                                  void **out_expiry_token, guint32 *out_token_size,
                                  VssDsHandle **out_handle);
/* get_database_names / get_backup_logs: S_OK, ERROR_INVALID_PARAMETER
 * (handle), HR_INVALID_PARAM (an out-parameter NULL). */
VssHResult vss_ds_backup_get_database_names (VssDsHandle *handle, char **out_names,
                                             guint32 *out_size);
/* @name as listed (the type byte may be left on or stripped); @read_hint is
 * accepted and ignored: any buffer size works.  S_OK, ERROR_INVALID_PARAMETER
 * (handle), HR_INVALID_PARAM (name or out_size NULL, a name not listed),
 * HR_ALREADY_OPEN (a file is open), HR_ERROR. */
VssHResult vss_ds_backup_open_file (VssDsHandle *handle, const char *name, guint32 read_hint,
                                    guint64 *out_size);
/* Short reads are allowed; at the end *out_read is 0 and the result is
 * VSS_WIN32_ERROR_HANDLE_EOF.  Else ERROR_INVALID_PARAMETER (handle),
 * HR_INVALID_PARAM (buffer or out_read NULL, size 0), HR_INVALID_HANDLE
 * (no file is open), HR_ERROR. */
VssHResult vss_ds_backup_read (VssDsHandle *handle, void *buffer, guint32 size,
                               guint32 *out_read);
/* An extension of this API (DsBackupRead has no counterpart): copies the
 * open file's next bytes, at most @max (0: up to the end), to @fd at its
 * current position, with no copy through a caller's buffer: the pages go
 * from the page cache to write(2) as mdb_copy writes them.  Reads and
 * calls of this function may be mixed; both advance the same position.
 * @fd must be blocking: a regular file (O_DIRECT works while the position
 * is whole pages: every piece is then pages from a page-aligned address),
 * a pipe or a socket (a closed one raises SIGPIPE, as write(2) does).
 * *out_written
 * is how many bytes reached @fd; when @fd fails after some did, the call
 * succeeds with those and the next one reports the failure
 * (VSS_DS_HR_ERROR).  At the end *out_written is 0 and the result is
 * VSS_WIN32_ERROR_HANDLE_EOF.  Else as vss_ds_backup_read, HR_INVALID_PARAM
 * also for an fd that is closed, read-only or non-blocking, and HR_NYI
 * from a writer without the interface's second version. */
VssHResult vss_ds_backup_read_to_fd (VssDsHandle *handle, int fd, guint64 max,
                                     guint64 *out_written);
/* S_OK, ERROR_INVALID_PARAMETER (handle), HR_INVALID_HANDLE (no file is open). */
VssHResult vss_ds_backup_close (VssDsHandle *handle);
VssHResult vss_ds_backup_get_backup_logs (VssDsHandle *handle, char **out_names,
                                          guint32 *out_size);
/* S_OK (LMDB keeps no logs: nothing to truncate), ERROR_INVALID_PARAMETER. */
VssHResult vss_ds_backup_truncate_logs (VssDsHandle *handle);
/* Ends a backup or restore handle (either succeeded or failed) and frees it.
 * S_OK or ERROR_INVALID_PARAMETER; every call given it afterwards returns
 * VSS_WIN32_ERROR_INVALID_PARAMETER. */
VssHResult vss_ds_backup_end (VssDsHandle *handle);
void       vss_ds_backup_free (void *buffer);

/* @token NULL (size 0): the handle serves only get_database_locations.
 * The token is not judged here: an invalid one (damaged, expired, of
 * another directory) makes vss_ds_restore_register answer
 * HR_MISSING_EXPIRY_TOKEN.  S_OK, COULD_NOT_CONNECT, ACCESS_DENIED,
 * ERROR_INVALID_PARAMETER (flags not 0 or CATCHUP, out_handle NULL),
 * HR_INVALID_PARAM (token without size or size without token). */
VssHResult vss_ds_restore_prepare (const char *server, guint32 flags, const void *token,
                                   guint32 token_size, VssDsHandle **out_handle);
/* S_OK, ERROR_INVALID_PARAMETER (handle), HR_INVALID_PARAM, HR_ERROR. */
VssHResult vss_ds_restore_get_database_locations (VssDsHandle *handle, char **out_locations,
                                                  guint32 *out_size);
/* Places the interlock (owned by this handle) in every target.  S_OK;
 * ERROR_INVALID_PARAMETER (handle, a NULL path, generations outside
 * 0 <= low <= high <= 0xFFFFF, a bad map, a target that is not a
 * directory); ACCESS_DENIED; HR_MISSING_EXPIRY_TOKEN (no token, or the
 * one given to prepare was invalid); HR_RESTORE_IN_PROGRESS (this handle
 * registered already, or another live restore holds a target's
 * interlock); HR_ERROR (a process serves a target, the interlock cannot
 * be written). */
VssHResult vss_ds_restore_register (VssDsHandle *handle, const char *checkpoint_path,
                                    const char *log_path, const VssDsRestoreMap *rstmap,
                                    guint32 rstmap_count, const char *backup_log_path,
                                    guint32 gen_low, guint32 gen_high);
/* @result: VSS_S_OK when the files are back (the database is checked, then the
 * interlock lifted); anything else keeps the interlock.  Only the restore
 * that placed an interlock lifts it.  S_OK, ERROR_INVALID_PARAMETER
 * (handle), HR_INVALID_PARAM (nothing registered), HR_ERROR (the restored
 * database fails its check: the interlock stays), HR_RESTORE_IN_PROGRESS
 * (an interlock is no longer this restore's). */
VssHResult vss_ds_restore_register_complete (VssDsHandle *handle, VssHResult result);
/* S_OK or ERROR_INVALID_PARAMETER (handle); a registered interlock stays. */
VssHResult vss_ds_restore_end (VssDsHandle *handle);

/* What the last failing vss_ds_* call of this thread said, or "". */
const char *vss_ds_get_last_error_message (void);

/* FALSE (VSS_ERROR_BAD_STATE, saying when and what to do) while a restore
 * interlock is in @dir; TRUE when the store may be opened for service.
 * `vss restore-gate DIR` exits with it (ExecStartPre of slapd's unit,
 * data/slapd-restore-gate.conf). */
gboolean vss_ds_restore_gate_check (const char *dir, GError **error);
/* Places the restore interlock in @dir for the restore @owner (a token
 * only that restore knows), @by saying who it is.  FALSE with
 * VSS_ERROR_OBJECT_ALREADY_EXISTS while another restore whose process
 * lives holds one there; one left by a process that is gone (an
 * interrupted restore) is taken over.  For vss_ds_restore_register and
 * the directory writer's pre_restore. */
gboolean vss_ds_restore_interlock_place (const char *dir, const char *owner, const char *by,
                                         GError **error);
/* Lifts the interlock of @dir: only its @owner may (else FALSE,
 * VSS_ERROR_BAD_STATE); TRUE when there is none. */
gboolean vss_ds_restore_interlock_lift (const char *dir, const char *owner, GError **error);

/* ---- the writer side: what the directory writer's get_interface
 * ("vss.ds-backup.2") returns.  Every function takes the loaded writer.
 * A writer that only knows "vss.ds-backup.1" offers the table without
 * stream_write_to_fd: vss_ds_backup_read_to_fd then answers
 * VSS_DS_HR_NYI. */

#define VSS_DS_BACKUP_INTERFACE "vss.ds-backup.2"
#define VSS_DS_BACKUP_INTERFACE_1 "vss.ds-backup.1"

typedef struct _VssWriter VssWriter;

typedef struct {
  /* TRUE in *out_online when a process other than this one has one of the
   * environments open (the directory server). */
  gboolean (*is_online) (VssWriter *writer, gboolean *out_online, GError **error);
  /* The directories' identity (stable, one string for all environments)
   * and the tombstone lifetime in seconds, for the expiry token. */
  gboolean (*get_identity) (VssWriter *writer, char **out_identity,
                            guint64 *out_tombstone_seconds, GError **error);
  /* The identity of the environment in @dir if it has one (never made
   * here: a restore target is left untouched), else NULL. */
  char *(*read_identity) (VssWriter *writer, const char *dir);
  /* Pins the current state of every environment (the backup instant);
   * returns a session for the calls below. */
  gpointer (*backup_begin) (VssWriter *writer, GError **error);
  /* The database files of the session (absolute paths; borrowed). */
  GPtrArray *(*backup_database_names) (gpointer session);
  /* A stream of database @index's image at the backup instant. */
  gpointer (*backup_open) (gpointer session, guint index, guint64 *out_size, GError **error);
  /* Bytes read, 0 at the end, -1 with @error. */
  gssize (*stream_read) (gpointer stream, void *buffer, gsize size, GError **error);
  void (*stream_close) (gpointer stream);
  void (*backup_end) (gpointer session);
  /* Where each environment lives (directories; free with g_ptr_array_unref). */
  GPtrArray *(*restore_locations) (VssWriter *writer, GError **error);
  /* FALSE while a process has the environment in @dir open. */
  gboolean (*restore_check_offline) (VssWriter *writer, const char *dir, GError **error);
  /* Opens the environment in @dir read-only and walks it; FALSE when it
   * is missing or damaged. */
  gboolean (*restore_verify) (VssWriter *writer, const char *dir, GError **error);
  /* "vss.ds-backup.2": writes at most @max of the stream's next bytes to
   * @fd; bytes written (some, unless @fd failed), 0 at the end, -1 with
   * @error. */
  gssize (*stream_write_to_fd) (gpointer stream, int fd, gsize max, GError **error);
} VssDsBackupInterface;

G_END_DECLS
