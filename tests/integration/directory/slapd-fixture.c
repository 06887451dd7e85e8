/* slapd-fixture.c — a private slapd for the tests (see slapd-fixture.h). */
#include "slapd-fixture.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

gboolean
slapd_available (char **out_reason)
{
  if (geteuid () != 0) {
    *out_reason = g_strdup ("needs root: slapd runs as root here and the LMDB files are 0600");
    return FALSE;
  }
  const char *tools[] = { "/usr/sbin/slapd", "/usr/sbin/slapcat", "/usr/bin/ldapadd",
                          "/usr/lib/ldap/back_mdb.so" };
  for (gsize i = 0; i < G_N_ELEMENTS (tools); i++)
    if (!g_file_test (tools[i], G_FILE_TEST_EXISTS)) {
      *out_reason = g_strdup_printf ("needs slapd and ldap-utils (%s is missing): "
                                     "apt-get install slapd ldap-utils", tools[i]);
      return FALSE;
    }
  return TRUE;
}

static char *
write_conf (const char *dir, const char *name, const char *db)
{
  char *conf = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf (
      "include /etc/ldap/schema/core.schema\n"
      "include /etc/ldap/schema/cosine.schema\n"
      "include /etc/ldap/schema/inetorgperson.schema\n"
      "pidfile %s/slapd.pid\nargsfile %s/slapd.args\n"
      "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
      "database mdb\nmaxsize 1073741824\nsuffix \"" SLAPD_SUFFIX "\"\n"
      "rootdn \"" SLAPD_ROOTDN "\"\nrootpw " SLAPD_ROOTPW "\n"
      "directory %s\ndbnosync\nindex objectClass eq\nindex uid eq\n", dir, dir, db);
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  return conf;
}

static int
run (char **argv, char **out_stdout)
{
  int status = -1;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL |
                     (out_stdout == NULL ? G_SPAWN_STDOUT_TO_DEV_NULL : 0),
                     NULL, NULL, out_stdout, NULL, &status, &error))
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static gboolean
wait_for_file (const char *path, guint timeout_ms)
{
  for (guint waited = 0; waited < timeout_ms; waited += 10) {
    if (g_file_test (path, G_FILE_TEST_EXISTS))
      return TRUE;
    g_usleep (10000);
  }
  return FALSE;
}

/* The socket file exists from bind(), a moment before slapd listens and
 * serves: on a loaded machine a first ldapadd there can find nobody
 * ("Can't contact LDAP server").  Waits (bounded) for the root DSE. */
static void
wait_for_answer (const char *uri)
{
  char *argv[] = { "/usr/bin/ldapsearch", "-x", "-H", (char *) uri, "-b", "", "-s", "base",
                   "(objectClass=*)", "namingContexts", NULL };
  for (int i = 0; i < 500; i++) {
    if (run (argv, NULL) == 0)
      return;
    g_usleep (10000);
  }
}

/* slapd daemonizes, so a test killed by a timeout would leave it
 * running: a small guard stops it once this test process is gone. */
static void
guard (pid_t slapd)
{
  g_autofree char *script = g_strdup_printf (
      "while kill -0 %d 2>/dev/null; do sleep 0.5; done; "
      "grep -q slapd /proc/%d/comm 2>/dev/null && kill %d", (int) getpid (), (int) slapd,
      (int) slapd);
  char *argv[] = { "/bin/sh", "-c", script, NULL };
  g_spawn_async (NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                 NULL, NULL, NULL, NULL);
}

Slapd *
slapd_start (const char *dir, const char *db, gboolean init)
{
  Slapd *self = g_new0 (Slapd, 1);
  self->dir = g_strdup (dir);
  self->db = g_strdup (db);
  g_mkdir_with_parents (db, 0700);
  self->conf = write_conf (dir, "slapd.conf", db);
  g_autofree char *sock = g_build_filename (dir, "ldapi", NULL);
  g_autofree char *escaped = g_uri_escape_string (sock, NULL, FALSE);
  self->uri = g_strconcat ("ldapi://", escaped, NULL);
  char *argv[] = { "/usr/sbin/slapd", "-f", self->conf, "-h", self->uri, "-s", "0", NULL };
  g_assert_cmpint (run (argv, NULL), ==, 0);
  g_autofree char *pidfile = g_build_filename (dir, "slapd.pid", NULL);
  g_assert_true (wait_for_file (pidfile, 5000));
  g_assert_true (wait_for_file (sock, 5000));
  g_autofree char *pid = NULL;
  for (int i = 0; i < 100 && (pid == NULL || *pid == '\0'); i++) {
    g_clear_pointer (&pid, g_free);
    if (!g_file_get_contents (pidfile, &pid, NULL, NULL))
      g_usleep (10000);
  }
  self->pid = (pid_t) g_ascii_strtoll (pid, NULL, 10);
  g_assert_cmpint (self->pid, >, 0);
  guard (self->pid);
  wait_for_answer (self->uri);
  if (init)
    g_assert_true (slapd_add (self, "dn: " SLAPD_SUFFIX "\nobjectClass: dcObject\n"
                              "objectClass: organization\no: vss\ndc: vss\n\n"
                              "dn: ou=people," SLAPD_SUFFIX "\nobjectClass: organizationalUnit\n"
                              "ou: people\n\n"));
  return self;
}

void
slapd_stop (Slapd *self)
{
  if (self == NULL || self->pid <= 0)
    return;
  kill (self->pid, SIGTERM);
  g_autofree char *proc = g_strdup_printf ("/proc/%d", (int) self->pid);
  for (int i = 0; i < 1000 && g_file_test (proc, G_FILE_TEST_EXISTS); i++)
    g_usleep (10000);
  if (g_file_test (proc, G_FILE_TEST_EXISTS))
    kill (self->pid, SIGKILL);
  self->pid = 0;
}

void
slapd_free (Slapd *self)
{
  if (self == NULL)
    return;
  slapd_stop (self);
  g_free (self->dir);
  g_free (self->conf);
  g_free (self->db);
  g_free (self->uri);
  g_free (self);
}

char *
slapd_people_ldif (guint first, guint count, gsize value_size)
{
  GString *out = g_string_new (NULL);
  g_autofree char *filler = g_strnfill (value_size, 'x');
  for (guint i = first; i < first + count; i++)
    g_string_append_printf (out, "dn: uid=u%07u,ou=people," SLAPD_SUFFIX "\n"
                            "objectClass: inetOrgPerson\nuid: u%07u\ncn: user %u\nsn: %u\n"
                            "description: %s\n\n", i, i, i, i, filler);
  return g_string_free (out, FALSE);
}

/* "TOOL -x -H URI -D ROOTDN -w PW -f FILE", @ldif in a file of its own. */
static char **
ldif_tool_argv (Slapd *self, const char *tool, const char *ldif)
{
  static guint counter;
  g_autofree char *name = g_strdup_printf ("in-%u-%u.ldif", (guint) getpid (), counter++);
  g_autofree char *file = g_build_filename (self->dir, name, NULL);
  g_assert_true (g_file_set_contents (file, ldif, -1, NULL));
  const char *argv[] = { tool, "-x", "-H", self->uri, "-D", SLAPD_ROOTDN, "-w", SLAPD_ROOTPW,
                         "-f", file, NULL };
  return g_strdupv ((char **) argv);
}

gboolean
slapd_add (Slapd *self, const char *ldif)
{
  g_auto(GStrv) argv = ldif_tool_argv (self, "/usr/bin/ldapadd", ldif);
  return run (argv, NULL) == 0;
}

static GPid
spawn (char **argv)
{
  GPid pid = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_async (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
                                G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &error));
  return pid;
}

GPid
slapd_add_async (Slapd *self, const char *ldif)
{
  g_auto(GStrv) argv = ldif_tool_argv (self, "/usr/bin/ldapadd", ldif);
  return spawn (argv);
}

GPid
slapd_modify_async (Slapd *self, const char *uid)
{
  g_autofree char *ldif = g_strdup_printf ("dn: uid=%s,ou=people," SLAPD_SUFFIX "\n"
                                           "changetype: modify\nreplace: sn\nsn: changed\n\n", uid);
  g_auto(GStrv) argv = ldif_tool_argv (self, "/usr/bin/ldapmodify", ldif);
  return spawn (argv);
}

int
slapd_wait (GPid pid, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  do {
    int status = 0;
    pid_t done = waitpid (pid, &status, WNOHANG);
    if (done == pid)
      return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    g_usleep (2000);
  } while (g_get_monotonic_time () < end);
  return -1;
}

int
slapd_tool (Slapd *self, const char *tool, const char *filter, gint64 *out_usec,
            char **out_stdout)
{
  char *argv[] = { (char *) tool, "-x", "-H", self->uri, "-D", SLAPD_ROOTDN, "-w", SLAPD_ROOTPW,
                   "-b", "ou=people," SLAPD_SUFFIX, "-LLL", (char *) filter, "dn", NULL };
  gint64 start = g_get_monotonic_time ();
  int status = run (argv, out_stdout);
  if (out_usec != NULL)
    *out_usec = g_get_monotonic_time () - start;
  return status;
}

int
slapd_count_people (Slapd *self)
{
  g_autofree char *out = NULL;
  /* a slapd just started may not answer yet on a loaded machine */
  for (int tries = 0; slapd_tool (self, "/usr/bin/ldapsearch", "(objectClass=inetOrgPerson)",
                                  NULL, &out) != 0; tries++) {
    g_clear_pointer (&out, g_free);
    if (tries == 20)
      return -1;
    g_usleep (100000);
  }
  int count = 0;
  for (const char *p = out; (p = strstr (p, "dn: uid=")) != NULL; p++)
    count++;
  return count;
}

static gint
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

GArray *
slapd_slapcat_people (const char *work_dir, const char *db_dir)
{
  g_autofree char *conf = write_conf (work_dir, "slapcat.conf", db_dir);
  g_autofree char *out = NULL;
  char *argv[] = { "/usr/sbin/slapcat", "-f", conf, NULL };
  if (run (argv, &out) != 0)
    return NULL;
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (guint));
  for (const char *p = out; (p = strstr (p, "\nuid: u")) != NULL; p++) {
    guint seq = (guint) g_ascii_strtoull (p + strlen ("\nuid: u"), NULL, 10);
    g_array_append_val (seqs, seq);
  }
  g_array_sort (seqs, compare_uint);
  return seqs;
}

gboolean
slapd_is_prefix (GArray *seqs)
{
  for (guint i = 0; i < seqs->len; i++)
    if (g_array_index (seqs, guint, i) != i + 1)
      return FALSE;
  return TRUE;
}
