/* vss-set-move.c — copy once: a file of a staged image the requester
 * owns (the copy provider's, vss_backup_components_take_snapshot_image)
 * is renamed into the set instead of copied again, when both are on one
 * filesystem.  Its SHA-256 is the one taken while it was staged when the
 * file is unchanged since (util/vss-hash-behind.c), else its data are read
 * once more for it (from the page cache: the staging copy just wrote them). */
#include "vss-set-writer-private.h"

#include "util/vss-hash-behind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

void
vss_backup_set_writer_set_move_files (VssBackupSetWriter *self, gboolean move)
{
  g_return_if_fail (self != NULL);
  self->move_files = move;
}

/* The stored file holds data only: the entry keeps the metadata, and a
 * capability or label on a file in the set would be one too many. */
static void
make_plain (int fd)
{
  char names[4096];
  ssize_t len = flistxattr (fd, names, sizeof names);
  for (char *name = names; len > 0 && name < names + len; name += strlen (name) + 1)
    fremovexattr (fd, name);
  if (fchown (fd, geteuid (), getegid ()) != 0)
    g_debug ("stored file keeps its owner: %s", g_strerror (errno));
  fchmod (fd, 0600);
}

gboolean
vss_set_writer_try_move (VssBackupSetWriter *self, VssSetEntry *e, int dirfd, const char *name,
                         int sfd, const struct stat *st, gboolean *out_moved, GError **error)
{
  *out_moved = FALSE;
  struct stat set_st;
  /* a file with another name in the image stays: that name, in another
   * component, must still find it with its owner and mode */
  if (!self->move_files || st->st_nlink != 1 || fstat (self->partial_fd, &set_st) != 0 ||
      set_st.st_dev != st->st_dev)
    return TRUE;
  VssSetCopyResult r = { "" };
  if (vss_hash_digests_take (sfd, r.sha256))
    r.copied = e->size;   /* hashed while it was staged, unchanged since */
  else if (!vss_set_copier_run (self->copier, sfd, -1, e->size, TRUE, &r))
    return vss_set_errno_error (error, r.err, "cannot read", name);
  guint64 hashed = r.copied;
  g_autofree char *stored = g_strdup_printf (VSS_SET_FILES "/%u%s", e->component, e->path);
  if (!vss_set_writer_make_parents (self, stored, error))
    return FALSE;
  if (renameat (dirfd, name, self->partial_fd, stored) != 0) {
    /* a read-only part of the image (a directory without write permission
     * for a non-root requester): copy that one */
    g_debug ("cannot move %s into the set (%s): copying it", e->path, g_strerror (errno));
    return TRUE;
  }
  make_plain (sfd);
  e->stored = g_steal_pointer (&stored);
  memcpy (e->sha256, r.sha256, sizeof e->sha256);
  e->sha256_tree = vss_digest_is_pieces (TRUE, hashed);
  e->size = hashed;
  self->bytes += hashed;
  *out_moved = TRUE;
  return TRUE;
}
