/* vss-provider-fs.h — filesystem facts and image handling shared by the
 * providers: where a filesystem (or btrfs subvolume) begins, where the
 * providers keep their images on it, and how an image is made read-only. */
#pragma once

#include "vss-provider.h"

G_BEGIN_DECLS

/* The name of the hidden directory, at the root of a filesystem or btrfs
 * subvolume, that holds the btrfs and reflink images made on it. */
#define VSS_PROVIDER_HIDDEN_DIR ".vss-snapshots"

/* The directory where the filesystem (or btrfs subvolume) holding @path
 * begins: the highest ancestor on the same st_dev.  On btrfs every
 * subvolume has its own st_dev and its root is inode 256, so this is the
 * subvolume root there. */
char *vss_provider_fs_root (const char *path, GError **error);

/* Is @path on a filesystem of @type ("btrfs", "xfs" …, as vss_fs_type_name
 * names them)?  FALSE when it cannot be told. */
gboolean vss_provider_fs_is (const char *path, const char *type);

/* The mount of the device @dev in /proc/self/mountinfo: its source (the
 * block device, "/dev/mapper/vg-data", "/dev/loop3") and its type
 * ("devtmpfs" where statfs says tmpfs).  Of several mounts of @dev (bind
 * mounts) the one on @mount_point, when given and found.  FALSE when
 * no mount has that device. */
gboolean vss_provider_fs_mount_source (dev_t dev, const char *mount_point, char **out_source,
                                       char **out_type);

/* Makes the finished image at @image read-only for everyone, root
 * included when possible (see docs/architecture.md, Providers):
 *  - as root, a read-only bind mount of @image on itself (writes: EROFS);
 *  - otherwise, the write bits of its top directory are cleared (new
 *    entries: EACCES); the files keep their own modes, which the backup
 *    must record unchanged. */
gboolean vss_provider_seal (const char *image, GError **error);
/* The last step of a commit that made @image (taken): seal it read-only
 * and expose it as the snapshot; on failure the image is removed. */
gboolean vss_provider_expose (VssSnapshot *snapshot, char *image, GError **error);
/* Undoes vss_provider_seal so the image can be removed; harmless on an
 * image that was never sealed or is gone. */
void     vss_provider_unseal (const char *image);

/* The error for a commit that ran past its deadline; @what is "clone of
 * /x" or "btrfs snapshot of /x". */
void vss_provider_set_timeout_error (GError **error, const char *what, gint64 deadline_usec,
                                     gint64 started_usec);

/* A sentence naming a provider other than @self that supports @path and
 * why ("reflink would work: /x is on xfs with reflink"), or NULL. */
char *vss_provider_alternative (const VssProvider *self, const char *path);

G_END_DECLS
