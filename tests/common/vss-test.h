/* vss-test.h — what the tests share: a private environment per test and
 * writer directories holding just the test writers a test wants. */
#pragma once

#include <glib.h>
#include <time.h>

G_BEGIN_DECLS

/* A fresh temp dir with config/, state/ and runtime/ inside, and the
 * VSS_CONFIG_DIR, VSS_STATE_DIR and VSS_RUNTIME_DIR variables pointing
 * there, so a test never touches the machine's own directories. */
char *vss_test_setup_env (void);
/* Removes what vss_test_setup_env made. */
void  vss_test_teardown_env (char *tmpdir);

/* The fixture of most suites: `static char *tmpdir`, and the functions
 * @init and @fini (name them as the suite's .init and .fini) that give each
 * test a fresh environment (vss_test_setup_env) and remove it after:
 *   VSS_TEST_ENV_FIXTURE (setup, teardown);
 *   TestSuite (fs, .init = setup, .fini = teardown); */
#define VSS_TEST_ENV_FIXTURE(init, fini) \
  VSS_TEST_TMPDIR_FIXTURE (init, fini, vss_test_setup_env, vss_test_teardown_env)
/* The same with other functions to make (char *(void)) and remove
 * (void (char *)) the environment, for suites that need more in it. */
#define VSS_TEST_TMPDIR_FIXTURE(init, fini, make, remove)        \
  static char *tmpdir;                                           \
  static void init (void) { tmpdir = make (); }                  \
  static void fini (void) { remove (g_steal_pointer (&tmpdir)); }

/* A directory under @tmpdir holding copies (mode 0644) of the named test
 * writer modules ("recorder", "veto", "hang", "slow-3" …), NULL-terminated;
 * the result is meant for VSS_WRITER_PATH or set_writer_path(). */
char *vss_test_writer_dir (const char *tmpdir, const char *first_module, ...) G_GNUC_NULL_TERMINATED;

/* The build path of a test writer module by short name. */
char *vss_test_writer_module_path (const char *name);

/* Reads a whole file; NULL when missing. */
char *vss_test_read_file (const char *path);
/* The SHA-256 of a file's bytes (GChecksum: independent of libvss's own). */
char *vss_test_sha256_of_file (const char *path);
/* @size deterministic, non-repeating bytes (xorshift from @seed). */
guint8 *vss_test_pattern (gsize size, guint seed);
/* A file's digest as a version-5 set records it: the SHA-256 up to 4 MiB,
 * beyond it the SHA-256 of its 4 MiB pieces' SHA-256s (GChecksum too). */
char *vss_test_digest_of_file (const char *path);

/* Writes @contents to @path and gives it @mode, or the test fails. */
void vss_test_put_file (const char *path, const char *contents, int mode);
/* Sets the atime and mtime of @path (not following a symlink). */
void vss_test_set_mtime (const char *path, time_t sec, long nsec);
/* Do the files @a and @b hold the same bytes? */
gboolean vss_test_same_contents (const char *a, const char *b);
/* Asserts type, mode, owner, size, mtime (ns), contents, link targets and
 * user.* xattrs of every entry are the same under @a and @b, recursively,
 * without following symlinks. */
void vss_test_assert_same_tree (const char *a, const char *b);

/* Runs @body in a forked child that is nobody (uid and gid 65534) with
 * only the capabilities @caps (VSS_TEST_CAP (CAP_…) bits) in its
 * effective set; the child's exit status (97–99: it could not become
 * nobody or died). */
typedef int (*VssTestChildBody) (gpointer data);
#define VSS_TEST_CAP(n) (G_GUINT64_CONSTANT (1) << (n))
int vss_test_as_nobody (guint64 caps, VssTestChildBody body, gpointer data);

G_END_DECLS
