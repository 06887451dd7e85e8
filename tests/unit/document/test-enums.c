/* test-enums.c — enum names: every value has a name that reads back to it,
 * the documented spellings, unknown names refused, context predicates. */
#include <criterion/criterion.h>

#include "document/vss-document-private.h"

typedef struct {
  const char *table_name;
  const VssEnumName *names;
  int first, last; /* the declared range of the enum, for contiguous enums */
} Table;

static const Table tables[] = {
  { "backup_type", vss_backup_type_names, VSS_BT_UNDEFINED, VSS_BT_OTHER },
  { "component_type", vss_component_type_names, VSS_CT_UNDEFINED, VSS_CT_FILEGROUP },
  { "usage_type", vss_usage_type_names, VSS_UT_UNDEFINED, VSS_UT_OTHER },
  { "restore_method", vss_restore_method_names, VSS_RME_UNDEFINED, VSS_RME_RESTORE_STOP_START },
  { "writer_restore", vss_writer_restore_names, VSS_WRE_UNDEFINED, VSS_WRE_ALWAYS },
  { "restore_target", vss_restore_target_names, VSS_RT_UNDEFINED, VSS_RT_ORIGINAL_LOCATION },
  { "file_restore_status", vss_file_restore_status_names, VSS_RS_UNDEFINED, VSS_RS_FAILED },
  { "writer_state", vss_writer_state_names, VSS_WS_UNKNOWN, VSS_WS_FAILED_AT_BACKUPSHUTDOWN },
  { "writer_failure", vss_writer_failure_names, VSS_WF_NONE, VSS_WF_NOT_RESPONDING },
};

Test (enums, every_value_named_and_round_trips)
{
  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++) {
    for (int v = tables[t].first; v <= tables[t].last; v++) {
      const char *name = vss_enum_to_string (tables[t].names, v);
      int back = -1;
      cr_assert_not_null (name, "%s %d has no name", tables[t].table_name, v);
      cr_assert (vss_enum_from_string (tables[t].names, name, &back));
      cr_assert_eq (back, v, "%s: \"%s\" reads back as %d, not %d", tables[t].table_name,
                    name, back, v);
      /* Lower-case and hyphenated. */
      for (const char *p = name; *p; p++)
        cr_assert (g_ascii_islower (*p) || *p == '-', "%s: bad character in \"%s\"",
                   tables[t].table_name, name);
    }
    cr_assert_null (vss_enum_to_string (tables[t].names, tables[t].last + 1));
  }
}

Test (enums, names_unique_per_table)
{
  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const VssEnumName *a = tables[t].names; a->name; a++)
      for (const VssEnumName *b = a + 1; b->name; b++) {
        cr_assert_str_neq (a->name, b->name);
        cr_assert_neq (a->value, b->value);
      }
}

Test (enums, documented_spellings)
{
  VssBackupType bt = 0;
  cr_assert_str_eq (vss_backup_type_to_string (VSS_BT_FULL), "full");
  cr_assert_str_eq (vss_backup_type_to_string (VSS_BT_INCREMENTAL), "incremental");
  cr_assert_str_eq (vss_backup_type_to_string (VSS_BT_DIFFERENTIAL), "differential");
  cr_assert_str_eq (vss_backup_type_to_string (VSS_BT_LOG), "log");
  cr_assert_str_eq (vss_backup_type_to_string (VSS_BT_COPY), "copy");
  cr_assert_str_eq (vss_backup_type_to_string (VSS_BT_OTHER), "other");
  cr_assert_str_eq (vss_backup_type_to_string (VSS_BT_UNDEFINED), "undefined");
  cr_assert (vss_backup_type_from_string ("differential", &bt));
  cr_assert_eq (bt, VSS_BT_DIFFERENTIAL);
  cr_assert_str_eq (vss_component_type_to_string (VSS_CT_DATABASE), "database");
  cr_assert_str_eq (vss_component_type_to_string (VSS_CT_FILEGROUP), "file-group");
  cr_assert_str_eq (vss_writer_state_to_string (VSS_WS_STABLE), "stable");
  cr_assert_str_eq (vss_writer_state_to_string (VSS_WS_WAITING_FOR_FREEZE), "waiting-for-freeze");
  cr_assert_str_eq (vss_writer_state_to_string (VSS_WS_FAILED_AT_FREEZE), "failed-at-freeze");
  cr_assert_str_eq (vss_writer_failure_to_string (VSS_WF_INCONSISTENT_SNAPSHOT),
                    "inconsistent-snapshot");
  cr_assert_str_eq (vss_writer_failure_to_string (VSS_WF_OUT_OF_RESOURCES), "out-of-resources");
  cr_assert_str_eq (vss_writer_failure_to_string (VSS_WF_TIMEOUT), "timeout");
  cr_assert_str_eq (vss_writer_failure_to_string (VSS_WF_RETRYABLE), "retryable");
  cr_assert_str_eq (vss_writer_failure_to_string (VSS_WF_NONRETRYABLE), "non-retryable");
  cr_assert_str_eq (vss_writer_failure_to_string (VSS_WF_NOT_RESPONDING), "not-responding");
  cr_assert_str_eq (vss_writer_failure_to_string (VSS_WF_NONE), "none");
  cr_assert_str_eq (vss_snapshot_context_to_string (VSS_CTX_BACKUP), "backup");
  cr_assert_str_eq (vss_snapshot_context_to_string (VSS_CTX_FILE_SHARE_BACKUP),
                    "file-share-backup");
  cr_assert_str_eq (vss_snapshot_context_to_string (VSS_CTX_NAS_ROLLBACK), "nas-rollback");
  cr_assert_str_eq (vss_snapshot_context_to_string (VSS_CTX_APP_ROLLBACK), "app-rollback");
  cr_assert_str_eq (vss_snapshot_context_to_string (VSS_CTX_CLIENT_ACCESSIBLE),
                    "client-accessible");
}

#define ROUND_TRIP(prefix, Type, value)                                  \
  do {                                                                   \
    Type out_ = (Type) 0x7777;                                           \
    const char *name_ = prefix##_to_string (value);                      \
    cr_assert (prefix##_from_string (name_, &out_), #prefix " %s", name_); \
    cr_assert_eq (out_, value);                                          \
  } while (0)

Test (enums, public_functions_round_trip_every_value)
{
  for (int v = VSS_BT_UNDEFINED; v <= VSS_BT_OTHER; v++)
    ROUND_TRIP (vss_backup_type, VssBackupType, (VssBackupType) v);
  for (int v = VSS_CT_UNDEFINED; v <= VSS_CT_FILEGROUP; v++)
    ROUND_TRIP (vss_component_type, VssComponentType, (VssComponentType) v);
  for (int v = VSS_UT_UNDEFINED; v <= VSS_UT_OTHER; v++)
    ROUND_TRIP (vss_usage_type, VssUsageType, (VssUsageType) v);
  for (int v = VSS_RME_UNDEFINED; v <= VSS_RME_RESTORE_STOP_START; v++)
    ROUND_TRIP (vss_restore_method, VssRestoreMethod, (VssRestoreMethod) v);
  for (int v = VSS_WRE_UNDEFINED; v <= VSS_WRE_ALWAYS; v++)
    ROUND_TRIP (vss_writer_restore, VssWriterRestore, (VssWriterRestore) v);
  for (int v = VSS_RT_UNDEFINED; v <= VSS_RT_ORIGINAL_LOCATION; v++)
    ROUND_TRIP (vss_restore_target, VssRestoreTarget, (VssRestoreTarget) v);
  for (int v = VSS_RS_UNDEFINED; v <= VSS_RS_FAILED; v++)
    ROUND_TRIP (vss_file_restore_status, VssFileRestoreStatus, (VssFileRestoreStatus) v);
  for (int v = VSS_WF_NONE; v <= VSS_WF_NOT_RESPONDING; v++)
    ROUND_TRIP (vss_writer_failure, VssWriterFailure, (VssWriterFailure) v);
  const VssSnapshotContext contexts[] = { VSS_CTX_BACKUP, VSS_CTX_FILE_SHARE_BACKUP,
                                          VSS_CTX_NAS_ROLLBACK, VSS_CTX_APP_ROLLBACK,
                                          VSS_CTX_CLIENT_ACCESSIBLE };
  for (gsize i = 0; i < G_N_ELEMENTS (contexts); i++)
    ROUND_TRIP (vss_snapshot_context, VssSnapshotContext, contexts[i]);
}

Test (enums, unknown_names_refused_and_out_untouched)
{
  VssBackupType bt = VSS_BT_LOG;
  VssSnapshotContext ctx = VSS_CTX_APP_ROLLBACK;
  int raw = 42;

  cr_assert_not (vss_backup_type_from_string ("fulll", &bt));
  cr_assert_not (vss_backup_type_from_string ("Full", &bt));
  cr_assert_not (vss_backup_type_from_string ("", &bt));
  cr_assert_not (vss_backup_type_from_string (NULL, &bt));
  cr_assert_eq (bt, VSS_BT_LOG);
  cr_assert_not (vss_snapshot_context_from_string ("volatile", &ctx));
  cr_assert_eq (ctx, VSS_CTX_APP_ROLLBACK);
  cr_assert_not (vss_enum_from_string (vss_component_type_names, "filegroup", &raw));
  cr_assert_eq (raw, 42);
}

Test (enums, out_of_range_values_print_invalid)
{
  cr_assert_str_eq (vss_backup_type_to_string ((VssBackupType) 99), "invalid");
  cr_assert_str_eq (vss_writer_state_to_string ((VssWriterState) -1), "invalid");
  cr_assert_str_eq (vss_snapshot_context_to_string ((VssSnapshotContext) 1), "invalid");
}

Test (enums, context_predicates)
{
  cr_assert_not (vss_snapshot_context_is_persistent (VSS_CTX_BACKUP));
  cr_assert_not (vss_snapshot_context_is_persistent (VSS_CTX_FILE_SHARE_BACKUP));
  cr_assert (vss_snapshot_context_is_persistent (VSS_CTX_NAS_ROLLBACK));
  cr_assert (vss_snapshot_context_is_persistent (VSS_CTX_APP_ROLLBACK));
  cr_assert (vss_snapshot_context_is_persistent (VSS_CTX_CLIENT_ACCESSIBLE));

  cr_assert (vss_snapshot_context_has_writers (VSS_CTX_BACKUP));
  cr_assert (vss_snapshot_context_has_writers (VSS_CTX_APP_ROLLBACK));
  cr_assert_not (vss_snapshot_context_has_writers (VSS_CTX_FILE_SHARE_BACKUP));
  cr_assert_not (vss_snapshot_context_has_writers (VSS_CTX_NAS_ROLLBACK));
  cr_assert_not (vss_snapshot_context_has_writers (VSS_CTX_CLIENT_ACCESSIBLE));
}
