/* The certificate writer against real stores: NSS databases made and
 * written by certutil, and a WAL-mode CA database under insert load. */
#include "cert-fixture.h"

#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite (certificate, .init = cf_setup, .fini = cf_teardown, .timeout = 120);

/* ---- NSS ---- */

static GHashTable *
nicknames (const char *listing, gboolean keys)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint orphans = 0;
  g_auto(GStrv) lines = g_strsplit (listing, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    /* -L: "c12   u,u,u"; -K: "<  3> rsa  abcdef…  NSS Certificate DB:c12" */
    const char *line = lines[i];
    const char *colon = keys ? strrchr (line, ':') : NULL;
    if (keys && colon != NULL && g_str_has_prefix (line, "<"))
      g_hash_table_add (set, g_strdup (colon + 1));
    else if (keys && strstr (line, "(orphan)") != NULL)
      g_hash_table_add (set, g_strdup_printf ("(orphan %u)", ++orphans));
    else if (!keys && g_str_has_prefix (line, "c") && strstr (line, "u,u,u") != NULL)
      g_hash_table_add (set, g_strndup (line, strcspn (line, " ")));
  }
  return set;
}

/* Every certificate of the restored copy has its key.  certutil -S
 * commits the key to key4.db, then the certificate to cert9.db, in two
 * transactions: so one key of the certutil in flight may be an orphan at
 * any instant, and never more (one certutil runs at a time). */
static guint
check_restored_nss (const char *dir)
{
  g_autofree char *certs = cf_sh (FALSE, "certutil -L -d 'sql:%s'", dir);
  g_autofree char *keys = cf_sh (FALSE, "certutil -K -d 'sql:%s' 2>&1", dir);
  g_autoptr(GHashTable) cert_set = nicknames (certs, FALSE);
  g_autoptr(GHashTable) key_set = nicknames (keys, TRUE);
  g_hash_table_remove (key_set, "ca");
  cr_assert (!g_hash_table_contains (key_set, "(orphan 2)"), "orphan keys in %s:\n%s", dir, keys);
  g_hash_table_remove (key_set, "(orphan 1)");
  cr_assert_eq (g_hash_table_size (cert_set), g_hash_table_size (key_set),
                "%u certificates but %u keys in %s", g_hash_table_size (cert_set),
                g_hash_table_size (key_set), dir);
  GHashTableIter iter;
  gpointer name;
  g_hash_table_iter_init (&iter, cert_set);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    cr_assert (g_hash_table_contains (key_set, name), "certificate %s has no key", (char *) name);
  return g_hash_table_size (cert_set);
}

Test (certificate, nss_backups_under_certutil_load_restore_consistent)
{
  cf_require ("certutil");
  g_autofree char *nss = g_build_filename (cf_fast_dir (), "nss", NULL);
  cf_make_nss (nss);
  cf_write_conf (nss, NULL, NULL);
  /* certutil -S: a key in key4.db and a certificate in cert9.db, per call
   * (EC keys: generating RSA ones would be most of the time) */
  g_autofree char *stop = g_build_filename (cf.work, "stop", NULL);
  /* The loop also ends when this test process is gone,
   * so a failed test never leaves it running. */
  g_free (cf_sh (FALSE, "( i=0; while [ ! -e '%s' ] && kill -0 %d 2>/dev/null; "
                        "do i=$((i+1)); certutil -S -d 'sql:%s' "
                        "-n c$i -s CN=c$i -m $((i+1000)) -c ca -t u,u,u -k ec -q nistp256 -v 12 -z '%s/noise.bin' "
                        ">/dev/null 2>&1; done ) >/dev/null 2>&1 &", stop, (int) getpid (), nss, cf_fast_dir ()));
  guint ok = 0, retried = 0, last = 0;
  for (guint round = 0; round < 40 && (ok < 6 || last < 200); round++) {
    g_usleep (300000);
    g_autofree char *copy = g_strdup_printf ("%s/restore-%u", cf.work, round);
    g_autoptr(GError) error = NULL;
    if (!cf_backup (nss, VSS_BT_FULL, NULL, TRUE, copy, NULL, NULL, &error)) {
      cr_assert (strstr (error->message, "try again") != NULL, "%s", error->message);
      retried++;
      continue;
    }
    ok++;
    g_autofree char *key4 = g_build_filename (copy, "key4.db", NULL);
    struct stat st;
    cr_assert_eq (stat (key4, &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0600, "key4.db is %o in the snapshot", st.st_mode & 0777);
    last = check_restored_nss (copy);
  }
  g_file_set_contents (stop, "", 0, NULL);
  g_usleep (500000);
  cr_log_info ("NSS: %u backups restored consistently (%u certificates in the last), %u retried",
               ok, last, retried);
  cr_assert_geq (ok, 6, "only %u of %u backups succeeded", ok, ok + retried);
  cr_assert_geq (last, 200, "the load added only %u certificates while the backups ran", last);
}

Test (certificate, nss_log_backup_refused_names_journal_mode)
{
  cf_require ("certutil");
  g_autofree char *nss = g_build_filename (cf.work, "nss", NULL);
  cf_make_nss (nss);
  cf_write_conf (nss, NULL, NULL);
  g_autoptr(GError) error = NULL;
  cr_assert_not (cf_backup (nss, VSS_BT_LOG, "x", TRUE, NULL, NULL, NULL, &error));
  cr_assert (strstr (error->message, "journal_mode=delete") != NULL, "%s", error->message);
}

Test (certificate, post_restore_lists_nss_and_pre_restore_refuses_open_writer)
{
  cf_require ("certutil");
  g_autofree char *nss = g_build_filename (cf.work, "nss", NULL);
  cf_make_nss (nss);
  cf_write_conf (nss, NULL, NULL);
  g_autofree char *message = NULL;
  cr_assert (cf_restore_event ("pre_restore", NULL));
  cr_assert (cf_restore_event ("post_restore", NULL));
  /* a process holding cert9.db open read-write */
  g_autofree char *db = g_build_filename (nss, "cert9.db", NULL);
  GPid pid;
  const char *argv[] = { "sqlite3", db, NULL };
  int in_fd;
  cr_assert (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                                       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                       NULL, NULL, &pid, &in_fd, NULL, NULL, NULL));
  cr_assert_eq (write (in_fd, "SELECT 1;\n", 10), 10);
  g_usleep (300000);
  gboolean refused = !cf_restore_event ("pre_restore", &message);
  close (in_fd);
  waitpid (pid, NULL, 0);
  cr_assert (refused, "pre_restore let a restore run under an open writer");
  cr_assert (strstr (message, "open for writing") != NULL, "%s", message);
  /* a damaged store is reported after the restore */
  cr_assert (g_file_set_contents (db, "not a database, just text padding padding", -1, NULL));
  g_clear_pointer (&message, g_free);
  cr_assert_not (cf_restore_event ("post_restore", &message));
  cr_assert (strstr (message, "does not open cleanly") != NULL, "%s", message);
}

static int
lock_held (const char *db_path)
{
  sqlite3 *db = NULL;
  sqlite3_open (db_path, &db);
  int rc = sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (db);
  return rc == SQLITE_BUSY;
}

/* A backup process killed during the freeze: the kernel drops its locks,
 * so certutil does not wait out its ~2 s nor fail. */
Test (certificate, killed_during_freeze_releases_lock_at_once)
{
  cf_require ("certutil");
  g_autofree char *nss = g_build_filename (cf.work, "nss", NULL);
  cf_make_nss (nss);
  cf_write_conf (nss, NULL, NULL);
  g_autofree char *hang = vss_test_writer_dir (cf.tmpdir, "hang", NULL);
  g_setenv ("VSS_TEST_HANG_EVENT", "freeze", TRUE);
  g_setenv ("VSS_TEST_HANG_MS", "5000", TRUE);
  g_autofree char *cert9 = g_build_filename (nss, "cert9.db", NULL);
  pid_t child = fork ();
  if (child == 0) {
    cf_backup (nss, VSS_BT_FULL, NULL, TRUE, NULL, hang, NULL, NULL);
    _exit (0);
  }
  gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!lock_held (cert9) && g_get_monotonic_time () < until)
    g_usleep (10000);
  cr_assert (lock_held (cert9), "the backup never froze cert9.db");
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  gint64 start = g_get_monotonic_time ();
  g_free (cf_sh (FALSE, "certutil -L -d 'sql:%s' -n ca -a > '%s/ca.pem' && "
                        "certutil -A -d 'sql:%s' -n again -t ,, -i '%s/ca.pem'",
                 nss, cf.work, nss, cf.work));
  gint64 took = g_get_monotonic_time () - start;
  cr_assert_lt (took, 700000, "certutil -A waited %.2f s after the kill", took / 1e6);
}

static gpointer
backup_thread (gpointer data)
{
  GError *error = NULL;
  cf_backup (data, VSS_BT_FULL, NULL, TRUE, NULL, g_getenv ("CERT_TEST_HANG_DIR"), NULL, &error);
  return error;
}

/* The writer's own budget: while another writer keeps the window open,
 * the locks go at the budget (0.8 s here), before the coordinator's 1.5 s
 * watchdog, and the backup fails with a timeout. */
Test (certificate, budget_releases_lock_before_the_coordinator)
{
  cf_require ("certutil");
  g_autofree char *nss = g_build_filename (cf.work, "nss", NULL);
  cf_make_nss (nss);
  cf_write_conf (nss, NULL, "freeze_budget_ms=800");
  g_autofree char *hang = vss_test_writer_dir (cf.tmpdir, "hang", NULL);
  g_setenv ("CERT_TEST_HANG_DIR", hang, TRUE);
  g_setenv ("VSS_TEST_HANG_EVENT", "freeze", TRUE);
  g_setenv ("VSS_TEST_HANG_MS", "2500", TRUE);
  g_autofree char *cert9 = g_build_filename (nss, "cert9.db", NULL);
  GThread *thread = g_thread_new ("backup", backup_thread, nss);
  gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!lock_held (cert9) && g_get_monotonic_time () < until)
    g_usleep (5000);
  gint64 locked = g_get_monotonic_time ();
  while (lock_held (cert9) && g_get_monotonic_time () < until)
    g_usleep (5000);
  gint64 held = g_get_monotonic_time () - locked;
  g_autoptr(GError) error = g_thread_join (thread);
  cr_assert_not_null (error, "the backup succeeded though the window outlasted the budget");
  cr_assert (strstr (error->message, "timeout") != NULL || strstr (error->message, "budget") != NULL,
             "%s", error->message);
  cr_assert (held > 600000 && held < 1300000, "the lock was held %.2f s (budget 0.8 s)", held / 1e6);
}
