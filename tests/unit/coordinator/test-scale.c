/* Writer metadata at scale: a writer that declares 50,000 components is
 * gathered, every component added to the backup and prepared, within the
 * suite's timeout.  The lookups by (logical path, name) were linear, so
 * this took minutes (20,000 components: 12 s to gather, measured); the
 * growth curve is in bench/metadata. */
#include "lifecycle-fixture.h"

TestSuite (scale, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

#define MANY 50000

Test (scale, fifty_thousand_components_gather_add_and_prepare)
{
  g_autofree char *count = g_strdup_printf ("%d", MANY);
  g_setenv ("VSS_TEST_COMPONENTS", count, TRUE);
  VssBackupComponents *bc = fx_new ("many", NULL);
  g_autofree char *snapshot_id = fx_prepare_all (bc);
  guint n = 0;
  cr_assert (vss_backup_components_get_component_count (bc, &n, NULL));
  cr_assert_eq (n, MANY + 1, "%u components in the document", n);   /* + "data" */
  const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, 0, NULL);
  cr_assert_not_null (vss_writer_metadata_find_component (md, "many", "c049999"));
  cr_assert_null (vss_writer_metadata_find_component (md, "many", "c050000"));
  vss_backup_components_free (bc);
}
