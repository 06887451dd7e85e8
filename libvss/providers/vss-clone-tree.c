/* vss-clone-tree.c — the reflink provider's tree walk (see
 * vss-clone-tree.h): the shared descriptor-based walker of util/
 * (vss_fs_copy_tree_full) with FICLONE for the data, kept on the tree's
 * filesystem (a nested mount or btrfs subvolume shows up empty) and
 * leaving out the image store. */
#include "vss-clone-tree.h"

#include "util/vss-fs.h"

gboolean
vss_clone_tree (const char *src, const char *dst, dev_t skip_dev, ino_t skip_ino,
                gint64 deadline_usec, GError **error)
{
  g_return_val_if_fail (src != NULL && dst != NULL, FALSE);
  VssFsCopyOptions options = {
    .deadline_usec = deadline_usec,
    .clone_only = TRUE,
    .stay_on_device = TRUE,
    .skip_dev = skip_dev,
    .skip_ino = skip_ino,
  };
  return vss_fs_copy_tree_full (src, dst, &options, error);
}
