/* bench-certificate.c — the certificate writer against its peer tools.
 *
 * 1. streaming backup (vss_cs_* FULL: database + WAL) of a ~200 MB
 *    WAL-mode database against `sqlite3 DB ".backup out"`, alternating,
 *    same database, same disk;
 * 2. how long a `certutil -A` waits while snapshots of its NSS database
 *    run back to back (the writer's BEGIN IMMEDIATE window), against the
 *    same command with no backup running.
 * Usage: bench-certificate WORKDIR ROUNDS  (run.sh builds and runs it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vss/vss.h>

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

static void
sh (const char *command)
{
  if (system (command) != 0) {
    fprintf (stderr, "failed: %s\n", command);
    exit (1);
  }
}

static double
vss_stream (const char *out_path)
{
  VssCsHandle h = NULL;
  char *dbs = NULL, *logs = NULL;
  guint32 size = 0, got = 0;
  static guint8 buffer[1 << 20];
  double start = now ();
  if (vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &h) != 0 ||
      vss_cs_backup_get_database_names (h, &dbs, &size) != 0 ||
      vss_cs_backup_get_backup_logs (h, &logs, &size) != 0) {
    fprintf (stderr, "vss_cs: %s\n", vss_cs_get_last_error_message ());
    exit (2);
  }
  FILE *out = fopen (out_path, "wb");
  for (int pass = 0; pass < 2; pass++)
    for (const char *name = pass == 0 ? dbs : logs; *name != '\0'; name += strlen (name) + 1) {
      guint64 total = 0;
      if (vss_cs_backup_open_file (h, name, sizeof buffer, &total) != 0) {
        fprintf (stderr, "open %s: %s\n", name + 1, vss_cs_get_last_error_message ());
        exit (2);
      }
      while (vss_cs_backup_read (h, buffer, sizeof buffer, &got) == 0)
        fwrite (buffer, 1, got, out);
      vss_cs_backup_close (h);
    }
  fflush (out);
  fdatasync (fileno (out));
  fclose (out);
  vss_cs_backup_free (dbs);
  vss_cs_backup_free (logs);
  vss_cs_backup_end (h);
  return now () - start;
}

static double
sqlite_backup (const char *db, const char *out_path)
{
  char command[4096];
  snprintf (command, sizeof command, "rm -f '%s' && sqlite3 '%s' \".backup '%s'\" && sync '%s'",
            out_path, db, out_path, out_path);
  double start = now ();
  sh (command);
  return now () - start;
}

static int
compare (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *values, int n)
{
  qsort (values, n, sizeof *values, compare);
  return values[n / 2];
}

static void
bench_stream (const char *work, int rounds)
{
  char db[4096], conf[4096], out[4096], command[8192];
  snprintf (db, sizeof db, "%s/big.db", work);
  snprintf (out, sizeof out, "%s/out.db", work);
  if (!g_file_test (db, G_FILE_TEST_EXISTS)) {
    snprintf (command, sizeof command, "sqlite3 '%s' \"PRAGMA journal_mode=WAL; create table "
              "t(id integer primary key, b blob); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
              "SELECT i+1 FROM c WHERE i<200000) INSERT INTO t(b) SELECT randomblob(1000) FROM c;"
              " PRAGMA wal_checkpoint(TRUNCATE);\" >/dev/null", db);
    sh (command);
  }
  snprintf (conf, sizeof conf, "%s/certificate.conf", g_getenv ("VSS_CONFIG_DIR"));
  g_autofree char *text = g_strdup_printf ("[certificate]\ndatabases=%s\n", db);
  g_file_set_contents (conf, text, -1, NULL);
  double *ours = g_new (double, rounds), *peer = g_new (double, rounds);
  for (int i = 0; i < rounds; i++) {
    peer[i] = sqlite_backup (db, out);
    ours[i] = vss_stream (out);
  }
  struct stat st;
  stat (db, &st);
  double mb = st.st_size / 1e6;
  double m_ours = median (ours, rounds), m_peer = median (peer, rounds);
  printf ("stream %.0f MB database, median of %d rounds:\n", mb, rounds);
  printf ("  sqlite3 .backup      %.3f s  (%.0f MB/s)\n", m_peer, mb / m_peer);
  printf ("  vss_cs streaming     %.3f s  (%.0f MB/s)\n", m_ours, mb / m_ours);
  printf ("  ratio vss_cs / sqlite3 .backup time: %.2f (below 1 is faster)\n", m_ours / m_peer);
  g_free (ours);
  g_free (peer);
}

/* ---- certutil waits during snapshots ---- */

static gint stop_backups;
static gint backups_done;

static void
wait_async (VssAsync *async)
{
  vss_async_wait (async, 60000, NULL);
  vss_async_unref (async);
}

static gpointer
backup_loop (gpointer data)
{
  const char *nss = data;
  while (!g_atomic_int_get (&stop_backups)) {
    VssBackupComponents *bc = vss_backup_components_new ();
    VssAsync *async = NULL;
    guint count = 0;
    vss_backup_components_initialize_for_backup (bc, NULL, NULL);
    vss_backup_components_set_backup_state (bc, TRUE, FALSE, VSS_BT_FULL, FALSE, NULL);
    vss_backup_components_gather_writer_metadata (bc, &async, NULL);
    wait_async (async);
    vss_backup_components_get_writer_metadata_count (bc, &count, NULL);
    for (guint i = 0; i < count; i++) {
      const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, i, NULL);
      for (guint c = 0; c < vss_writer_metadata_get_component_count (md); c++) {
        const VssWmComponent *wc = vss_writer_metadata_get_component (md, c);
        vss_backup_components_add_component (bc, NULL, vss_writer_metadata_get_writer_id (md),
                                             VSS_CT_DATABASE, vss_wm_component_get_logical_path (wc),
                                             vss_wm_component_get_name (wc), NULL);
      }
    }
    vss_backup_components_start_snapshot_set (bc, NULL, NULL);
    vss_backup_components_add_to_snapshot_set (bc, nss, "copy", NULL, NULL);
    vss_backup_components_prepare_for_backup (bc, &async, NULL);
    wait_async (async);
    vss_backup_components_do_snapshot_set (bc, &async, NULL);
    wait_async (async);
    vss_backup_components_free (bc);
    g_atomic_int_inc (&backups_done);
  }
  return NULL;
}

static void
certutil_runs (const char *nss, const char *pem, int runs, int offset, double *times)
{
  char command[8192];
  for (int i = 0; i < runs; i++) {
    snprintf (command, sizeof command, "certutil -A -d 'sql:%s' -n n%d -t ,, -i '%s'", nss,
              offset + i, pem);
    double start = now ();
    sh (command);
    times[i] = now () - start;
  }
}

static void
bench_certutil_wait (const char *work, int runs)
{
  char nss[4096], command[16384], pem[4096];
  snprintf (nss, sizeof nss, "%s/nss", work);
  snprintf (pem, sizeof pem, "%s/ca.pem", work);
  snprintf (command, sizeof command, "rm -rf '%s' && mkdir -p '%s' && head -c 256 /dev/urandom > "
            "'%s/noise.bin' && certutil -N -d 'sql:%s' --empty-password && certutil -S -d 'sql:%s' "
            "-n ca -s CN=ca -x -t CT,C,C -g 1024 -z '%s/noise.bin' >/dev/null 2>&1 && "
            "certutil -L -d 'sql:%s' -n ca -a > '%s'", nss, nss, work, nss, nss, work, nss, pem);
  sh (command);
  g_autofree char *conf = g_build_filename (g_getenv ("VSS_CONFIG_DIR"), "certificate.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[certificate]\nnss=%s\n", nss);
  g_file_set_contents (conf, text, -1, NULL);
  double *idle = g_new (double, runs), *busy = g_new (double, runs);
  certutil_runs (nss, pem, runs, 0, idle);
  GThread *thread = g_thread_new ("backups", backup_loop, nss);
  certutil_runs (nss, pem, runs, runs, busy);
  g_atomic_int_set (&stop_backups, 1);
  g_thread_join (thread);
  double max_busy = 0;
  for (int i = 0; i < runs; i++)
    max_busy = MAX (max_busy, busy[i]);
  printf ("certutil -A, %d runs each:\n", runs);
  printf ("  no backup running           median %.3f s\n", median (idle, runs));
  printf ("  snapshots back to back (%d)  median %.3f s, max %.3f s (NSS gives up at ~2 s)\n",
          g_atomic_int_get (&backups_done), median (busy, runs), max_busy);
  g_free (idle);
  g_free (busy);
}

int
main (int argc, char **argv)
{
  if (argc < 3) {
    fprintf (stderr, "usage: %s WORKDIR ROUNDS\n", argv[0]);
    return 64;
  }
  bench_stream (argv[1], atoi (argv[2]));
  bench_certutil_wait (argv[1], atoi (argv[2]) * 5);
  return 0;
}
