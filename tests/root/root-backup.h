/* root-backup.h — what the root tests share: a per-test environment,
 * a backup driven through the public API up to a finished snapshot set,
 * and a process that keeps appending numbered records to a file. */
#pragma once

#include <criterion/criterion.h>
#include <vss/vss.h>

#include "loopfs.h"
#include "vss-test.h"

G_BEGIN_DECLS

/* Skips the test (with the reason) when not root. */
#define ROOT_OR_SKIP()                                 \
  do {                                                 \
    const char *why_ = NULL;                           \
    if (!loopfs_can_run (&why_))                       \
      cr_skip_test ("%s", why_);                       \
  } while (0)

/* The environment of a root test: vss_test_setup_env() with
 * VSS_TEST_RECORD_DIR there too, and its removal (rb_cleanup first). */
char *rb_setup_env (void);
void  rb_teardown_env (char *tmpdir);

/* @parent/@name, made (0755) with its parents, or the test fails. */
char *rb_make_dir (const char *parent, const char *name);

/* A mounted filesystem of @type, or the test fails saying why; freed by
 * rb_cleanup. */
LoopFs *rb_loopfs (const char *type, guint size_mib);
/* Lazily unmounts everything mounted under @dir (read-only images a
 * failed test left), then frees the test's filesystems. */
void    rb_cleanup (const char *tmpdir);
void    rb_unmount_under (const char *dir);

/* A writer directory holding the pause writer, or an empty one. */
char *rb_writer_dir (const char *tmpdir, gboolean with_pause);

/* Runs a backup of @path (provider @provider, NULL for auto) in @context up
 * to a finished do_snapshot_set with @hold_ms as hold limit (0: default).
 * Returns the object (free it to end the backup) and the snapshot's
 * properties in @out_prop; on failure NULL and @error. */
VssBackupComponents *rb_snapshot (const char *writer_dir, const char *path, const char *provider,
                                  VssSnapshotContext context, guint hold_ms,
                                  VssSnapshotProp **out_prop, GError **error);

/* A child process appending "%08u\n" records to @file until killed. */
pid_t rb_start_appender (const char *file);
void  rb_stop_appender (pid_t pid);

/* Checks that @snap holds exactly the first @size bytes of @live, that
 * they are whole records 0, 1, 2 … and that there is at least one. */
void rb_assert_prefix (const char *snap, const char *live, gsize size);

/* Asserts a write into the directory @dir fails with EROFS or EACCES. */
void rb_assert_read_only (const char *dir);

G_END_DECLS
