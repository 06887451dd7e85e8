/* vss-fs-private.h — what the files of util/ share for walking trees by
 * descriptor (vss-fs.c, vss-fs-copy.c). */
#pragma once

#include "vss-fs.h"

G_BEGIN_DECLS

/* FALSE, with a G_IO_ERROR from @saved_errno: "@what @path: reason". */
gboolean   vss_fs_errno_error (GError **error, int saved_errno, const char *what, const char *path);
/* The entry names of the open directory @dirfd (no . and ..), sorted. */
GPtrArray *vss_fs_list_dir (int dirfd, const char *path, GError **error);
/* @name in @dirfd is the root of a mounted filesystem. */
gboolean   vss_fs_is_mount_root (int dirfd, const char *name);

/* Test seam: called with the source path once a regular file's data are
 * copied and before its metadata are, so a test can make the file vanish
 * at exactly that point.  NULL (the default) for none. */
typedef void (*VssFsCopyHook) (const char *src_path);
void vss_fs_copy_tree_set_test_hook (VssFsCopyHook hook);

G_END_DECLS
