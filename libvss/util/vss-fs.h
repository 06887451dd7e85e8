/* vss-fs.h — careful file operations used across libvss. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Copy the tree at @src to @dst (which must not exist): regular files
 * (copy_file_range, sparse holes kept), directories, symlinks (not
 * followed), modes, owners (when permitted), timestamps and xattrs.
 * Stops at @deadline_usec (monotonic; 0 for none) with
 * G_IO_ERROR_TIMED_OUT.  On error nothing half-copied is left behind. */
gboolean vss_fs_copy_tree (const char *src, const char *dst, gint64 deadline_usec, GError **error);

/* How vss_fs_copy_tree_full copies. */
typedef struct {
  gint64 deadline_usec;       /* monotonic; 0 for none */
  gboolean clone_only;        /* FICLONE each file (never a byte copy: a file that cannot be
                               * cloned is an error) */
  gboolean stay_on_device;    /* a directory on another device than @src shows up empty */
  dev_t skip_dev;             /* with skip_ino != 0: a directory left out (shows up empty) */
  ino_t skip_ino;
  gboolean remember_digests;  /* hash large files while copying them, for vss_hash_digests_take
                               * (a staged image that will be moved into a backup set) */
  gboolean write_behind;      /* start writing each chunk out as soon as it is copied, and
                               * wait for the one before: little dirty data at any time */
} VssFsCopyOptions;

gboolean vss_fs_copy_tree_full (const char *src, const char *dst, const VssFsCopyOptions *options,
                                GError **error);

/* The xattrs, owner (when permitted), mode and times of @src (whose lstat
 * is @st) onto @dst, as vss_fs_copy_tree does them; for other tree walkers
 * (the reflink provider's clone). */
struct stat;
gboolean vss_fs_copy_metadata (const struct stat *st, const char *src, const char *dst,
                               GError **error);

/* Write-behind for a file written in order: starts writing out
 * [@offset, @offset + @length), just written, and waits for what was
 * written well before it (from *@flushed on, *@flushed starts at 0), so a
 * large copy leaves only its last few MiB dirty and no flush of everything
 * at the end queues an application's own writes behind it. */
void vss_fs_write_behind (int fd, off_t offset, off_t length, off_t *flushed);
/* Files from this size on are hashed behind and written behind by the
 * copies; smaller ones cost more in thread hand-offs and single small
 * writes than re-reading them and one flush at the end. */
#define VSS_FS_LARGE_FILE (1024 * 1024)

/* Copies up to @length bytes of @sfd from @src_offset to @dfd at
 * @dst_offset, with copy_file_range while *@use_cfr (start it TRUE; it
 * turns FALSE where the kernel refuses, for pread/pwrite); the bytes
 * copied (0 at the source's end), or -1 with errno. */
gssize vss_fs_copy_range (int sfd, off_t src_offset, int dfd, off_t dst_offset, gsize length,
                          gboolean *use_cfr);

/* Remove a tree (no symlink is followed); a missing @path is success. */
gboolean vss_fs_remove_tree (const char *path, GError **error);

/* Total size in bytes of the regular files under @path. */
gboolean vss_fs_tree_size (const char *path, guint64 *out_bytes, GError **error);
/* The bytes the regular files under @path take on disk (allocated blocks:
 * holes count for nothing), which is what a hole-keeping copy writes. */
gboolean vss_fs_tree_allocated (const char *path, guint64 *out_bytes, GError **error);

/* Write @contents to @path atomically: a temp file beside it, fsync,
 * rename, fsync of the directory. */
/* write(2) until all is written (EINTR retried); FALSE with errno. */
gboolean vss_fs_write_all (int fd, const char *contents, gsize length);
gboolean vss_fs_write_atomic (const char *path, const char *contents, gsize length,
                              int mode, GError **error);

/* The filesystem type name of @path ("btrfs", "xfs", "ext4", "tmpfs" …). */
char *vss_fs_type_name (const char *path);

G_END_DECLS
