/* loopfs.h — real filesystems for the root tests: an image file in a temp
 * dir, attached with `losetup -f --show` (the device is recorded, and only
 * that device is detached), made with mkfs, mounted; torn down by
 * loopfs_free whatever happened in between. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *dir;          /* temp dir holding the image and the mount point */
  char *image;
  char *device;       /* /dev/loopN we attached, NULL when none */
  char *mountpoint;   /* mounted there when mounted is TRUE */
  gboolean mounted;
} LoopFs;

/* A fresh @type ("btrfs", "xfs", "ext4") filesystem of @size_mib, or NULL
 * with the reason in @error (a missing mkfs, no loop devices …). */
LoopFs *loopfs_new (const char *type, guint size_mib, GError **error);
void    loopfs_free (LoopFs *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoopFs, loopfs_free)

/* Runs @argv (NULL-terminated) and fails with its stderr when it fails. */
gboolean loopfs_run (const char *const *argv, char **out_stdout, GError **error);

/* TRUE as root; otherwise FALSE with *reason set for cr_skip_test. */
gboolean loopfs_can_run (const char **reason);

G_END_DECLS
