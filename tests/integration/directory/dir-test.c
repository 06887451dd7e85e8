/* dir-test.c — the directory tests' fixture (see dir-test.h). */
#include "dir-test.h"

#include <string.h>

#include "util/vss-fs.h"
#include "util/vss-paths.h"

DirFixture dfx;

void
dfx_setup (guint people, const char *extra_conf)
{
  g_autofree char *reason = NULL;
  if (!slapd_available (&reason))
    cr_skip_test ("%s", reason);
  dfx.tmpdir = vss_test_setup_env ();
  g_autofree char *ldap = dfx_path ("ldap");
  g_autofree char *db = dfx_path ("ldap/db");
  dfx.slapd = slapd_start (ldap, db, TRUE);
  if (people > 0) {
    g_autofree char *ldif = slapd_people_ldif (1, people, 100);
    cr_assert (slapd_add (dfx.slapd, ldif), "ldapadd of %u people failed", people);
  }
  g_autofree char *conf = g_build_filename (vss_paths_config_dir (), "directory.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[directory]\nenvironments=%s\n%s", db,
                                           extra_conf != NULL ? extra_conf : "");
  cr_assert (g_file_set_contents (conf, text, -1, NULL));
  g_setenv ("VSS_WRITER_PATH", g_getenv ("VSS_DIRECTORY_WRITER_DIR"), TRUE);
}

void
dfx_teardown (void)
{
  g_clear_pointer (&dfx.slapd, slapd_free);
  vss_test_teardown_env (g_steal_pointer (&dfx.tmpdir));
}

const VssWriterDescriptor *
dfx_descriptor (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("VSS_DIRECTORY_WRITER_DIR"),
                                            "directory.so", NULL);
  g_autoptr(GError) error = NULL;
  const VssWriterModule *module = vss_writer_module_load (path, &error);
  cr_assert_not_null (module, "%s", error ? error->message : "");
  const VssWriterDescriptor *descriptor = vss_writer_module_open (module, &error);
  cr_assert_not_null (descriptor, "%s", error ? error->message : "");
  return descriptor;
}

VssWriter *
dfx_load_writer (void)
{
  VssWriter *writer = vss_writer_new (dfx_descriptor (), "11111111-2222-4333-8444-555555555555");
  g_autoptr(GError) error = NULL;
  cr_assert (vss_writer_load (writer, &error), "%s", error ? error->message : "");
  return writer;
}

char *
dfx_path (const char *name)
{
  char *path = g_build_filename (dfx.tmpdir, name, NULL);
  g_mkdir_with_parents (path, 0700);
  return path;
}

char *
dfx_copy_env (const char *src_dir, const char *name)
{
  char *dst = dfx_path (name);
  g_autofree char *from = g_build_filename (src_dir, "data.mdb", NULL);
  g_autofree char *to = g_build_filename (dst, "data.mdb", NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  cr_assert (g_file_get_contents (from, &contents, &length, NULL));
  cr_assert (g_file_set_contents (to, contents, length, NULL));
  return dst;
}

guint
dfx_assert_prefix (const char *dir, guint at_least)
{
  g_autofree char *work = dfx_path ("slapcat-work");
  GArray *seqs = slapd_slapcat_people (work, dir);
  cr_assert_not_null (seqs, "slapcat failed on %s", dir);
  guint n = seqs->len;
  gboolean prefix = slapd_is_prefix (seqs);
  g_array_unref (seqs);
  cr_assert (prefix, "%s: the people are not exactly 1..%u: a torn copy", dir, n);
  cr_assert_geq (n, at_least, "%s holds %u people, expected at least %u", dir, n, at_least);
  return n;
}

void
dfx_assert_served (const char *dir, guint expected)
{
  static guint counter;
  g_autofree char *name = g_strdup_printf ("served-%u", counter++);
  g_autofree char *work = dfx_path (name);
  Slapd *fresh = slapd_start (work, dir, FALSE);
  int count = slapd_count_people (fresh);
  slapd_free (fresh);
  cr_assert_eq (count, (int) expected, "a fresh slapd on %s serves %d people, expected %u",
                dir, count, expected);
}

VssEventReply *
dfx_event (VssWriter *writer, VssEvent event)
{
  json_object *request = json_object_new_object ();
  json_object_object_add (request, "backup_type", json_object_new_string ("full"));
  VssEventReply *reply = vss_writer_handle_event (writer, event, request);
  json_object_put (request);
  return reply;
}
