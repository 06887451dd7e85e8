/* many — declares $VSS_TEST_COMPONENTS (1000) more file-group components
 * "c000000" … in identify, each holding the directory
 * $VSS_TEST_DATA_DIR/cNNNNNN: writer metadata at scale. */
#include "test-writer-common.h"

TEST_WRITER_PLAIN_HOOK

static gboolean
many_identify (VssWriter *writer, VssWriterMetadata *metadata, GError **error)
{
  if (!test_writer_on_identify (writer, metadata, error))
    return FALSE;
  const char *data = g_getenv ("VSS_TEST_DATA_DIR");
  guint count = test_writer_env_uint ("VSS_TEST_COMPONENTS", 1000);
  for (guint i = 0; i < count; i++) {
    char name[16];
    g_snprintf (name, sizeof name, "c%06u", i);
    g_autofree char *dir = g_build_filename (data != NULL ? data : "/nonexistent", name, NULL);
    if (!vss_writer_metadata_add_component (metadata, VSS_CT_FILEGROUP, "many", name, NULL,
                                            TRUE, TRUE, error) ||
        !vss_writer_metadata_add_files_to_file_group (metadata, "many", name, dir, "*", TRUE,
                                                      NULL, error))
      return FALSE;
  }
  return TRUE;
}

VSS_WRITER_DEFINE ("9f0c0e1a-0001-4000-8000-000000000006", "many", VSS_UT_USERDATA, 0,
                   .on_load = test_writer_on_load, .on_unload = test_writer_on_unload,
                   .on_identify = many_identify,
                   .on_prepare_backup = test_writer_on_prepare_backup,
                   .on_prepare_snapshot = test_writer_on_prepare_snapshot,
                   .on_freeze = test_writer_on_freeze, .on_thaw = test_writer_on_thaw,
                   .on_post_snapshot = test_writer_on_post_snapshot,
                   .on_backup_complete = test_writer_on_backup_complete,
                   .on_backup_shutdown = test_writer_on_backup_shutdown,
                   .on_abort = test_writer_on_abort,
                   .on_pre_restore = test_writer_on_pre_restore,
                   .on_post_restore = test_writer_on_post_restore)
