/* vss-backup-set-private.h — what the files of libvss/backupset share: the
 * manifest model, the hashing copy, and the structs behind the public
 * VssBackupSetWriter and VssBackupSet handles.  docs/backup-set.md is the
 * format these describe. */
#pragma once

#include <json-c/json.h>
#include <vss/vss.h>
#include <vss/vss-backup-set.h>

#include "util/vss-sha256.h"

G_BEGIN_DECLS

/* The manifest format this libvss writes and the newest it reads; 2 added
 * base_manifest_sha256 and hard links (docs/backup-set.md). */
#define VSS_MANIFEST_VERSION 3
/* A manifest of 100k entries is ~40 MB; anything past this is refused
 * before parsing so a hostile set cannot exhaust memory. */
#define VSS_MANIFEST_MAX_BYTES (512 * 1024 * 1024)
/* Read/write block of the hashing copy. */
#define VSS_SET_COPY_CHUNK (1024 * 1024)

#define VSS_SET_MANIFEST "manifest.json"
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
} VssSetEntry;

typedef struct {
  char *set_id;
  char *base_id;            /* NULL for full/copy */
  char *base_manifest_sha256; /* SHA-256 of the base's manifest.json, or NULL */
  VssBackupType backup_type;
  gint64 created_usec;
  GPtrArray *components;    /* char* */
  GPtrArray *entries;       /* VssSetEntry */
  GHashTable *consistency;  /* component name → "freeze", "after-thaw" or "crash" (version 3) */
} VssManifest;

/* The values of the manifest's "consistency" member. */
gboolean vss_set_consistency_is_valid (const char *consistency);

/* ---- manifest (vss-set-manifest.c, vss-set-manifest-read.c) ---- */

VssManifest *vss_manifest_new (const char *set_id, const char *base_id, VssBackupType type);
void         vss_manifest_free (VssManifest *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VssManifest, vss_manifest_free)
VssSetEntry *vss_set_entry_new (guint component, const char *path, VssSetEntryType type);
void         vss_set_entry_free (VssSetEntry *self);
void         vss_set_xattr_free (VssSetXattr *self);
/* The index of @name, added when new. */
guint        vss_manifest_component_index (VssManifest *self, const char *name);
/* The manifest as JSON text, one entry per line; built entry by entry so
 * a large set never holds a json-c tree of every entry. */
GString     *vss_manifest_to_json (const VssManifest *self);
/* Parses and validates untrusted text: every path checked (absolute
 * originals, "files/…" stored paths, no "." / ".." / empty parts), every
 * field typed, messages naming the place ("entries[12].path: …"). */
VssManifest *vss_manifest_from_json (const char *text, gsize length, GError **error);

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

/* Copies @size bytes of @sfd to @dfd (@dfd may be -1: hash only), holes
 * kept as holes, and hashes the whole content.  On failure *out_errno is
 * the errno and *out_dst_side tells whether writing (vs reading) failed.
 * *out_copied is the number of bytes read (it may be smaller than @size
 * when the source shrank). */
gboolean vss_set_copier_run (VssSetCopier *self, int sfd, int dfd, guint64 size,
                             char out_sha256[65], guint64 *out_copied,
                             int *out_errno, gboolean *out_dst_side);

/* Reads the xattrs of the open file @fd (@fd < 0: of @path without
 * following it).  NULL and no error when there are none or the filesystem
 * has none. */
gboolean vss_set_read_xattrs (int fd, const char *path, GPtrArray **out, GError **error);

/* Sets an errno error in G_IO_ERROR: "@what @path: strerror". */
gboolean vss_set_errno_error (GError **error, int saved_errno, const char *what,
                              const char *path);

/* ---- the handles ---- */

struct _VssBackupSet {
  char *dir;
  int dirfd;
  VssManifest *manifest;
  char manifest_sha256[65];      /* of manifest.json as read */
  char *bcd;
  GHashTable *writer_metadata;   /* writer name → JSON text */
  GHashTable *by_path;           /* "component-index\npath" → VssSetEntry */
};

/* The entry of @component (a name) for @path, or NULL. */
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

G_END_DECLS
