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
  VssManifest *manifest;  /* the header; the entries are in manifest.entries */
  int entries_fd;         /* DIR.partial/manifest.entries (vss-set-manifest-write.c) */
  GString *entries_buf;   /* entry lines not written yet */
  guint64 entries_flushed; /* bytes of entries_fd */
  guint n_entries;
  int entries_errno;      /* the first failed write of entries_fd, or 0 */
  GPtrArray *roots;       /* VssSetWriterRoot: the trees added so far */
  GHashTable *overlap;    /* paths recorded before under the tree being added,
                           * when it overlaps an earlier one; else NULL */
  GHashTable *made_dirs;  /* directories created under DIR.partial */
  GHashTable *inodes;     /* "component-index\ndev:ino" of files with more
                           * than one link → VssSetWriterInode of their first entry */
  VssSetCopier *copier;
  char **excludes;        /* globs left out of the trees added next, or NULL */
  GPtrArray *exclude_files; /* a writer's exclude files (vss-set-exclude-files.c), or NULL */
  guint64 bytes;
  gboolean owns_partial;  /* we created DIR.partial: ours to remove */
  gboolean failed;        /* out of space: DIR.partial is gone */
  gboolean committed;
  gboolean move_files;    /* the trees added are the caller's to consume: move, not copy */
};

/* A tree added to a component: an entry seen again below one of them is
 * an overlapping file set's. */
typedef struct {
  guint component;
  char *path;
} VssSetWriterRoot;
void vss_set_writer_root_free (VssSetWriterRoot *self);

/* The first entry of a multiply linked inode: what its hard links copy. */
typedef struct {
  char *path;
  guint64 size;
  char sha256[65];
  gboolean sha256_tree;
  guint entry;            /* its number: entries rolled back take it along */
} VssSetWriterInode;
void vss_set_writer_inode_free (VssSetWriterInode *self);

/* ---- the entries (vss-set-manifest-write.c) ---- */

gboolean vss_set_writer_open_entries (VssBackupSetWriter *self, GError **error);
/* Appends @e's line unless an earlier tree recorded its path
 * (overlapping file sets); takes @e. */
void     vss_set_writer_record_entry (VssBackupSetWriter *self, VssSetEntry *e);
gboolean vss_set_writer_has_entry (const VssBackupSetWriter *self, guint component,
                                   const char *path);
/* Before a tree of @component at @root is added: the paths an earlier
 * tree of the component recorded under it, when one overlaps it. */
void     vss_set_writer_begin_tree (VssBackupSetWriter *self, guint component, const char *root);
/* After a tree of @component at @path was added. */
void     vss_set_writer_add_root (VssBackupSetWriter *self, guint component, const char *path);
/* A failed write of the entries, as an error (out of space abandons). */
gboolean vss_set_writer_check_entries (VssBackupSetWriter *self, GError **error);
typedef struct {
  guint64 offset;
  guint entries;
  guint roots;
} VssSetWriterMark;
VssSetWriterMark vss_set_writer_mark (const VssBackupSetWriter *self);
/* Takes back the entries recorded since @mark and their stored data. */
void     vss_set_writer_roll_back_to (VssBackupSetWriter *self, VssSetWriterMark mark);
/* manifest.json: header, the entries, the closing line; fsynced. */
gboolean vss_set_writer_write_manifest (VssBackupSetWriter *self, GError **error);
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
