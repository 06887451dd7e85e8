/* vss-backup-set-private.h — what the files of libvss/backupset share: the
 * manifest model, the hashing copy, and the structs behind the public
 * VssBackupSetWriter and VssBackupSet handles.  docs/backup-set.md is the
 * format these describe. */
#pragma once

#include <json-c/json.h>
#include <vss/vss.h>
#include <vss/vss-backup-set.h>

#include "util/vss-digest.h"

G_BEGIN_DECLS

/* The manifest format this libvss writes and the newest it reads; 2 added
 * base_manifest_sha256 and hard links, 3 "consistency", 4 made it lines
 * (a header, one entry each, a closing line) read one at a time, 5 the
 * piece digest of files above 4 MiB ("sha256_tree", util/vss-digest.h)
 * (docs/backup-set.md). */
#define VSS_MANIFEST_VERSION 5
/* Versions 1-3 are one JSON document, parsed whole: one of 100k entries
 * is ~40 MB; anything past this is refused before parsing so a hostile
 * set cannot exhaust memory.  Version 4 has no total limit. */
#define VSS_MANIFEST_MAX_BYTES (512 * 1024 * 1024)
/* The longest line of a version 4 manifest: an entry with paths of 4 KiB
 * and its xattrs (64 KiB each, base64). */
#define VSS_MANIFEST_MAX_LINE (16 * 1024 * 1024)
/* Read/write block of the hashing copy. */
#define VSS_SET_COPY_CHUNK (1024 * 1024)

#define VSS_SET_MANIFEST "manifest.json"
/* The entries a writer has recorded so far, in DIR.partial until the
 * commit puts them into manifest.json. */
#define VSS_SET_MANIFEST_ENTRIES "manifest.entries"
#define VSS_SET_BCD "bcd.json"
#define VSS_SET_WRITERS "writers"
#define VSS_SET_FILES "files"
#define VSS_SET_PARTIAL_SUFFIX ".partial"

typedef enum {
  VSS_SET_ENTRY_FILE,
  VSS_SET_ENTRY_DIR,
  VSS_SET_ENTRY_SYMLINK,
} VssSetEntryType;

typedef struct {
  char *name;
  GBytes *value;
} VssSetXattr;

typedef struct {
  guint component;          /* index into VssManifest.components */
  char *path;               /* original absolute path */
  char *stored;             /* "files/…" inside the set, NULL when in_base */
  char *in_base;            /* id of the set holding the data, or NULL */
  char *hardlink;           /* files: the path of an earlier entry of the same
                             * component this one is a hard link to, or NULL */
  VssSetEntryType type;
  guint64 size;             /* files only; 0 otherwise */
  guint32 mode;             /* permission bits (07777) */
  guint32 uid, gid;
  gint64 mtime_nsec;
  gint64 atime_nsec;
  gboolean has_atime;
  char *target;             /* symlinks only */
  GPtrArray *xattrs;        /* VssSetXattr, or NULL for none */
  char sha256[65];          /* lower-case hex; "" when not a file */
  gboolean sha256_tree;     /* @sha256 is the piece digest (util/vss-digest.h) */
} VssSetEntry;

typedef struct {
  char *set_id;
  char *base_id;            /* NULL for full/copy */
  char *base_manifest_sha256; /* SHA-256 of the base's manifest.json, or NULL */
  VssBackupType backup_type;
  gint64 created_usec;
  GPtrArray *components;    /* char* */
  GPtrArray *entries;       /* VssSetEntry: only while a version 1-3 document
                             * is loaded; version 4 entries are streamed */
  GHashTable *consistency;  /* component name → "freeze", "after-thaw" or "crash" (version 3) */
  gint64 version;           /* as read; VSS_MANIFEST_VERSION for a new one */
} VssManifest;

/* The values of the manifest's "consistency" member. */
gboolean vss_set_consistency_is_valid (const char *consistency);

/* ---- manifest (vss-set-manifest.c, vss-set-manifest-read.c) ---- */

VssManifest *vss_manifest_new (const char *set_id, const char *base_id, VssBackupType type);
void         vss_manifest_free (VssManifest *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssManifest, vss_manifest_free)
VssSetEntry *vss_set_entry_new (guint component, const char *path, VssSetEntryType type);
void         vss_set_entry_free (VssSetEntry *self);
/* Do two file entries name the same data: size and digest? */
gboolean     vss_set_entry_same_data (const VssSetEntry *a, const VssSetEntry *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSetEntry, vss_set_entry_free)
void         vss_set_xattr_free (VssSetXattr *self);
/* The index of @name, added when new. */
guint        vss_manifest_component_index (VssManifest *self, const char *name);
/* The lines of a version 4 manifest, each appended to @out with its
 * "\n": the header (written last, put first), one entry, and the closing
 * line with the number of entries and the SHA-256 of every byte before
 * it (64 hex digits). */
void         vss_manifest_append_header (const VssManifest *self, GString *out);
void         vss_manifest_append_entry (const VssManifest *self, const VssSetEntry *e,
                                        GString *out);
void         vss_manifest_append_end (guint64 entries, const char *sha256, GString *out);
/* Parses and validates an untrusted version 1-3 document: every path
 * checked (absolute originals, "files/…" stored paths, no "." / ".." /
 * empty parts), every field typed, messages naming the place
 * ("entries[12].path: …"). */
VssManifest *vss_manifest_from_json (const char *text, gsize length, GError **error);

/* The same checks, line by line (version 4; @where is "line N").  The
 * header: NULL and no error when @line is not one JSON object (then it is
 * the start of a version 1-3 document). */
VssManifest *vss_manifest_parse_header (const char *line, gsize length, GError **error);
VssSetEntry *vss_manifest_parse_entry (const char *line, gsize length, const char *where,
                                       const VssManifest *m, GHashTable *component_index,
                                       GError **error);
/* Is @line the closing line?  Then *out_entries and @out_sha256 (65
 * bytes) are what it says; FALSE with an error when it is malformed. */
gboolean     vss_manifest_parse_end (const char *line, gsize length, const char *where,
                                     gboolean *out_is_end, guint64 *out_entries,
                                     char out_sha256[65], GError **error);

/* NULL when @path is absolute and clean (no empty, "." or ".." part),
 * else what is wrong with it. */
const char  *vss_set_check_absolute (const char *path);
/* NULL when @path is relative and clean, else what is wrong with it. */
const char  *vss_set_check_relative (const char *path);

/* ---- hashing and copying (vss-set-copy.c) ---- */

/* A reusable copy buffer and hasher. */
typedef struct _VssSetCopier VssSetCopier;
VssSetCopier *vss_set_copier_new (void);
void          vss_set_copier_free (VssSetCopier *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSetCopier, vss_set_copier_free)
/* Called as bytes move within one file (after each chunk, holes
 * included) with the bytes of that file done so far: progress inside a
 * large file.  NULL: none. */
typedef void (*VssSetCopierTick) (guint64 file_done, gpointer user_data);
void          vss_set_copier_set_tick (VssSetCopier *self, VssSetCopierTick tick, gpointer user_data);

typedef struct {
  char sha256[65];      /* the digest */
  gboolean sha256_tree; /* it is the piece digest (util/vss-digest.h) */
  guint64 copied;       /* bytes read: fewer than asked when the source shrank */
  int err;              /* on failure: the errno */
  gboolean dst_side;    /* on failure: writing (vs reading) failed */
} VssSetCopyResult;

/* Copies @size bytes of @sfd to @dfd (@dfd may be -1: hash only), holes
 * kept as holes, and hashes the whole content: by pieces above one piece
 * when @pieces (a version-5 entry), else the plain SHA-256. */
gboolean vss_set_copier_run (VssSetCopier *self, int sfd, int dfd, guint64 size,
                             gboolean pieces, VssSetCopyResult *out);

/* Reads the xattrs of the open file @fd (@fd < 0: of @path without
 * following it).  NULL and no error when there are none or the filesystem
 * has none. */
gboolean vss_set_read_xattrs (int fd, const char *path, GPtrArray **out, GError **error);

/* Sets an errno error in G_IO_ERROR: "@what @path: strerror". */
gboolean vss_set_errno_error (GError **error, int saved_errno, const char *what,
                              const char *path);

/* ---- the handles ---- */

/* A hash of (component, path) and where its line is, instead of the
 * entry; a lookup reads the line again. */
typedef struct {
  guint64 hash;
  guint64 offset;
} VssManifestSlot;

/* ---- a sorted table of slots kept out of memory (vss-set-slot-table.c) ---- */

typedef struct _VssSlotTable VssSlotTable;
VssSlotTable *vss_slot_table_new (void);
void          vss_slot_table_free (VssSlotTable *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssSlotTable, vss_slot_table_free)
gboolean      vss_slot_table_add (VssSlotTable *self, guint64 hash, guint64 offset, GError **error);
/* Two slots with one hash, met while sorting: FALSE (with an error) stops. */
typedef gboolean (*VssSlotDupFunc) (guint64 offset_a, guint64 offset_b, gpointer user_data,
                                    GError **error);
/* Sorts what was added; @dup (may be NULL) for each pair of equal hashes. */
gboolean      vss_slot_table_finish (VssSlotTable *self, VssSlotDupFunc dup, gpointer user_data,
                                     GError **error);
/* FALSE stops. */
typedef gboolean (*VssSlotFunc) (guint64 offset, gpointer user_data);
/* @func for the offset of each slot of @hash, in order. */
void          vss_slot_table_find (const VssSlotTable *self, guint64 hash, VssSlotFunc func,
                                   gpointer user_data);

struct _VssBackupSet {
  char *dir;
  int dirfd;
  VssManifest *manifest;         /* the header: ids, type, components (no entries) */
  char manifest_sha256[65];      /* of manifest.json as read */
  char *bcd;
  GHashTable *writer_metadata;   /* writer name → JSON text */
  GHashTable *component_index;   /* component name → its index (GUINT_TO_POINTER) */
  int entries_fd;                /* manifest.json; for a version 1-3 set, a memfd with
                                  * its entries as version 4 lines */
  guint64 entries_start;         /* the bytes of the entry lines in entries_fd */
  guint64 entries_end;
  guint first_line;              /* the line number of the first entry */
  guint64 n_entries;
  VssSlotTable *index;           /* the lookup table (vss-set-manifest-index.c) */
};

/* ---- reading the entries (vss-set-manifest-stream.c) ---- */

/* Reads manifest.json from @fd (a version 4 one line by line, an older
 * one whole, then kept as lines in a memfd) and checks every entry once:
 * each valid, no path twice in a component, each hard link naming an
 * earlier file with data, the closing line's count and SHA-256.  Builds
 * the lookup table.  Errors name the line. */
gboolean vss_backup_set_load_manifest (VssBackupSet *set, int fd, GError **error);

/* One entry after the other, in manifest order, without holding them. */
typedef struct _VssManifestReader VssManifestReader;
VssManifestReader *vss_manifest_reader_new (const VssBackupSet *set);
/* *out: the next entry (valid until the next call) or NULL at the end. */
gboolean vss_manifest_reader_next (VssManifestReader *self, const VssSetEntry **out,
                                   GError **error);
/* The entry last returned, now the caller's. */
VssSetEntry *vss_manifest_reader_steal (VssManifestReader *self);
void     vss_manifest_reader_free (VssManifestReader *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssManifestReader, vss_manifest_reader_free)

/* The entry whose line starts at @offset of set->entries_fd (a new one). */
VssSetEntry *vss_backup_set_read_entry_at (const VssBackupSet *set, guint64 offset,
                                           GError **error);

/* ---- the lookup table (vss-set-manifest-index.c) ---- */


guint64  vss_manifest_key_hash (guint component, const char *path);
/* Sorts set->index and refuses a path listed twice in a component. */
gboolean vss_manifest_index_finish (VssBackupSet *set, GError **error);
/* The offset of the entry of @component (an index) for @path, or -1;
 * @out_entry (may be NULL): that entry, a new one. */
gint64   vss_manifest_index_find (const VssBackupSet *set, guint component, const char *path,
                                  VssSetEntry **out_entry);

/* The entry of @component (a name) for @path, or NULL (a new one:
 * vss_set_entry_free it). */
VssSetEntry *vss_backup_set_lookup (const VssBackupSet *self, const char *component,
                                    const char *path);
/* vss_backup_set_restore_component without its writer check: for the
 * restore job, which has asked the writer (pre_restore) first. */
gboolean vss_backup_set_restore_files (VssBackupSet *self, GPtrArray *chain, const char *component,
                                       const char *root, const char *const *mappings,
                                       VssRestoreExisting existing, VssBackupSetProgress progress,
                                       gpointer user_data, guint *out_restored, GError **error);
/* Is @name usable as writers/NAME.json? */
gboolean     vss_set_writer_name_ok (const char *name);

/* Where an uncommitted set's data are, files/<N>/<original path> under
 * DIR.partial: for a caller that takes the files over instead of
 * committing the set (the images staged for restic, jobs/). */
char *vss_backup_set_writer_files_dir (const VssBackupSetWriter *self);

G_END_DECLS
