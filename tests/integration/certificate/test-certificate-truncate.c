/* vss_cs_backup_truncate_logs against a CA process that holds its WAL-mode
 * database open and writes: the truncation really happens (the WAL
 * generation advances, the next log backup holds only later frames) or
 * the call fails saying why. */
#include "cert-fixture.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
truncate_setup (void)
{
  cf_setup ();
  g_setenv ("VSS_WRITER_PATH", g_getenv ("VSS_TEST_CERT_WRITER_DIR"), TRUE);
}

TestSuite (truncate, .init = truncate_setup, .fini = cf_teardown, .timeout = 120);

/* The CA: one sqlite3 process, its database open all along, a row every
 * 50 ms, no automatic checkpoint. */
static GPid
start_ca (const char *db, const char *stop)
{
  g_autofree char *command = g_strdup_printf (
    "while [ ! -e '%s' ] && kill -0 %d 2>/dev/null; do "
    "echo \"INSERT INTO certificates(der) VALUES (randomblob(300));\"; sleep 0.05; done "
    "| sqlite3 -cmd '.timeout 5000' -cmd 'PRAGMA wal_autocheckpoint=0' '%s' >/dev/null",
    stop, (int) getpid (), db);
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  GPid pid;
  cr_assert (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &pid, NULL));
  return pid;
}

/* The WAL generation of a WAL file: checkpoint sequence and salt-1. */
static guint64
generation_of (const char *wal)
{
  guint8 header[32] = { 0 };
  FILE *f = fopen (wal, "rb");
  cr_assert_not_null (f, "no %s", wal);
  cr_assert_eq (fread (header, 1, sizeof header, f), sizeof header, "%s: no header", wal);
  fclose (f);
  guint32 seq = ((guint32) header[12] << 24) | ((guint32) header[13] << 16) |
                ((guint32) header[14] << 8) | header[15];
  guint32 salt1 = ((guint32) header[16] << 24) | ((guint32) header[17] << 16) |
                  ((guint32) header[18] << 8) | header[19];
  return ((guint64) seq << 32) | salt1;
}

static void
stream_to (VssCsHandle h, const char *name, const char *dest)
{
  guint64 size = 0;
  cr_assert_eq (vss_cs_backup_open_file (h, name, 0, &size), VSS_S_OK, "%s",
                vss_cs_get_last_error_message ());
  FILE *out = fopen (dest, "wb");
  guint8 buffer[65536];
  guint32 got = 0;
  while (vss_cs_backup_read (h, buffer, sizeof buffer, &got) == VSS_S_OK)
    fwrite (buffer, 1, got, out);
  fclose (out);
  cr_assert_eq (vss_cs_backup_close (h), VSS_S_OK);
}

Test (truncate, truncation_advances_the_wal_while_the_ca_writes)
{
  g_autofree char *dir = g_build_filename (cf.work, "ca", NULL);
  g_mkdir_with_parents (dir, 0700);
  g_autofree char *db = g_build_filename (dir, "ca.db", NULL);
  g_autofree char *wal = g_strconcat (db, "-wal", NULL);
  g_autofree char *stop = g_strconcat (db, ".stop", NULL);
  g_free (cf_sh (FALSE, "sqlite3 '%s' 'PRAGMA journal_mode=WAL; CREATE TABLE certificates(id "
                        "INTEGER PRIMARY KEY, der BLOB);' >/dev/null", db));
  cf_write_conf (NULL, db, NULL);
  GPid ca = start_ca (db, stop);
  g_usleep (400000);
  VssCsHandle h = NULL;
  cr_assert_eq (vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &h), VSS_S_OK, "%s",
                vss_cs_get_last_error_message ());
  g_autofree char *saved_db = g_build_filename (cf.work, "saved.db", NULL);
  g_autofree char *saved_wal = g_build_filename (cf.work, "saved.db-wal", NULL);
  stream_to (h, db, saved_db);
  guint64 before = generation_of (wal);
  /* a log truncated must be saved first; writes racing the truncation
   * may refuse it (saying so): save the log again, truncate again */
  VssHResult hr = VSS_CS_E_ERROR;
  for (int attempt = 0; attempt < 10 && hr != VSS_S_OK; attempt++) {
    stream_to (h, wal, saved_wal);
    hr = vss_cs_backup_truncate_logs (h);
    if (hr != VSS_S_OK)
      cr_log_info ("truncation %d: 0x%08X %s", attempt, hr, vss_cs_get_last_error_message ());
  }
  cr_assert_eq (hr, VSS_S_OK, "%s", vss_cs_get_last_error_message ());
  cr_assert_eq (vss_cs_backup_end (h), VSS_S_OK);
  g_usleep (400000);                     /* the CA writes on: a new generation */
  guint64 after = generation_of (wal);
  cr_assert_neq (after, before, "truncate_logs said S_OK but the WAL was not truncated: it is "
                 "still generation %016" G_GINT64_MODIFIER "x", before);
  /* the next log backup holds only frames written after the truncation */
  cr_assert_eq (vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_LOGS_ONLY, &h), VSS_S_OK, "%s",
                vss_cs_get_last_error_message ());
  g_autofree char *next_wal = g_build_filename (cf.work, "next.db-wal", NULL);
  stream_to (h, wal, next_wal);
  cr_assert_eq (vss_cs_backup_end (h), VSS_S_OK);
  cr_assert_neq (generation_of (next_wal), before, "the next log backup holds the old frames");
  g_file_set_contents (stop, "", 0, NULL);
  waitpid (ca, NULL, 0);
  g_spawn_close_pid (ca);
}

Test (truncate, a_log_not_saved_by_the_handle_is_not_truncated)
{
  g_autofree char *dir = g_build_filename (cf.work, "ca", NULL);
  g_mkdir_with_parents (dir, 0700);
  g_autofree char *db = g_build_filename (dir, "ca.db", NULL);
  g_autofree char *stop = g_strconcat (db, ".stop", NULL);
  g_free (cf_sh (FALSE, "sqlite3 '%s' 'PRAGMA journal_mode=WAL; CREATE TABLE certificates(id "
                        "INTEGER PRIMARY KEY, der BLOB);' >/dev/null", db));
  cf_write_conf (NULL, db, NULL);
  GPid ca = start_ca (db, stop);
  g_usleep (300000);
  VssCsHandle h = NULL;
  cr_assert_eq (vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &h), VSS_S_OK);
  cr_assert_eq (vss_cs_backup_truncate_logs (h), VSS_CS_E_LOG_FILE_NOT_FOUND,
                "truncating a log nobody saved must fail: %s", vss_cs_get_last_error_message ());
  cr_assert (strstr (vss_cs_get_last_error_message (), "not saved") != NULL, "%s",
             vss_cs_get_last_error_message ());
  cr_assert_eq (vss_cs_backup_end (h), VSS_S_OK);
  g_file_set_contents (stop, "", 0, NULL);
  waitpid (ca, NULL, 0);
  g_spawn_close_pid (ca);
}
