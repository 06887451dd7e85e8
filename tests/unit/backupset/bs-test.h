/* bs-test.h — what the backup-set tests share: a source tree with every
 * kind of entry and writing a set of it (comparing trees, writing a file
 * and setting times: vss-test.h). */
#pragma once

#include <glib.h>
#include <vss/vss.h>

#include "vss-test.h"

G_BEGIN_DECLS

/* The test's temp dir (vss_test_setup_env) and paths in it. */
extern char *bs_tmpdir;
void  bs_setup (void);
void  bs_teardown (void);
char *bs_path (const char *rel);

/* A source tree under @root: files of several modes (0600, 04755 when
 * root), a sparse file, an empty dir, a symlink, xattrs, ns mtimes. */
void bs_make_tree (const char *root);
/* A valid BCD text for commit. */
char *bs_bcd (void);
/* Writes a committed set of @src (component "path:" + @original) at @dir. */
char *bs_write_set (const char *dir, const char *component, const char *src,
                    const char *original, VssBackupType type, VssBackupSet *base);
/* A listing of every entry with its type, size, mode and mtime, to show a
 * tree was not touched. */
char *bs_snapshot_tree (const char *root);
/* Flips one byte of @path in place (keeps size and times). */
void bs_flip_byte (const char *path, gsize offset);
/* Rewrites the set's manifest with @edit applied to its text. */
void bs_edit_manifest (const char *dir, const char *from, const char *to);
/* Writes the closing line of a version 4 manifest again for its lines as
 * they are now (as someone editing it on purpose would); bs_edit_manifest
 * does, so an edit is seen by the checks it aims at. */
void bs_reseal_manifest (const char *dir);
/* Rewrites the manifest of lines of @dir as the one JSON document of
 * @version (1-3), as libvss wrote it before version 4 (the SHA-256 of
 * every file's bytes). */
void bs_manifest_to_document (const char *dir, int version);
/* The set's manifest as libvss wrote it before version 5: the SHA-256 of
 * every file's bytes (computed here), "version":4, resealed. */
void bs_manifest_to_version_4 (const char *dir);

G_END_DECLS
