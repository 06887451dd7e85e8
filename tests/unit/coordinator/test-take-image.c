/* test-take-image.c — vss_backup_components_take_snapshot_image: only
 * after do_snapshot_set, only a known snapshot, and the copy provider's
 * image becomes writable (files can be moved out of it), where before it
 * was sealed. */
#include "lifecycle-fixture.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

TestSuite (take_image, .init = fx_setup, .fini = fx_teardown);

/* Can a new entry be made at the top of @image? */
static gboolean
writable (const char *image)
{
  g_autofree char *probe = g_build_filename (image, "probe", NULL);
  int fd = open (probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return FALSE;
  close (fd);
  unlink (probe);
  return TRUE;
}

Test (take_image, the_copy_image_is_handed_over_after_the_snapshot)
{
  g_autoptr(VssBackupComponents) bc = fx_new ("recorder", NULL);
  g_autofree char *id = fx_prepare_all (bc);
  EXPECT (vss_backup_components_take_snapshot_image (bc, id, error), VSS_ERROR_BAD_STATE,
          "do_snapshot_set");
  fx_do_snapshot (bc);
  EXPECT (vss_backup_components_take_snapshot_image (bc, "00000000-0000-4000-8000-000000000000",
                                                     error),
          VSS_ERROR_OBJECT_NOT_FOUND, "no snapshot");
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, id, NULL);
  cr_assert_str_eq (prop->provider, "copy");
  cr_assert_not (writable (prop->snapshot_path), "the image was writable before it was taken");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_take_snapshot_image (bc, id, &error), "%s",
             error ? error->message : "");
  cr_assert (writable (prop->snapshot_path), "the image taken is still sealed");
  fx_complete (bc);
}
