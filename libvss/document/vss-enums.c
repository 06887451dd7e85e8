/* vss-enums.c — the names of the public enumerations, as used in JSON
 * documents and on the command line.
 *
 * Each table lists the meaningful values first and "undefined" last, so
 * that error messages ("one of: full, incremental, …") start with what a
 * user most likely meant. */
#include "vss-document-private.h"

#include <string.h>

const VssEnumName vss_backup_type_names[] = {
  { VSS_BT_FULL, "full" },
  { VSS_BT_INCREMENTAL, "incremental" },
  { VSS_BT_DIFFERENTIAL, "differential" },
  { VSS_BT_LOG, "log" },
  { VSS_BT_COPY, "copy" },
  { VSS_BT_OTHER, "other" },
  { VSS_BT_UNDEFINED, "undefined" },
  { 0, NULL },
};

const VssEnumName vss_component_type_names[] = {
  { VSS_CT_DATABASE, "database" },
  { VSS_CT_FILEGROUP, "file-group" },
  { VSS_CT_UNDEFINED, "undefined" },
  { 0, NULL },
};

const VssEnumName vss_usage_type_names[] = {
  { VSS_UT_BOOTABLESYSTEMSTATE, "bootable-system-state" },
  { VSS_UT_SYSTEMSERVICE, "system-service" },
  { VSS_UT_USERDATA, "user-data" },
  { VSS_UT_OTHER, "other" },
  { VSS_UT_UNDEFINED, "undefined" },
  { 0, NULL },
};

const VssEnumName vss_restore_method_names[] = {
  { VSS_RME_RESTORE_IF_NOT_THERE, "restore-if-not-there" },
  { VSS_RME_RESTORE_IF_CAN_REPLACE, "restore-if-can-replace" },
  { VSS_RME_STOP_RESTORE_START, "stop-restore-start" },
  { VSS_RME_RESTORE_TO_ALTERNATE_LOCATION, "restore-to-alternate-location" },
  { VSS_RME_RESTORE_AT_REBOOT, "restore-at-reboot" },
  { VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE, "restore-at-reboot-if-cannot-replace" },
  { VSS_RME_CUSTOM, "custom" },
  { VSS_RME_RESTORE_STOP_START, "restore-stop-start" },
  { VSS_RME_UNDEFINED, "undefined" },
  { 0, NULL },
};

const VssEnumName vss_writer_restore_names[] = {
  { VSS_WRE_NEVER, "never" },
  { VSS_WRE_IF_REPLACE_FAILS, "if-replace-fails" },
  { VSS_WRE_ALWAYS, "always" },
  { VSS_WRE_UNDEFINED, "undefined" },
  { 0, NULL },
};

const VssEnumName vss_restore_target_names[] = {
  { VSS_RT_ORIGINAL, "original" },
  { VSS_RT_ALTERNATE, "alternate" },
  { VSS_RT_DIRECTED, "directed" },
  { VSS_RT_ORIGINAL_LOCATION, "original-location" },
  { VSS_RT_UNDEFINED, "undefined" },
  { 0, NULL },
};

const VssEnumName vss_file_restore_status_names[] = {
  { VSS_RS_NONE, "none" },
  { VSS_RS_ALL, "all" },
  { VSS_RS_FAILED, "failed" },
  { VSS_RS_UNDEFINED, "undefined" },
  { 0, NULL },
};

const VssEnumName vss_writer_state_names[] = {
  { VSS_WS_STABLE, "stable" },
  { VSS_WS_WAITING_FOR_FREEZE, "waiting-for-freeze" },
  { VSS_WS_WAITING_FOR_THAW, "waiting-for-thaw" },
  { VSS_WS_WAITING_FOR_POST_SNAPSHOT, "waiting-for-post-snapshot" },
  { VSS_WS_WAITING_FOR_BACKUP_COMPLETE, "waiting-for-backup-complete" },
  { VSS_WS_FAILED_AT_IDENTIFY, "failed-at-identify" },
  { VSS_WS_FAILED_AT_PREPARE_BACKUP, "failed-at-prepare-backup" },
  { VSS_WS_FAILED_AT_PREPARE_SNAPSHOT, "failed-at-prepare-snapshot" },
  { VSS_WS_FAILED_AT_FREEZE, "failed-at-freeze" },
  { VSS_WS_FAILED_AT_THAW, "failed-at-thaw" },
  { VSS_WS_FAILED_AT_POST_SNAPSHOT, "failed-at-post-snapshot" },
  { VSS_WS_FAILED_AT_BACKUP_COMPLETE, "failed-at-backup-complete" },
  { VSS_WS_FAILED_AT_PRE_RESTORE, "failed-at-pre-restore" },
  { VSS_WS_FAILED_AT_POST_RESTORE, "failed-at-post-restore" },
  { VSS_WS_FAILED_AT_BACKUPSHUTDOWN, "failed-at-backup-shutdown" },
  { VSS_WS_UNKNOWN, "unknown" },
  { 0, NULL },
};

const VssEnumName vss_writer_failure_names[] = {
  { VSS_WF_INCONSISTENT_SNAPSHOT, "inconsistent-snapshot" },
  { VSS_WF_OUT_OF_RESOURCES, "out-of-resources" },
  { VSS_WF_TIMEOUT, "timeout" },
  { VSS_WF_RETRYABLE, "retryable" },
  { VSS_WF_NONRETRYABLE, "non-retryable" },
  { VSS_WF_NOT_RESPONDING, "not-responding" },
  { VSS_WF_NONE, "none" },
  { 0, NULL },
};

const VssEnumName vss_snapshot_context_names[] = {
  { VSS_CTX_BACKUP, "backup" },
  { VSS_CTX_FILE_SHARE_BACKUP, "file-share-backup" },
  { VSS_CTX_NAS_ROLLBACK, "nas-rollback" },
  { VSS_CTX_APP_ROLLBACK, "app-rollback" },
  { VSS_CTX_CLIENT_ACCESSIBLE, "client-accessible" },
  { 0, NULL },
};

const char *
vss_enum_to_string (const VssEnumName *names, int value)
{
  g_return_val_if_fail (names != NULL, NULL);
  for (const VssEnumName *n = names; n->name != NULL; n++)
    if (n->value == value)
      return n->name;
  return NULL;
}

gboolean
vss_enum_from_string (const VssEnumName *names, const char *str, int *out)
{
  g_return_val_if_fail (names != NULL, FALSE);
  if (str == NULL)
    return FALSE;
  for (const VssEnumName *n = names; n->name != NULL; n++) {
    if (strcmp (n->name, str) == 0) {
      if (out != NULL)
        *out = n->value;
      return TRUE;
    }
  }
  return FALSE;
}

/* The public functions: to_string gives "invalid" for a value outside the
 * enumeration (never NULL, so it is safe in a log line). */
#define VSS_ENUM_TO_STRING(prefix, Type, table)                         \
  const char *prefix##_to_string (Type value)                           \
  {                                                                     \
    const char *name = vss_enum_to_string (table, (int) value);        \
    return name != NULL ? name : "invalid";                             \
  }
#define VSS_ENUM_FUNCS(prefix, Type, table)                             \
  VSS_ENUM_TO_STRING (prefix, Type, table)                              \
  gboolean prefix##_from_string (const char *str, Type *out)            \
  {                                                                     \
    int value;                                                          \
    if (!vss_enum_from_string (table, str, &value))                     \
      return FALSE;                                                     \
    if (out != NULL)                                                    \
      *out = (Type) value;                                              \
    return TRUE;                                                        \
  }

VSS_ENUM_FUNCS (vss_backup_type, VssBackupType, vss_backup_type_names)
VSS_ENUM_FUNCS (vss_component_type, VssComponentType, vss_component_type_names)
VSS_ENUM_FUNCS (vss_usage_type, VssUsageType, vss_usage_type_names)
VSS_ENUM_FUNCS (vss_restore_method, VssRestoreMethod, vss_restore_method_names)
VSS_ENUM_FUNCS (vss_writer_restore, VssWriterRestore, vss_writer_restore_names)
VSS_ENUM_FUNCS (vss_restore_target, VssRestoreTarget, vss_restore_target_names)
VSS_ENUM_FUNCS (vss_file_restore_status, VssFileRestoreStatus, vss_file_restore_status_names)
VSS_ENUM_FUNCS (vss_writer_failure, VssWriterFailure, vss_writer_failure_names)
VSS_ENUM_FUNCS (vss_snapshot_context, VssSnapshotContext, vss_snapshot_context_names)
/* The public API has no vss_writer_state_from_string. */
VSS_ENUM_TO_STRING (vss_writer_state, VssWriterState, vss_writer_state_names)

gboolean
vss_snapshot_context_is_persistent (VssSnapshotContext context)
{
  return context == VSS_CTX_NAS_ROLLBACK || context == VSS_CTX_APP_ROLLBACK ||
         context == VSS_CTX_CLIENT_ACCESSIBLE;
}

gboolean
vss_snapshot_context_has_writers (VssSnapshotContext context)
{
  return context == VSS_CTX_BACKUP || context == VSS_CTX_APP_ROLLBACK;
}
