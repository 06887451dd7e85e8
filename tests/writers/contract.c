/* contract — a writer using the whole writer contract on $VSS_TEST_DATA_DIR:
 * components "data" (the directory) and "logs" (its logs/ subdirectory),
 * data depending on logs; *.pid in the directory excluded; in
 * post_snapshot it rewrites logs/current.log ("after\n") and writes
 * logs/late.log, and provides both as post-snapshot files of "logs"
 * (plus $VSS_TEST_CONTRACT_EXTRA when set, wherever it is).  prepare_backup
 * writes "atomic=0|1" to $VSS_TEST_RECORD_DIR/contract.atomic. */
#include <gmodule.h>
#include <vss/vss.h>

#define CONTRACT_ID "9f0c0e1a-0001-4000-8000-000000000301"

static gboolean
contract_identify (VssWriter *writer, VssWriterMetadata *md, GError **error)
{
  const char *dir = g_getenv ("VSS_TEST_DATA_DIR");
  if (dir == NULL)
    return TRUE;
  g_autofree char *logs = g_build_filename (dir, "logs", NULL);
  return vss_writer_metadata_add_component (md, VSS_CT_FILEGROUP, NULL, "data", "Data", TRUE, TRUE, error) &&
         vss_writer_metadata_add_files_to_file_group (md, NULL, "data", dir, "*", TRUE, NULL, error) &&
         vss_writer_metadata_add_component (md, VSS_CT_FILEGROUP, NULL, "logs", "Logs", TRUE, TRUE, error) &&
         vss_writer_metadata_add_files_to_file_group (md, NULL, "logs", logs, "*", TRUE, NULL, error) &&
         vss_writer_metadata_add_component_dependency (md, NULL, "data", CONTRACT_ID, NULL, "logs", error) &&
         vss_writer_metadata_add_exclude_files (md, dir, "*.pid", FALSE, error);
}

static gboolean
contract_prepare_backup (VssWriter *writer)
{
  const char *records = g_getenv ("VSS_TEST_RECORD_DIR");
  if (records == NULL)
    return TRUE;
  g_autofree char *path = g_build_filename (records, "contract.atomic", NULL);
  g_autofree char *text = g_strdup_printf ("atomic=%d\n", vss_writer_get_snapshot_is_atomic (writer));
  return g_file_set_contents (path, text, -1, NULL);
}

static VssComponent *
find_component (VssWriter *writer, const char *name)
{
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++)
    if (g_str_equal (vss_component_get_name (vss_writer_get_component (writer, i)), name))
      return vss_writer_get_component (writer, i);
  return NULL;
}

static gboolean
contract_post_snapshot (VssWriter *writer)
{
  const char *dir = g_getenv ("VSS_TEST_DATA_DIR"), *extra = g_getenv ("VSS_TEST_CONTRACT_EXTRA");
  VssComponent *logs = find_component (writer, "logs");
  if (dir == NULL || logs == NULL)
    return TRUE;
  g_autofree char *current = g_build_filename (dir, "logs", "current.log", NULL);
  g_autofree char *late = g_build_filename (dir, "logs", "late.log", NULL);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents (current, "after\n", -1, &error) ||
      !g_file_set_contents (late, "written after the snapshot\n", -1, &error) ||
      !vss_component_add_post_snapshot_file (logs, current, &error) ||
      !vss_component_add_post_snapshot_file (logs, late, &error) ||
      (extra != NULL && !vss_component_add_post_snapshot_file (logs, extra, &error))) {
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
    return FALSE;
  }
  return TRUE;
}

VSS_WRITER_DEFINE (CONTRACT_ID, "contract", VSS_UT_USERDATA, 0,
                   .on_identify = contract_identify,
                   .on_prepare_backup = contract_prepare_backup,
                   .on_post_snapshot = contract_post_snapshot)
