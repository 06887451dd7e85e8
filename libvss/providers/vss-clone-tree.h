/* vss-clone-tree.h — a copy of a tree whose files share their data with
 * the originals (FICLONE), for the reflink provider. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Clones the tree at @src into @dst (which must not exist): regular files
 * with FICLONE (never a byte copy: a file that cannot be cloned is an
 * error), directories, symlinks, special files, modes, owners (when
 * permitted), timestamps and xattrs.  The directory with device @skip_dev
 * and inode @skip_ino (the image store, when it lies inside @src) is left
 * out, as are other filesystems mounted inside.  Stops at @deadline_usec
 * (monotonic; 0 for none) with G_IO_ERROR_TIMED_OUT, checked between
 * files.  On error nothing half-cloned is left behind. */
gboolean vss_clone_tree (const char *src, const char *dst, dev_t skip_dev, ino_t skip_ino,
                         gint64 deadline_usec, GError **error);

G_END_DECLS
