/* vss-types.h — the enumerations of the Volume Shadow Copy model.
 *
 * Numeric values are those of the Windows SDK (vss.h, vswriter.h) so that
 * logs and documents line up with the reference; names are snake-cased. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VSS_BT_UNDEFINED = 0,
  VSS_BT_FULL = 1,
  VSS_BT_INCREMENTAL = 2,
  VSS_BT_DIFFERENTIAL = 3,
  VSS_BT_LOG = 4,
  VSS_BT_COPY = 5,
  VSS_BT_OTHER = 6,
} VssBackupType;

typedef enum {
  VSS_CT_UNDEFINED = 0,
  VSS_CT_DATABASE = 1,
  VSS_CT_FILEGROUP = 2,
} VssComponentType;

typedef enum {
  VSS_UT_UNDEFINED = 0,
  VSS_UT_BOOTABLESYSTEMSTATE = 1,
  VSS_UT_SYSTEMSERVICE = 2,
  VSS_UT_USERDATA = 3,
  VSS_UT_OTHER = 4,
} VssUsageType;

typedef enum {
  VSS_RME_UNDEFINED = 0,
  VSS_RME_RESTORE_IF_NOT_THERE = 1,
  VSS_RME_RESTORE_IF_CAN_REPLACE = 2,
  VSS_RME_STOP_RESTORE_START = 3,
  VSS_RME_RESTORE_TO_ALTERNATE_LOCATION = 4,
  VSS_RME_RESTORE_AT_REBOOT = 5,
  VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE = 6,
  VSS_RME_CUSTOM = 7,
  VSS_RME_RESTORE_STOP_START = 8,
} VssRestoreMethod;

typedef enum {
  VSS_WRE_UNDEFINED = 0,
  VSS_WRE_NEVER = 1,
  VSS_WRE_IF_REPLACE_FAILS = 2,
  VSS_WRE_ALWAYS = 3,
} VssWriterRestore;

typedef enum {
  VSS_RT_UNDEFINED = 0,
  VSS_RT_ORIGINAL = 1,
  VSS_RT_ALTERNATE = 2,
  VSS_RT_DIRECTED = 3,
  VSS_RT_ORIGINAL_LOCATION = 4,
} VssRestoreTarget;

typedef enum {
  VSS_RS_UNDEFINED = 0,
  VSS_RS_NONE = 1,
  VSS_RS_ALL = 2,
  VSS_RS_FAILED = 3,
} VssFileRestoreStatus;

/* Backup schema: which backup types a writer supports (bit mask). */
typedef enum {
  VSS_BS_UNDEFINED = 0,
  VSS_BS_DIFFERENTIAL = 0x0001,
  VSS_BS_INCREMENTAL = 0x0002,
  VSS_BS_LOG = 0x0010,
  VSS_BS_COPY = 0x0020,
  VSS_BS_TIMESTAMPED = 0x0040,
  VSS_BS_LAST_MODIFY = 0x0080,
} VssBackupSchema;

typedef enum {
  VSS_WS_UNKNOWN = 0,
  VSS_WS_STABLE = 1,
  VSS_WS_WAITING_FOR_FREEZE = 2,
  VSS_WS_WAITING_FOR_THAW = 3,
  VSS_WS_WAITING_FOR_POST_SNAPSHOT = 4,
  VSS_WS_WAITING_FOR_BACKUP_COMPLETE = 5,
  VSS_WS_FAILED_AT_IDENTIFY = 6,
  VSS_WS_FAILED_AT_PREPARE_BACKUP = 7,
  VSS_WS_FAILED_AT_PREPARE_SNAPSHOT = 8,
  VSS_WS_FAILED_AT_FREEZE = 9,
  VSS_WS_FAILED_AT_THAW = 10,
  VSS_WS_FAILED_AT_POST_SNAPSHOT = 11,
  VSS_WS_FAILED_AT_BACKUP_COMPLETE = 12,
  VSS_WS_FAILED_AT_PRE_RESTORE = 13,
  VSS_WS_FAILED_AT_POST_RESTORE = 14,
  VSS_WS_FAILED_AT_BACKUPSHUTDOWN = 15,
} VssWriterState;

/* What a writer reports with vss_writer_set_failure().  NOT_RESPONDING is
 * set by the coordinator only, when a writer misses an event deadline. */
typedef enum {
  VSS_WF_NONE = 0,
  VSS_WF_INCONSISTENT_SNAPSHOT,
  VSS_WF_OUT_OF_RESOURCES,
  VSS_WF_TIMEOUT,
  VSS_WF_RETRYABLE,
  VSS_WF_NONRETRYABLE,
  VSS_WF_NOT_RESPONDING,
} VssWriterFailure;

typedef enum {
  VSS_CTX_BACKUP = 0x00,
  VSS_CTX_FILE_SHARE_BACKUP = 0x10,
  VSS_CTX_NAS_ROLLBACK = 0x19,
  VSS_CTX_APP_ROLLBACK = 0x20,
  VSS_CTX_CLIENT_ACCESSIBLE = 0x29,
} VssSnapshotContext;

typedef enum {
  VSS_ASYNC_PENDING = 0,
  VSS_ASYNC_FINISHED,
  VSS_ASYNC_CANCELLED,
  VSS_ASYNC_FAILED,
} VssAsyncStatus;

/* Names as used in JSON documents and on the command line ("full",
 * "database", "failed-at-freeze" …).  from_string returns FALSE for an
 * unknown name and leaves *out untouched. */
const char *vss_backup_type_to_string (VssBackupType type);
gboolean    vss_backup_type_from_string (const char *str, VssBackupType *out);
const char *vss_component_type_to_string (VssComponentType type);
gboolean    vss_component_type_from_string (const char *str, VssComponentType *out);
const char *vss_usage_type_to_string (VssUsageType type);
gboolean    vss_usage_type_from_string (const char *str, VssUsageType *out);
const char *vss_restore_method_to_string (VssRestoreMethod method);
gboolean    vss_restore_method_from_string (const char *str, VssRestoreMethod *out);
const char *vss_writer_restore_to_string (VssWriterRestore value);
gboolean    vss_writer_restore_from_string (const char *str, VssWriterRestore *out);
const char *vss_restore_target_to_string (VssRestoreTarget target);
gboolean    vss_restore_target_from_string (const char *str, VssRestoreTarget *out);
const char *vss_file_restore_status_to_string (VssFileRestoreStatus status);
gboolean    vss_file_restore_status_from_string (const char *str, VssFileRestoreStatus *out);
const char *vss_writer_state_to_string (VssWriterState state);
const char *vss_writer_failure_to_string (VssWriterFailure failure);
gboolean    vss_writer_failure_from_string (const char *str, VssWriterFailure *out);
const char *vss_snapshot_context_to_string (VssSnapshotContext context);
gboolean    vss_snapshot_context_from_string (const char *str, VssSnapshotContext *out);

/* TRUE for the contexts whose snapshots outlive the VssBackupComponents. */
gboolean vss_snapshot_context_is_persistent (VssSnapshotContext context);
/* TRUE for the contexts that involve writers (BACKUP, APP_ROLLBACK). */
gboolean vss_snapshot_context_has_writers (VssSnapshotContext context);

G_END_DECLS
