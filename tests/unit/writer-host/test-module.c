/* test-module.c — finding, checking and loading writer modules. */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vss-config.h"
#include "vss-test.h"
#include "wh-test.h"

#define ABI_VERSION G_STRINGIFY (VSS_WRITER_ABI_MAJOR) "." G_STRINGIFY (VSS_WRITER_ABI_MINOR)

static char *tmpdir;

static void
setup (void)
{
  tmpdir = vss_test_setup_env ();
  wh_capture_warnings_start ();
}

static void
teardown (void)
{
  wh_capture_warnings_stop ();
  vss_test_teardown_env (tmpdir);
  tmpdir = NULL;
}

TestSuite (module, .init = setup, .fini = teardown);

static char *
module_file (const char *dir, const char *name)
{
  g_autofree char *base = g_strdup_printf ("libvss-test-%s.so", name);
  return g_build_filename (dir, base, NULL);
}

static const char *
module_name (GPtrArray *modules, guint index)
{
  const VssWriterModule *module = g_ptr_array_index (modules, index);
  return module->identity->name;
}

Test (module, search_path_override_env_default)
{
  g_autofree char *over = NULL;
  g_autofree char *env = NULL;
  g_autofree char *def = NULL;

  g_setenv ("VSS_WRITER_PATH", "/from/env:/other", TRUE);
  over = vss_writer_module_search_path ("/override");
  env = vss_writer_module_search_path (NULL);
  g_unsetenv ("VSS_WRITER_PATH");
  def = vss_writer_module_search_path (NULL);
  cr_assert_str_eq (over, "/override");
  cr_assert_str_eq (env, "/from/env:/other");
  cr_assert_str_eq (def, VSS_WRITER_DIR);
}

Test (module, scan_finds_good_modules_in_name_order)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "veto", "recorder", "hang",
                                              "failing-load", NULL);
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (dir);

  cr_assert_eq (modules->len, 4);
  cr_assert_str_eq (module_name (modules, 0), "failing-load");
  cr_assert_str_eq (module_name (modules, 1), "hang");
  cr_assert_str_eq (module_name (modules, 2), "recorder");
  cr_assert_str_eq (module_name (modules, 3), "veto");
  cr_assert_eq (wh_captured_warning_count (), 0);
}

Test (module, scan_follows_directory_order_and_ignores_other_files)
{
  g_autofree char *first = vss_test_writer_dir (tmpdir, "veto", NULL);
  g_autofree char *second = vss_test_writer_dir (tmpdir, "hang", NULL);
  g_autofree char *readme = g_build_filename (first, "README", NULL);
  g_autofree char *path = g_strdup_printf ("%s::/nonexistent/vss-writers:%s", first, second);

  g_file_set_contents (readme, "not a module", -1, NULL);
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (path);
  cr_assert_eq (modules->len, 2);
  cr_assert_str_eq (module_name (modules, 0), "veto");
  cr_assert_str_eq (module_name (modules, 1), "hang");
  /* A missing directory is normal (no writers installed there). */
  cr_assert_eq (wh_captured_warning_count (), 0);
}

/* Scans a directory of the recorder and @bad: only the recorder loads, and
 * one warning names the bad file and contains @reason. */
static void
assert_skipped (const char *bad, const char *reason, const char *advice)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "recorder", bad, NULL);
  g_autofree char *file = module_file (dir, bad);
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (dir);

  cr_assert_eq (modules->len, 1);
  cr_assert_str_eq (module_name (modules, 0), "recorder");
  cr_assert_eq (wh_captured_warning_count (), 1);
  wh_assert_warning (file, reason, advice, NULL);
}

Test (module, scan_skips_other_abi_major)
{
  assert_skipped ("bad-abi-major", "built for writer ABI 2.x, this libvss speaks " ABI_VERSION,
                  "rebuild the writer against this libvss");
}

Test (module, scan_skips_newer_abi_minor)
{
  assert_skipped ("bad-abi-minor", "newer than this libvss (" ABI_VERSION ")",
                  "rebuild the writer against this libvss");
}

Test (module, scan_skips_invalid_writer_id)
{
  assert_skipped ("bad-id", "writer id \"not-a-uuid\", which is not a UUID", "uuidgen");
}

Test (module, scan_skips_module_without_entry_point)
{
  assert_skipped ("no-entry", "has no entry point " VSS_WRITER_ENTRY_POINT,
                  "VSS_WRITER_DEFINE");
}

Test (module, scan_skips_duplicate_writer_id)
{
  g_autofree char *first = vss_test_writer_dir (tmpdir, "recorder", NULL);
  g_autofree char *second = vss_test_writer_dir (tmpdir, "dup-recorder", NULL);
  g_autofree char *path = g_strdup_printf ("%s:%s", first, second);
  g_autofree char *dup_file = module_file (second, "dup-recorder");
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (path);

  cr_assert_eq (modules->len, 1);
  cr_assert_str_eq (module_name (modules, 0), "recorder");
  wh_assert_warning (dup_file, "writer id is already used by", "remove one of the two files",
                     NULL);
}

Test (module, scan_skips_second_copy_of_a_writer)
{
  /* Two copies of one writer in two directories: the first one wins. */
  g_autofree char *first = vss_test_writer_dir (tmpdir, "hang", NULL);
  g_autofree char *second = vss_test_writer_dir (tmpdir, "hang", NULL);
  g_autofree char *path = g_strdup_printf ("%s:%s", first, second);
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (path);

  cr_assert_eq (modules->len, 1);
  cr_assert_eq (wh_captured_warning_count (), 1);
}

static void
assert_mode_skipped (mode_t mode)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "recorder", "veto", NULL);
  g_autofree char *file = module_file (dir, "veto");
  g_autofree char *fix = g_strdup_printf ("chmod go-w %s", file);

  cr_assert_eq (g_chmod (file, mode), 0);
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (dir);
  cr_assert_eq (modules->len, 1);
  cr_assert_str_eq (module_name (modules, 0), "recorder");
  wh_assert_warning (file, "is writable by group or others", fix, NULL);
}

Test (module, scan_skips_group_writable_module)
{
  assert_mode_skipped (0664);
}

Test (module, scan_skips_other_writable_module)
{
  assert_mode_skipped (0646);
}

Test (module, scan_skips_module_of_another_user)
{
  if (geteuid () != 0)
    cr_skip_test ("needs root to chown a module to uid 65534");
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "recorder", "veto", NULL);
  g_autofree char *file = module_file (dir, "veto");

  cr_assert_eq (chown (file, 65534, 65534), 0);
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (dir);
  cr_assert_eq (modules->len, 1);
  cr_assert_str_eq (module_name (modules, 0), "recorder");
  wh_assert_warning (file, "is owned by uid 65534, neither root nor the current user",
                     "chown root", NULL);
}

Test (module, scan_skips_non_regular_file)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "recorder", NULL);
  g_autofree char *sub = g_build_filename (dir, "libvss-test-directory.so", NULL);

  cr_assert_eq (g_mkdir (sub, 0755), 0);
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (dir);
  cr_assert_eq (modules->len, 1);
  wh_assert_warning (sub, "is not a regular file", NULL);
}

Test (module, symlink_is_followed_and_shares_the_cache_entry)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "recorder", NULL);
  g_autofree char *target = module_file (dir, "recorder");
  g_autofree char *link_dir = g_build_filename (tmpdir, "links", NULL);
  g_autofree char *link = g_build_filename (link_dir, "libvss-test-link.so", NULL);
  g_autofree char *path = g_strdup_printf ("%s:%s", dir, link_dir);
  g_autoptr(GError) error = NULL;

  cr_assert_eq (g_mkdir (link_dir, 0755), 0);
  cr_assert_eq (symlink (target, link), 0);
  const VssWriterModule *by_link = vss_writer_module_load (link, &error);
  cr_assert_null (error);
  cr_assert_eq (by_link, vss_writer_module_load (target, NULL));
  /* The same module reached twice is listed once, without a warning. */
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (path);
  cr_assert_eq (modules->len, 1);
  cr_assert_eq (wh_captured_warning_count (), 0);
}

Test (module, load_is_cached_per_path)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "recorder", NULL);
  g_autofree char *file = module_file (dir, "recorder");
  g_autofree char *canonical = realpath (file, NULL);
  g_autoptr(GError) error = NULL;

  const VssWriterModule *first = vss_writer_module_load (file, &error);
  cr_assert_null (error);
  cr_assert_not_null (first);
  const VssWriterModule *second = vss_writer_module_load (file, &error);
  cr_assert_eq (first, second);
  cr_assert_eq (first->identity, second->identity);
  cr_assert_eq (vss_writer_module_open (first, NULL), vss_writer_module_open (second, NULL));
  cr_assert_str_eq (first->path, canonical);
  cr_assert_str_eq (first->identity->writer_id, "9f0c0e1a-0001-4000-8000-000000000001");
  g_autoptr(GPtrArray) modules = vss_writer_module_scan (dir);
  cr_assert_eq (g_ptr_array_index (modules, 0), first);
}

Test (module, load_reports_errors)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "veto", "bad-abi-major", NULL);
  g_autofree char *veto = module_file (dir, "veto");
  g_autofree char *bad = module_file (dir, "bad-abi-major");
  g_autofree char *missing = module_file (dir, "missing");
  g_autoptr(GError) denied = NULL;
  g_autoptr(GError) abi = NULL;
  g_autoptr(GError) absent = NULL;

  cr_assert_eq (g_chmod (veto, 0666), 0);
  cr_assert_null (vss_writer_module_load (veto, &denied));
  cr_assert (g_error_matches (denied, VSS_ERROR, VSS_ERROR_ACCESS_DENIED));
  cr_assert_null (vss_writer_module_load (bad, &abi));
  cr_assert (g_error_matches (abi, VSS_ERROR, VSS_ERROR_INVALID_ARG));
  cr_assert (strstr (abi->message, "ABI 2.x") != NULL);
  cr_assert_null (vss_writer_module_load (missing, &absent));
  cr_assert (g_error_matches (absent, VSS_ERROR, VSS_ERROR_INVALID_ARG));
  /* A refused file is not cached: fixed, it loads. */
  cr_assert_eq (g_chmod (veto, 0644), 0);
  cr_assert_not_null (vss_writer_module_load (veto, NULL));
}

static gboolean
check (const VssWriterDescriptor *d, const char *expect)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = vss_writer_descriptor_check (d, "/x/libw.so", &error);
  if (expect == NULL)
    cr_assert_null (error);
  else
    cr_assert (error != NULL && strstr (error->message, expect) != NULL,
               "expected \"%s\" in \"%s\"", expect, error ? error->message : "(none)");
  return ok;
}

Test (module, descriptor_checks)
{
  VssWriterDescriptor d = {
    .abi_major = VSS_WRITER_ABI_MAJOR, .abi_minor = VSS_WRITER_ABI_MINOR,
    .writer_id = "6f1c2d3e-0000-4000-8000-000000000001", .name = "my_app-2",
  };
  char long_name[66];

  cr_assert (check (&d, NULL));
  memset (long_name, 'a', 64);
  long_name[64] = '\0';
  d.name = long_name;
  cr_assert (check (&d, NULL));
  long_name[64] = 'a';
  long_name[65] = '\0';
  cr_assert_not (check (&d, "rename the writer"));
  d.name = "";
  cr_assert_not (check (&d, "rename the writer"));
  d.name = "MyApp";
  cr_assert_not (check (&d, "writer name \"MyApp\""));
  d.name = "my app";
  cr_assert_not (check (&d, "writer name"));
  d.name = NULL;
  cr_assert_not (check (&d, "writer name"));
  d.name = "ok";
  d.writer_id = NULL;
  cr_assert_not (check (&d, "not a UUID"));
  d.writer_id = "6f1c2d3e-0000-4000-8000-000000000001";
  guint last = G_N_ELEMENTS (d.reserved) - 1;
  d.reserved[last] = &d;
  g_autofree char *slot = g_strdup_printf ("reserved descriptor slot %u", last);
  cr_assert_not (check (&d, slot));
}

/* Is @path mapped into this process? */
static gboolean
is_mapped (const char *path)
{
  g_autofree char *maps = NULL;
  cr_assert (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, path) != NULL;
}

Test (module, identity_comes_from_the_probe_and_nothing_is_mapped_until_opened)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "recorder", NULL);
  g_autofree char *file = module_file (dir, "recorder");
  g_autofree char *canonical = realpath (file, NULL);
  g_autoptr(GError) error = NULL;

  const VssWriterModule *module = vss_writer_module_load (canonical, &error);
  cr_assert_not_null (module, "%s", error != NULL ? error->message : "");
  cr_assert_str_eq (module->identity->name, "recorder");
  cr_assert_null (module->identity->on_identify, "an identity has no callbacks");
  cr_assert_not (is_mapped (canonical), "the module was mapped into the process by its load");
  const VssWriterDescriptor *opened = vss_writer_module_open (module, &error);
  cr_assert_not_null (opened, "%s", error != NULL ? error->message : "");
  cr_assert_str_eq (opened->writer_id, module->identity->writer_id);
  cr_assert (is_mapped (canonical));
}

Test (module, a_constructor_writing_to_stdout_does_not_change_the_identity)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "chatty-on-load", NULL);
  g_autofree char *file = module_file (dir, "chatty-on-load");
  g_autoptr(GError) error = NULL;

  const VssWriterModule *module = vss_writer_module_load (file, &error);
  cr_assert_not_null (module, "%s", error != NULL ? error->message : "");
  cr_assert_str_eq (module->identity->name, "chatty-on-load");
  cr_assert_str_eq (module->identity->writer_id, "9f0c0e1a-0001-4000-8000-000000000009");
}

/* An embedding application that ignores SIGCHLD has its children reaped
 * by the kernel: the probe's exit status is gone, its answer still says
 * what the module is. */
Test (module, a_process_ignoring_sigchld_still_gets_the_identity)
{
  g_autofree char *dir = vss_test_writer_dir (tmpdir, "recorder", NULL);
  g_autofree char *file = module_file (dir, "recorder");
  g_autoptr(GError) error = NULL;

  signal (SIGCHLD, SIG_IGN);
  const VssWriterModule *module = vss_writer_module_load (file, &error);
  signal (SIGCHLD, SIG_DFL);
  cr_assert_not_null (module, "%s", error != NULL ? error->message : "");
  cr_assert_str_eq (module->identity->name, "recorder");
}
