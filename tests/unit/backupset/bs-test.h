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

G_END_DECLS
