/* vss-set-writer-private.h — the state of a VssBackupSetWriter, shared by
 * vss-backup-set-writer.c (life cycle, commit) and vss-set-add-files.c
 * (walking a file set into the set). */
#pragma once

#include "vss-backup-set-private.h"

#include <sys/stat.h>

G_BEGIN_DECLS

struct _VssBackupSetWriter {
  char *dir;              /* the final DIR */
  char *partial;          /* DIR.partial, where everything is written */
  int partial_fd;         /* open on DIR.partial, flock()ed while we write */
  VssManifest *manifest;
  GHashTable *seen;       /* "component-index\npath" of every entry */
  GHashTable *made_dirs;  /* directories created under DIR.partial */
  GHashTable *inodes;     /* "component-index\ndev:ino" of files with more
                           * than one link → index of their first entry + 1 */
  VssSetCopier *copier;
  char **excludes;        /* globs left out of the trees added next, or NULL */
  GPtrArray *exclude_files; /* a writer's exclude files (vss-set-exclude-files.c), or NULL */
  guint64 bytes;
  gboolean owns_partial;  /* we created DIR.partial: ours to remove */
  gboolean failed;        /* out of space: DIR.partial is gone */
  gboolean committed;
  gboolean move_files;    /* the trees added are the caller's to consume: move, not copy */
};

/* "component-index\npath", the key of VssBackupSetWriter.seen. */
char    *vss_set_entry_key (guint component, const char *path);
/* Is @err a "the disk is full" errno? */
gboolean vss_set_errno_is_full (int err);
/* VSS_ERROR_INSUFFICIENT_STORAGE naming the set and @path; removes
 * DIR.partial at once so nothing that looks like a set is left, and makes
 * every later call fail. */
gboolean vss_set_writer_out_of_space (VssBackupSetWriter *self, int err, const char *path,
                                      GError **error);
/* Creates the parent directories of @stored under DIR.partial. */
gboolean vss_set_writer_make_parents (VssBackupSetWriter *self, const char *stored,
                                      GError **error);
/* With move_files set and @sfd (entry @name of @dirfd, whose fstat is @st)
 * on the set's filesystem: hashes it, renames it to the entry's stored
 * place and sets *out_moved.  Otherwise (or when the rename is refused)
 * TRUE with *out_moved FALSE: the caller copies.  (vss-set-move.c) */
gboolean vss_set_writer_try_move (VssBackupSetWriter *self, VssSetEntry *e, int dirfd,
                                  const char *name, int sfd, const struct stat *st,
                                  gboolean *out_moved, GError **error);
/* Does an exclude file of the writer take the entry @original? */
gboolean vss_set_writer_is_excluded_file (const VssBackupSetWriter *self, const char *original);
/* FALSE with VSS_ERROR_BAD_STATE when the writer can take no more. */
gboolean vss_set_writer_check_usable (VssBackupSetWriter *self, GError **error);

G_END_DECLS
