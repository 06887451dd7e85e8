/* vss-backup-set.h — the on-disk backup set.
 *
 * A backup set is a directory:
 *   bcd.json        the final Backup Components Document
 *   writers/NAME.json  each writer's metadata at backup time
 *   files/…         the data, per component
 *   manifest.json   every entry: component, original path, stored path,
 *                   type, size, mode, owner, times, xattrs, SHA-256 —
 *                   one line each, read one at a time, so that memory
 *                   does not grow with the number of files
 * written so that an interrupted backup never looks complete: everything
 * goes to DIR.partial/, manifest.json last, fsync, then an atomic rename
 * to DIR.  A set without manifest.json, or still named DIR.partial, is not
 * a backup set.
 *
 * A set is untrusted input when read back: every path in it is checked
 * before anything is written, and every file's checksum before it is put
 * in place. */
#pragma once

#include <glib.h>
#include <vss/vss-types.h>

G_BEGIN_DECLS

typedef struct _VssBackupSetWriter VssBackupSetWriter;
typedef struct _VssBackupSet VssBackupSet;

/* Progress of a long operation: bytes done of bytes total (total may be 0
 * when unknown), and the path being worked on. */
typedef void (*VssBackupSetProgress) (guint64 done, guint64 total, const char *path,
                                      gpointer user_data);

/* The key under which a writer's component is stored in a set:
 * "WRITER/NAME" or "WRITER/LOGICAL/PATH/NAME"; a directory no writer owns
 * is "path:/abs".  A new string. */
char *vss_backup_set_component_key (const char *writer_name, const char *logical_path,
                                    const char *name);

/* ---- writing a set ---- */

/* Starts DIR.partial/.  Fails (VSS_ERROR_OBJECT_ALREADY_EXISTS) when DIR
 * exists; a stale DIR.partial/ from an interrupted run is removed first.
 * @base_id: for incremental/differential sets, the set id of the base
 * (read from its manifest); NULL for full/copy. */
VssBackupSetWriter *vss_backup_set_writer_new (const char *dir, VssBackupType type,
                                               const char *base_id, GError **error);

/* Copies into the set every entry under @snapshot_root that belongs to the
 * file set (@path, @filespec, @recursive) of @component ("writer/logical
 * path/name" or "path:/abs"), recording each under its original path:
 * original = @original_root + the entry's path below @snapshot_root.
 * @filespec is a glob ("*", "*.mdb"); @recursive descends.  For an
 * incremental/differential writer, only entries that differ from @base
 * (size, mtime, mode or owner) are stored; the others are recorded as
 * "in base".  Data are hashed while copied (one read). */
gboolean vss_backup_set_writer_add_files (VssBackupSetWriter *self,
                                          const char *component,
                                          const char *snapshot_root,
                                          const char *original_root,
                                          const char *filespec,
                                          gboolean recursive,
                                          VssBackupSet *base,
                                          VssBackupSetProgress progress,
                                          gpointer user_data,
                                          GError **error);

/* Leaves out of the trees added from now on every entry that matches one
 * of @patterns (NULL-terminated globs; NULL: none): a pattern with "/"
 * is matched against the path below the tree's root, one without against
 * each entry's name at any depth; a matching directory is left out with
 * everything in it.  For a requester's --exclude; writers' file sets
 * exclude with their metadata. */
void vss_backup_set_writer_set_excludes (VssBackupSetWriter *self, const char *const *patterns);

/* From now on (until called with FALSE) the regular files of the trees
 * added are moved (renamed) into the set rather than copied, when they
 * are on the set's filesystem: only for an image the caller owns and
 * throws away afterwards (vss_backup_components_take_snapshot_image).
 * Their data are still read once, for the hash; a file that cannot be
 * renamed is copied.  Two file sets must not read the same image files
 * while this is on: the second would find them gone. */
void vss_backup_set_writer_set_move_files (VssBackupSetWriter *self, gboolean move);

/* Records how @component's data were read, in the manifest's
 * "consistency" member (docs/backup-set.md): "freeze" (from a snapshot
 * taken inside the writers' freeze), "after-thaw" (from its own snapshot,
 * taken once the writers thawed) or "crash" (no snapshot: read from the
 * live tree file by file).  For a requester's --path trees; VSS_ERROR_INVALID_ARG
 * for another value. */
gboolean vss_backup_set_writer_set_consistency (VssBackupSetWriter *self, const char *component,
                                                const char *consistency, GError **error);
/* What vss_backup_set_writer_set_consistency recorded for @component, or
 * NULL (a writer's component, or a set made before version 3). */
const char *vss_backup_set_get_consistency (const VssBackupSet *self, const char *component);

/* A writer's exclude file (vss_writer_metadata_get_exclude_file): from now
 * on, an entry whose name matches @filespec directly in the directory
 * @path (absolute, as recorded) — or, @recursive, in any directory below
 * it — is left out of the file sets added, a directory with all it
 * holds.  Matched on original paths.  Clear them between writers. */
void vss_backup_set_writer_add_exclude_file (VssBackupSetWriter *self, const char *path,
                                             const char *filespec, gboolean recursive);
void vss_backup_set_writer_clear_exclude_files (VssBackupSetWriter *self);

/* Adds exactly @size bytes read from @fd (a writer image's socket, read to
 * its end) as the regular file @original of @component, with the live
 * file's mode, owner and times.  A stream that ends early, goes on past
 * @size or fails to read adds nothing and fails (VSS_ERROR_UNEXPECTED). */
gboolean vss_backup_set_writer_add_stream (VssBackupSetWriter *self,
                                           const char *component, int fd, guint64 size,
                                           const char *original, GError **error);

/* Adds the one regular file @source as the entry @original of @component
 * (its parent directories are not recorded): data a writer provides after
 * the snapshot (vss_component_add_post_snapshot_file), read from the live
 * filesystem.  Added before the component's file sets, it stands for the
 * snapshot's copy of the same path, which is then not added. */
gboolean vss_backup_set_writer_add_file (VssBackupSetWriter *self,
                                         const char *component,
                                         const char *source,
                                         const char *original,
                                         VssBackupSet *base,
                                         GError **error);

/* Stores writers/@writer_name.json. */
gboolean vss_backup_set_writer_add_writer_metadata (VssBackupSetWriter *self,
                                                    const char *writer_name,
                                                    const char *metadata_json,
                                                    GError **error);

/* Writes bcd.json and manifest.json (last), fsyncs everything and renames
 * DIR.partial to DIR.  After this the writer only frees. */
gboolean vss_backup_set_writer_commit (VssBackupSetWriter *self, const char *bcd_json,
                                       GError **error);

/* Frees; an uncommitted set's DIR.partial/ is removed. */
void vss_backup_set_writer_free (VssBackupSetWriter *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssBackupSetWriter, vss_backup_set_writer_free)

/* Bytes and entries stored so far. */
guint64 vss_backup_set_writer_get_bytes (const VssBackupSetWriter *self);
guint   vss_backup_set_writer_get_entries (const VssBackupSetWriter *self);

/* ---- reading a set ---- */

/* Opens and validates a committed set (manifest and bcd present and
 * well-formed, every stored path inside the set).  A .partial directory or
 * a set without manifest is refused with a message saying it is
 * incomplete.  Errors: VSS_ERROR_INVALID_DOCUMENT, VSS_ERROR_OBJECT_NOT_FOUND. */
VssBackupSet *vss_backup_set_open (const char *dir, GError **error);
void          vss_backup_set_free (VssBackupSet *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssBackupSet, vss_backup_set_free)

const char   *vss_backup_set_get_id (const VssBackupSet *self);       /* a UUID */
const char   *vss_backup_set_get_dir (const VssBackupSet *self);      /* as opened */
/* SHA-256 (64 hex digits) of manifest.json as read at open: what a
 * catalog or a cluster manifest records to know the set again. */
const char   *vss_backup_set_get_manifest_sha256 (const VssBackupSet *self);
const char   *vss_backup_set_get_base_id (const VssBackupSet *self);  /* NULL for full/copy */
VssBackupType vss_backup_set_get_backup_type (const VssBackupSet *self);
gint64        vss_backup_set_get_created_usec (const VssBackupSet *self);
/* bcd.json as text (borrowed). */
const char   *vss_backup_set_get_bcd (const VssBackupSet *self);
/* writers/NAME.json as text, or NULL (borrowed). */
const char   *vss_backup_set_get_writer_metadata (const VssBackupSet *self, const char *writer_name);
/* The component names present in the manifest, in order: a new array of
 * borrowed strings (g_ptr_array_unref it). */
GPtrArray    *vss_backup_set_list_components (const VssBackupSet *self);

/* One entry of a set's manifest, borrowed for the length of a call. */
typedef struct {
  const char *component;
  const char *path;        /* the original absolute path */
  const char *type;        /* "file", "dir" or "symlink" */
  const char *stored;      /* files: "files/…" in the set, or NULL */
  const char *in_base;     /* files: the id of the set of the chain holding the data, or NULL */
  const char *hardlink;    /* files: the path of an earlier entry of the component
                            * this one is a hard link to, or NULL */
  const char *target;      /* symlinks */
  const char *sha256;      /* files: 64 hex digits; NULL otherwise */
  guint64 size;
  guint mode;              /* permission bits */
  guint uid, gid;
  gint64 mtime_nsec;
  gboolean sha256_tree;    /* files: @sha256 is not the SHA-256 of the bytes but of
                            * the SHA-256s of each 4 MiB piece (files above 4 MiB in
                            * sets since manifest version 5; docs/backup-set.md) */
} VssBackupSetEntry;

/* The digest of the data open as @fd (from its start to its end) in the
 * form an entry records it: with @sha256_tree as the entry's, to compare
 * with its @sha256.  FALSE with @error when @fd cannot be read. */
gboolean      vss_backup_set_digest_fd (int fd, gboolean sha256_tree, char out[65],
                                        GError **error);

/* Return FALSE to stop. */
typedef gboolean (*VssBackupSetEntryFunc) (const VssBackupSetEntry *entry, gpointer user_data);

/* Calls @func for every entry, in manifest order, one at a time (the
 * entries are read from the manifest as they are handed over, not held).
 * FALSE with an error when the manifest cannot be read. */
gboolean      vss_backup_set_foreach_entry (VssBackupSet *self, VssBackupSetEntryFunc func,
                                            gpointer user_data, GError **error);
/* Calls @func with the entry of @component for @path and returns TRUE;
 * FALSE when the set has none. */
gboolean      vss_backup_set_find_entry (VssBackupSet *self, const char *component,
                                         const char *path, VssBackupSetEntryFunc func,
                                         gpointer user_data);

/* Checks that @chain (the sets from the full backup up to, not including,
 * @self, oldest first) leads to @self: the first has no base, each set's
 * base id is the id of the set before it, and (sets of manifest version
 * 2) that set's manifest is the one its successor recorded.  TRUE at once
 * for a set without base.  VSS_ERROR_OBJECT_NOT_FOUND naming the broken
 * link; VSS_ERROR_INVALID_DOCUMENT for a base replaced under its id. */
gboolean      vss_backup_set_check_chain (VssBackupSet *self, GPtrArray *chain, GError **error);

/* Finds the sets @self builds on in the directory that holds it, by id,
 * and checks the chain (vss_backup_set_check_chain).  *out_chain: a new
 * array of VssBackupSet, the full set first, not including @self (empty
 * for a full or copy set); g_ptr_array_unref frees the sets too.
 * VSS_ERROR_OBJECT_NOT_FOUND naming a missing set,
 * VSS_ERROR_INVALID_DOCUMENT for a chain that loops,
 * VSS_ERROR_OBJECT_ALREADY_EXISTS for two copies of one set. */
gboolean      vss_backup_set_find_chain (VssBackupSet *self, GPtrArray **out_chain, GError **error);

typedef enum {
  VSS_VERIFY_MISSING,     /* in the manifest, not in the set */
  VSS_VERIFY_CHANGED,     /* size or checksum differs */
  VSS_VERIFY_EXTRA,       /* in the set, not in the manifest */
  VSS_VERIFY_CHAIN,       /* a base is missing, replaced, or the chain loops */
  VSS_VERIFY_REFUSED,     /* a restore would refuse it: an entry outside its
                           * component's file sets, through a symlink entry,
                           * twice, an in-base entry without data, no component */
} VssVerifyProblem;

/* @stored_path: where the problem is: a path in the set ("files/…",
 * "manifest.json"), a component name for VSS_VERIFY_REFUSED; problems of
 * a base set start with that set's directory. */
typedef void (*VssBackupSetVerifyFunc) (VssVerifyProblem problem, const char *stored_path,
                                        const char *detail, gpointer user_data);

/* Checks that the set can be restored, and reports every problem through
 * @report; TRUE when there was none.  The chain is found next to the set
 * (vss_backup_set_find_chain) and every set of it is verified too: each
 * base present under its id with the manifest its successor recorded,
 * every restore plan check on each set's own content, every stored file
 * re-read and compared (size before any read, then SHA-256), no file
 * under files/ that the manifest does not list.  FALSE with
 * VSS_ERROR_INVALID_DOCUMENT ("… has N problems") otherwise. */
gboolean vss_backup_set_verify (VssBackupSet *self, VssBackupSetVerifyFunc report,
                                gpointer user_data, VssBackupSetProgress progress,
                                gpointer progress_data, GError **error);

/* How restore_component treats a file that exists at the target. */
typedef enum {
  VSS_RESTORE_REPLACE,          /* put the backed-up file in place */
  VSS_RESTORE_IF_NOT_THERE,     /* leave an existing file alone */
} VssRestoreExisting;

/* Puts the entries of @component back, files only: no writer is asked.
 * A writer's component (any but "path:…") is therefore refused
 * (VSS_ERROR_ACCESS_DENIED) in place — @root NULL or "/" — where only a
 * restore job (vss-restore-job.h), which runs the writer's pre_restore
 * and honours its answer, may write it.  Each entry's original path is
 * rewritten by the first matching prefix in @mappings (pairs OLD, NEW,
 * NULL-terminated; may be NULL), then placed under @root (NULL: "/").
 * Before anything is written, every target is checked: an entry outside
 * the component's file sets recorded in the set ("path:/abs" covers /abs;
 * a writer's component what writers/NAME.json declares), a stored or
 * original path that is absolute where it must be relative, contains "..",
 * or would pass through a symlink (also one placed earlier in the same
 * restore) is refused (VSS_ERROR_ACCESS_DENIED naming it); each stored
 * file's size is compared (fstat) before its data are hashed.  Temp files
 * ".NAME.vss-XXXXXXXX" a killed run of this restore left beside its
 * targets are removed; hard links come back as links.  Each file is
 * written beside its target, its SHA-256 checked against the manifest,
 * fsynced and renamed into place: a mismatch stops the component
 * (VSS_ERROR_INVALID_DOCUMENT naming the file) and leaves the target
 * untouched.  Modes, owners (as root), times and xattrs are restored.
 * @chain: the sets from the full base up to (not including) @self for an
 * incremental/differential restore, oldest first; NULL otherwise.
 * *out_restored counts the entries written. */
gboolean vss_backup_set_restore_component (VssBackupSet *self, GPtrArray *chain,
                                           const char *component, const char *root,
                                           const char *const *mappings,
                                           VssRestoreExisting existing,
                                           VssBackupSetProgress progress, gpointer user_data,
                                           guint *out_restored, GError **error);

G_END_DECLS
