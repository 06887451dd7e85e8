#include "vss-test.h"

#include <glib/gstdio.h>
#include <stdarg.h>

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
