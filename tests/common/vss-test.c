#include "vss-test.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/xattr.h>

#include "util/vss-paths.h"
#include "util/vss-fs.h"

char *
vss_test_setup_env (void)
{
  g_autoptr(GError) error = NULL;
  char *tmpdir = g_dir_make_tmp ("vss-test-XXXXXX", &error);
  g_assert_no_error (error);
  const char *subdirs[][2] = {
    { "config", "VSS_CONFIG_DIR" },
    { "state", "VSS_STATE_DIR" },
    { "runtime", "VSS_RUNTIME_DIR" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (subdirs); i++) {
    g_autofree char *dir = g_build_filename (tmpdir, subdirs[i][0], NULL);
    g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
    g_setenv (subdirs[i][1], dir, TRUE);
  }
  vss_paths_reset_cache ();
  return tmpdir;
}

void
vss_test_teardown_env (char *tmpdir)
{
  if (tmpdir == NULL)
    return;
  /* a test that dropped to another user (seteuid) and failed before
   * taking root back would leave its root-owned 0700 tree behind */
  if (getuid () == 0 && geteuid () != 0 && seteuid (0) != 0)
    g_warning ("cannot take root back to remove %s", tmpdir);
  vss_fs_remove_tree (tmpdir, NULL);
  g_free (tmpdir);
}

char *
vss_test_writer_module_path (const char *name)
{
  const char *build = g_getenv ("VSS_TEST_WRITER_BUILD_DIR");
  g_assert_nonnull (build);
  g_autofree char *file = g_strdup_printf ("libvss-test-%s.so", name);
  return g_build_filename (build, file, NULL);
}

char *
vss_test_writer_dir (const char *tmpdir, const char *first_module, ...)
{
  static guint counter;
  g_autofree char *leaf = g_strdup_printf ("writers-%u", counter++);
  char *dir = g_build_filename (tmpdir, leaf, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);

  va_list args;
  va_start (args, first_module);
  for (const char *name = first_module; name != NULL; name = va_arg (args, const char *)) {
    g_autofree char *src = vss_test_writer_module_path (name);
    g_autofree char *contents = NULL;
    gsize length = 0;
    g_autoptr(GError) error = NULL;
    g_file_get_contents (src, &contents, &length, &error);
    g_assert_no_error (error);
    g_autofree char *base = g_path_get_basename (src);
    g_autofree char *dst = g_build_filename (dir, base, NULL);
    g_file_set_contents_full (dst, contents, length, G_FILE_SET_CONTENTS_NONE, 0644, &error);
    g_assert_no_error (error);
  }
  va_end (args);
  return dir;
}

char *
vss_test_read_file (const char *path)
{
  char *contents = NULL;
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

char *
vss_test_sha256_of_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  cr_assert (g_file_get_contents (path, &data, &len, NULL), "%s", path);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
}

guint8 *
vss_test_pattern (gsize size, guint seed)
{
  guint8 *data = g_malloc (size + 1);
  guint32 x = 2463534242u + seed;
  for (gsize i = 0; i < size; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    data[i] = (guint8) x;
  }
  return data;
}

char *
vss_test_digest_of_file (const char *path)
{
  const gsize piece = 4 * 1024 * 1024;
  g_autofree char *data = NULL;
  gsize len = 0;
  cr_assert (g_file_get_contents (path, &data, &len, NULL), "%s", path);
  if (len <= piece)
    return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
  g_autoptr(GChecksum) whole = g_checksum_new (G_CHECKSUM_SHA256);
  for (gsize at = 0; at < len; at += piece) {
    g_autoptr(GChecksum) one = g_checksum_new (G_CHECKSUM_SHA256);
    g_checksum_update (one, (const guchar *) data + at, MIN (piece, len - at));
    guint8 sum[32];
    gsize sum_len = sizeof sum;
    g_checksum_get_digest (one, sum, &sum_len);
    g_checksum_update (whole, sum, sum_len);
  }
  return g_strdup (g_checksum_get_string (whole));
}

void
vss_test_put_file (const char *path, const char *contents, int mode)
{
  cr_assert (g_file_set_contents (path, contents, -1, NULL), "cannot write %s", path);
  cr_assert_eq (chmod (path, mode), 0);
}

void
vss_test_set_mtime (const char *path, time_t sec, long nsec)
{
  struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };
  cr_assert_eq (utimensat (AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0, "utimensat %s: %s",
                path, g_strerror (errno));
}

gboolean
vss_test_same_contents (const char *a, const char *b)
{
  g_autofree char *ca = NULL, *cb = NULL;
  gsize la = 0, lb = 0;
  if (!g_file_get_contents (a, &ca, &la, NULL) || !g_file_get_contents (b, &cb, &lb, NULL))
    return FALSE;
  return la == lb && memcmp (ca, cb, la) == 0;
}

static void
assert_same_xattrs (const char *a, const char *b)
{
  char names[4096];
  ssize_t len = llistxattr (a, names, sizeof names);
  for (char *n = names; len > 0 && n < names + len; n += strlen (n) + 1) {
    if (!g_str_has_prefix (n, "user."))
      continue;
    char va[256], vb[256];
    ssize_t la = lgetxattr (a, n, va, sizeof va);
    ssize_t lb = lgetxattr (b, n, vb, sizeof vb);
    cr_assert (la == lb && la >= 0 && memcmp (va, vb, la) == 0, "%s: xattr %s differs", b, n);
  }
}

static void
assert_same_node (const char *a, const char *b)
{
  struct stat sa, sb;
  cr_assert_eq (lstat (a, &sa), 0, "lstat %s", a);
  cr_assert_eq (lstat (b, &sb), 0, "lstat %s: %s", b, g_strerror (errno));
  cr_assert_eq (sa.st_mode, sb.st_mode, "%s: mode %o vs %o", b, sa.st_mode, sb.st_mode);
  cr_assert_eq (sa.st_uid, sb.st_uid, "%s: uid", b);
  cr_assert_eq (sa.st_gid, sb.st_gid, "%s: gid", b);
  cr_assert_eq (sa.st_mtim.tv_sec, sb.st_mtim.tv_sec, "%s: mtime s", b);
  cr_assert_eq (sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec, "%s: mtime ns", b);
  if (S_ISREG (sa.st_mode)) {
    cr_assert_eq (sa.st_size, sb.st_size, "%s: size", b);
    cr_assert (vss_test_same_contents (a, b), "%s: contents differ", b);
  } else if (S_ISLNK (sa.st_mode)) {
    g_autofree char *ta = g_file_read_link (a, NULL);
    g_autofree char *tb = g_file_read_link (b, NULL);
    cr_assert_str_eq (ta, tb, "%s: link target", b);
  }
  if (!S_ISLNK (sa.st_mode))
    assert_same_xattrs (a, b);
}

void
vss_test_assert_same_tree (const char *a, const char *b)
{
  assert_same_node (a, b);
  struct stat st;
  lstat (a, &st);
  if (!S_ISDIR (st.st_mode))
    return;
  g_autoptr(GDir) da = g_dir_open (a, 0, NULL);
  g_autoptr(GDir) db = g_dir_open (b, 0, NULL);
  cr_assert (da != NULL && db != NULL);
  guint na = 0, nb = 0;
  const char *name;
  while ((name = g_dir_read_name (da)) != NULL) {
    g_autofree char *ca = g_build_filename (a, name, NULL);
    g_autofree char *cb = g_build_filename (b, name, NULL);
    vss_test_assert_same_tree (ca, cb);
    na++;
  }
  while (g_dir_read_name (db) != NULL)
    nb++;
  cr_assert_eq (na, nb, "%s has %u entries, %s has %u", a, na, b, nb);
}

int
vss_test_as_nobody (guint64 caps, VssTestChildBody body, gpointer data)
{
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0) {
    prctl (PR_SET_KEEPCAPS, 1);
    if (setresgid (65534, 65534, 65534) != 0 || setresuid (65534, 65534, 65534) != 0)
      _exit (99);
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct cap[2] = { { 0 } };
    cap[0].effective = cap[0].permitted = (guint32) caps;
    if (syscall (SYS_capset, &header, cap) != 0)
      _exit (98);
    _exit (body (data));
  }
  int status = 0;
  waitpid (pid, &status, 0);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 97;
}
