/* The vss_cs_* online API against a real WAL-mode CA database and a real
 * NSS database: argument rules, streaming under load, restore. */
#include "cert-fixture.h"

#include <linux/capability.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void
online_setup (void)
{
  cf_setup ();
  g_setenv ("VSS_WRITER_PATH", g_getenv ("VSS_TEST_CERT_WRITER_DIR"), TRUE);
}

TestSuite (online, .init = online_setup, .fini = cf_teardown, .timeout = 120);

static char *
make_wal_db (void)
{
  g_autofree char *dir = g_build_filename (cf.work, "ca", NULL);
  g_mkdir_with_parents (dir, 0700);
  char *db = g_build_filename (dir, "ca.db", NULL);
  g_free (cf_sh (FALSE, "sqlite3 '%s' 'PRAGMA journal_mode=WAL; CREATE TABLE certificates(id "
                        "INTEGER PRIMARY KEY, der BLOB);' >/dev/null", db));
  cf_write_conf (NULL, db, NULL);
  return db;
}

/* The first name of a list, without its type byte. */
static char *
first_name (const char *list, guint8 *out_type)
{
  *out_type = (guint8) list[0];
  return list[0] != '\0' ? g_strdup (list + 1) : NULL;
}

/* Reads the open file of @h (of @size bytes) into @dest and closes it. */
static void
stream_opened (VssCsHandle h, guint64 size, const char *dest)
{
  FILE *out = fopen (dest, "wb");
  guint8 buffer[65536];
  guint32 got = 0;
  guint64 total = 0;
  VssHResult hr;
  while ((hr = vss_cs_backup_read (h, buffer, sizeof buffer, &got)) == VSS_S_OK) {
    fwrite (buffer, 1, got, out);
    total += got;
  }
  fclose (out);
  cr_assert_eq (hr, VSS_WIN32_ERROR_HANDLE_EOF, "read ended with 0x%x after %" G_GUINT64_FORMAT
                " of %" G_GUINT64_FORMAT " bytes: %s", (unsigned) hr, total, size,
                vss_cs_get_last_error_message ());
  cr_assert_eq (total, size);
  cr_assert_eq (vss_cs_backup_close (h), VSS_S_OK);
}

static void
stream_to (VssCsHandle h, const char *name, const char *dest)
{
  guint64 size = 0;
  cr_assert_eq (vss_cs_backup_open_file (h, name, 65536, &size), VSS_S_OK, "%s", vss_cs_get_last_error_message ());
  stream_opened (h, size, dest);
}

Test (online, argument_rules)
{
  g_autofree char *db = make_wal_db ();
  VssCsHandle h = NULL;
  cr_assert_eq (vss_cs_backup_prepare (NULL, 1, VSS_CSBACKUP_TYPE_FULL, &h), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_cs_backup_prepare (NULL, 0, 4, &h), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert (strstr (vss_cs_get_last_error_message (), "backup_flags") != NULL);
  cr_assert_eq (vss_cs_backup_prepare ("bad_name", 0, VSS_CSBACKUP_TYPE_FULL, &h), VSS_WIN32_RPC_S_INVALID_BINDING);
  cr_assert_eq (vss_cs_backup_prepare ("elsewhere.example.org", 0, VSS_CSBACKUP_TYPE_FULL, &h),
                VSS_CS_E_COULD_NOT_CONNECT);
  gboolean online = FALSE;
  cr_assert_eq (vss_cs_is_server_online (g_get_host_name (), &online), VSS_S_OK);
  cr_assert (online);
  /* handle rules: one open file; nothing after end */
  cr_assert_eq (vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &h), VSS_S_OK, "%s", vss_cs_get_last_error_message ());
  guint64 size;
  cr_assert_eq (vss_cs_backup_open_file (h, db, 0, &size), VSS_S_OK, "%s", vss_cs_get_last_error_message ());
  cr_assert_eq (vss_cs_backup_open_file (h, db, 0, &size), VSS_CS_E_ALREADY_OPEN);
  cr_assert_eq (vss_cs_backup_open_file (h, "/etc/passwd", 0, &size), VSS_CS_E_ALREADY_OPEN);
  cr_assert_eq (vss_cs_backup_close (h), VSS_S_OK);
  cr_assert_eq (vss_cs_backup_open_file (h, "/etc/passwd", 0, &size), VSS_CS_E_LOG_FILE_NOT_FOUND);
  /* "no file is open" is hrInvalidHandle; a handle that is not a live one
   * of the right kind (ended, NULL, a restore handle) is an invalid
   * parameter */
  cr_assert_eq (vss_cs_backup_close (h), VSS_CS_E_INVALID_HANDLE);
  guint32 got = 0;
  char buffer[16];
  cr_assert_eq (vss_cs_backup_read (h, buffer, sizeof buffer, &got), VSS_CS_E_INVALID_HANDLE);
  cr_assert_eq (vss_cs_backup_end (h), VSS_S_OK);
  cr_assert_eq (vss_cs_backup_open_file (h, db, 0, &size), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_cs_backup_close (h), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_cs_backup_end (h), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_cs_backup_close (NULL), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_cs_restore_end (NULL), VSS_WIN32_ERROR_INVALID_PARAMETER);
}

Test (online, logs_only_of_journal_mode_store_refused)
{
  cf_require ("certutil");
  g_autofree char *nss = g_build_filename (cf.work, "nss", NULL);
  cf_make_nss (nss);
  cf_write_conf (nss, NULL, NULL);
  VssCsHandle h = NULL;
  cr_assert_eq (vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_LOGS_ONLY, &h), VSS_CS_E_CIRCULAR_LOGGING);
  cr_assert (strstr (vss_cs_get_last_error_message (), "journal_mode=delete") != NULL, "%s",
             vss_cs_get_last_error_message ());
  cr_assert_null (h);
  /* a full one lists both databases and pkcs11.txt as a dynamic file */
  char *list = NULL;
  guint32 size = 0;
  guint8 type;
  cr_assert_eq (vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &h), VSS_S_OK);
  cr_assert_eq (vss_cs_backup_get_dynamic_file_list (h, &list, &size), VSS_S_OK);
  g_autofree char *name = first_name (list, &type);
  cr_assert (g_str_has_suffix (name, "/pkcs11.txt"), "%s", name);
  vss_cs_backup_free (list);
  /* a rollback-journal database is not streamed in place (its shared
   * lock would stall certutil) but copied first: it still arrives whole */
  g_autofree char *cert9 = g_build_filename (nss, "cert9.db", NULL);
  g_autofree char *saved = g_build_filename (cf.work, "cert9-saved.db", NULL);
  stream_to (h, cert9, saved);
  g_autofree char *check = cf_sh (FALSE, "sqlite3 '%s' 'PRAGMA integrity_check; PRAGMA journal_mode'", saved);
  cr_assert_str_eq (check, "ok\ndelete\n");
  cr_assert_eq (vss_cs_backup_end (h), VSS_S_OK);
}

static gpointer
insert_load (gpointer data)
{
  sqlite3 *db = NULL;
  sqlite3_open (data, &db);
  sqlite3_busy_timeout (db, 5000);
  gint64 until = g_get_monotonic_time () + 700000;
  while (g_get_monotonic_time () < until)
    sqlite3_exec (db, "BEGIN IMMEDIATE; INSERT INTO certificates(der) VALUES (randomblob(500)), "
                      "(randomblob(500)); COMMIT;", NULL, NULL, NULL);
  sqlite3_close (db);
  return NULL;
}

/* One full backup while @db takes writes: the database, then its log.
 * FALSE when the log no longer fits the copy because an autocheckpoint
 * of the load restarted the WAL in between — the API then says to take
 * the backup again, as a client does. */
static gboolean
full_stream_under_load (const char *db, const char *saved_db, const char *saved_wal)
{
  GThread *load = g_thread_new ("load", insert_load, (gpointer) db);
  g_usleep (100000);
  VssCsHandle h = NULL;
  char *list = NULL;
  guint32 size = 0;
  guint8 type;
  cr_assert_eq (vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &h), VSS_S_OK, "%s", vss_cs_get_last_error_message ());
  cr_assert_eq (vss_cs_backup_get_database_names (h, &list, &size), VSS_S_OK);
  g_autofree char *db_name = first_name (list, &type);
  cr_assert_eq (type, VSS_CSBFT_CERTSERVER_DATABASE);
  cr_assert_str_eq (db_name, db);
  stream_to (h, list, saved_db);
  vss_cs_backup_free (list);
  cr_assert_eq (vss_cs_backup_get_backup_logs (h, &list, &size), VSS_S_OK);
  g_autofree char *log_name = first_name (list, &type);
  cr_assert_eq (type, VSS_BFT_LOG);
  guint64 log_size = 0;
  gboolean fits = vss_cs_backup_open_file (h, log_name, 65536, &log_size) == VSS_S_OK;
  if (!fits)
    cr_assert (strstr (vss_cs_get_last_error_message (), "take the backup again") != NULL, "%s",
               vss_cs_get_last_error_message ());
  else
    stream_opened (h, log_size, saved_wal);
  vss_cs_backup_free (list);
  cr_assert_eq (vss_cs_backup_end (h), VSS_S_OK);
  g_thread_join (load);
  return fits;
}

Test (online, full_stream_under_load_then_restore)
{
  g_autofree char *db = make_wal_db ();
  g_autofree char *saved = g_build_filename (cf.work, "saved", NULL);
  g_mkdir_with_parents (saved, 0700);
  g_autofree char *saved_db = g_build_filename (saved, "ca.db", NULL);
  g_autofree char *saved_wal = g_build_filename (saved, "ca.db-wal", NULL);
  guint tries = 1;
  while (!full_stream_under_load (db, saved_db, saved_wal) && tries < 5)
    tries++;
  cr_assert_lt (tries, 5, "no full backup under load fitted its log in 5 tries");
  cr_log_info ("full backup under load: %u tries", tries);
  VssCsHandle h = NULL;

  /* restore: shut down, register, complete */
  cr_assert_eq (vss_cs_restore_prepare (NULL, VSS_CSRESTORE_TYPE_FULL, &h), VSS_WIN32_ERROR_ACCESS_DENIED);
  cr_assert_eq (vss_cs_server_control (NULL, VSS_CSCONTROL_SHUTDOWN, NULL, NULL), VSS_S_OK);
  gboolean online = TRUE;
  cr_assert_eq (vss_cs_is_server_online (NULL, &online), VSS_S_OK);
  cr_assert_not (online);
  cr_assert_eq (vss_cs_restore_prepare (NULL, VSS_CSRESTORE_TYPE_FULL, &h), VSS_S_OK, "%s", vss_cs_get_last_error_message ());
  VssCsRestoreMapEntry map[] = { { db, saved_db } };
  cr_assert_eq (vss_cs_restore_register (h, saved, saved, map, 0, saved, 0, 0),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_cs_restore_register (h, saved, saved, map, 1, saved, 0, 0xFFFFF), VSS_S_OK,
                "%s", vss_cs_get_last_error_message ());
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_cs_restore_gate_check (db, &error));
  cr_assert (strstr (error->message, "register_complete") != NULL, "%s", error->message);
  cr_assert_eq (vss_cs_restore_register_complete (h, VSS_S_OK), VSS_S_OK, "%s", vss_cs_get_last_error_message ());
  cr_assert (vss_cs_restore_gate_check (db, NULL));
  cr_assert_eq (vss_cs_restore_end (h), VSS_S_OK);
  g_autofree char *check = cf_sh (FALSE, "sqlite3 '%s' 'PRAGMA integrity_check; SELECT count(*) = "
                                         "max(id) AND count(*) %% 2 = 0 AND count(*) > 0 FROM certificates'", db);
  cr_assert_str_eq (check, "ok\n1\n");
}

/* Another process writes pairs of rows as fast as it can, with a small
 * autocheckpoint and a full TRUNCATE checkpoint now and then: the
 * checkpoints rewrite the database file and restart the WAL while it is
 * streamed.  Every database streamed alone (no WAL) must be whole. */
static GPid
start_checkpointing_load (const char *db, const char *stop)
{
  g_autofree char *command = g_strdup_printf (
    "i=0; while [ ! -e '%s' ] && kill -0 %d 2>/dev/null; do i=$((i+1)); "
    "echo \"BEGIN IMMEDIATE; INSERT INTO certificates(der) VALUES (randomblob(700)), (randomblob(700)); COMMIT;\"; "
    "[ $((i %% 40)) -eq 0 ] && echo 'PRAGMA wal_checkpoint(TRUNCATE);'; done "
    "| sqlite3 -cmd '.timeout 5000' -cmd 'PRAGMA wal_autocheckpoint=1' '%s' >/dev/null",
    stop, (int) getpid (), db);
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  GPid pid;
  cr_assert (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL));
  return pid;
}

Test (online, database_streamed_alone_is_whole_under_checkpoints)
{
  g_autofree char *db = make_wal_db ();
  g_autofree char *stop = g_strconcat (db, ".stop", NULL);
  GPid load = start_checkpointing_load (db, stop);
  g_usleep (200000);
  g_autofree char *saved = g_build_filename (cf.work, "alone.db", NULL);
  gint64 previous = 0;
  for (int round = 0; round < 80; round++) {
    VssCsHandle h = NULL;
    cr_assert_eq (vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &h), VSS_S_OK, "%s", vss_cs_get_last_error_message ());
    unlink (saved);
    stream_to (h, db, saved);
    cr_assert_eq (vss_cs_backup_end (h), VSS_S_OK);
    g_autofree char *check = cf_sh (FALSE, "sqlite3 '%s' 'PRAGMA integrity_check; SELECT count(*) = "
                                           "coalesce(max(id), 0), count(*) %% 2, count(*) FROM certificates'", saved);
    gint64 count = 0;
    cr_assert (g_str_has_prefix (check, "ok\n1|0|"), "round %d: the streamed database is not whole: %s", round, check);
    count = g_ascii_strtoll (check + strlen ("ok\n1|0|"), NULL, 10);
    cr_assert_geq (count, previous, "round %d went back in time: %" G_GINT64_FORMAT " < %" G_GINT64_FORMAT, round, count, previous);
    previous = count;
    g_usleep (5000);
  }
  g_file_set_contents (stop, "", 0, NULL);
  waitpid (load, NULL, 0);
  g_spawn_close_pid (load);
  cr_assert_gt (previous, 0);
}

/* While a restore has closed a store's gate (the writer's pre_restore, or
 * vss_cs_restore_register), the CA writing to it anyway: no online backup
 * of it and no second restore registered on it. */
Test (online, a_gated_store_refuses_online_backup_and_a_second_restore)
{
  g_autofree char *db = make_wal_db ();
  GThread *load = g_thread_new ("load", insert_load, db);
  g_autoptr(GError) error = NULL;
  cr_assert (vss_cs_restore_gate_close (db, &error), "%s", error ? error->message : "");
  VssCsHandle h = NULL;
  VssHResult hr = vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &h);
  cr_assert_eq (hr, VSS_CS_E_RESTORE_IN_PROGRESS, "backup of a gated store: 0x%08X %s", hr,
                vss_cs_get_last_error_message ());
  cr_assert_null (h);
  g_thread_join (load);
  cr_assert_eq (vss_cs_server_control (NULL, VSS_CSCONTROL_SHUTDOWN, NULL, NULL), VSS_S_OK);
  cr_assert_eq (vss_cs_restore_prepare (NULL, VSS_CSRESTORE_TYPE_FULL, &h), VSS_S_OK);
  VssCsRestoreMapEntry map[] = { { db, db } };
  hr = vss_cs_restore_register (h, cf.work, cf.work, map, 1, cf.work, 0, 0);
  cr_assert_eq (hr, VSS_CS_E_RESTORE_IN_PROGRESS, "a second restore: 0x%08X %s", hr,
                vss_cs_get_last_error_message ());
  cr_assert_eq (vss_cs_restore_end (h), VSS_S_OK);
  vss_cs_restore_gate_open (db);
}

/* In a child that is nobody: a whole full backup of the store (prepare,
 * its database streamed to the end, end).  0 when it worked; 3 when it
 * was refused with ACCESS_DENIED naming CAP_DAC_OVERRIDE; 4 otherwise. */
static int
backup_as_nobody_body (gpointer data)
{
  VssCsHandle h = NULL;
  char *list = NULL;
  guint32 size = 0;
  guint8 type;
  guint64 length = 0;
  VssHResult hr = vss_cs_backup_prepare (NULL, 0, VSS_CSBACKUP_TYPE_FULL, &h);
  if (hr == VSS_S_OK && (hr = vss_cs_backup_get_database_names (h, &list, &size)) == VSS_S_OK) {
    g_autofree char *name = first_name (list, &type);
    vss_cs_backup_free (list);
    if ((hr = vss_cs_backup_open_file (h, name, 65536, &length)) == VSS_S_OK) {
      guint8 buffer[65536];
      guint32 got = 0;
      while ((hr = vss_cs_backup_read (h, buffer, sizeof buffer, &got)) == VSS_S_OK)
        ;
      hr = hr == VSS_WIN32_ERROR_HANDLE_EOF ? vss_cs_backup_close (h) : hr;
    }
  }
  g_printerr ("certificate backup as nobody: 0x%08X %s\n", hr, vss_cs_get_last_error_message ());
  if (h != NULL)
    vss_cs_backup_end (h);
  if (hr == VSS_S_OK)
    return 0;
  return hr == VSS_WIN32_ERROR_ACCESS_DENIED &&
         strstr (vss_cs_get_last_error_message (), "CAP_DAC_OVERRIDE") != NULL ? 3 : 4;
}

/* The privilege the refusal names is the one that works: with it a whole
 * backup runs; with only CAP_DAC_READ_SEARCH (reads, but cannot take the
 * store's locks or register a reader in its -shm) it is refused up front,
 * not halfway through the stream. */
Test (online, privileges_are_the_documented_ones)
{
  if (geteuid () != 0)
    cr_skip_test ("needs root to become nobody with chosen capabilities");
  g_autofree char *db = make_wal_db ();
  g_free (cf_sh (FALSE, "sqlite3 '%s' \"INSERT INTO certificates(der) VALUES (x'01')\"", db));
  cr_assert_eq (vss_test_as_nobody (VSS_TEST_CAP (CAP_DAC_OVERRIDE), backup_as_nobody_body, NULL), 0,
                "nobody with CAP_DAC_OVERRIDE could not back up the store");
  cr_assert_eq (vss_test_as_nobody (VSS_TEST_CAP (CAP_DAC_READ_SEARCH), backup_as_nobody_body, NULL), 3,
                "nobody with only CAP_DAC_READ_SEARCH was not refused up front naming the privilege");
  cr_assert_eq (vss_test_as_nobody (0, backup_as_nobody_body, NULL), 3);
}

/* A gate names the restore that closed it: another live restore can
 * neither take it over nor open it; one whose process is gone — or whose
 * pid now belongs to another process — is taken over. */
Test (online, a_restore_gate_belongs_to_the_restore_that_closed_it)
{
  g_autofree char *db = g_build_filename (cf.work, "ca.db", NULL);
  int ready[2];
  cr_assert_eq (pipe (ready), 0);
  pid_t holder = fork ();
  cr_assert_geq (holder, 0);
  if (holder == 0) {
    char ok = vss_cs_restore_gate_close (db, NULL) ? 'y' : 'n';
    (void) !write (ready[1], &ok, 1);
    pause ();
    _exit (0);
  }
  char ok = 0;
  cr_assert_eq (read (ready[0], &ok, 1), 1);
  cr_assert_eq (ok, 'y');
  g_autoptr(GError) error = NULL;
  cr_assert_not (vss_cs_restore_gate_close (db, &error), "took over the gate of a live restore");
  cr_assert (strstr (error->message, "another restore") != NULL, "%s", error->message);
  vss_cs_restore_gate_open (db);
  cr_assert_not (vss_cs_restore_gate_check (db, NULL), "opened the gate of a live restore");
  kill (holder, SIGKILL);
  waitpid (holder, NULL, 0);
  g_clear_error (&error);
  cr_assert (vss_cs_restore_gate_close (db, &error), "%s", error ? error->message : "");
  vss_cs_restore_gate_open (db);
  cr_assert (vss_cs_restore_gate_check (db, NULL));

  /* pid 1 lives, but did not start at tick 1: a reused pid */
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA1, db, -1);
  g_autofree char *gate = g_build_filename (g_getenv ("VSS_STATE_DIR"), "cs-restore-gate", sum, NULL);
  g_autofree char *stale = g_strdup_printf ("%s\npid=1\nstart=1\nowner=x\n", db);
  vss_test_put_file (gate, stale, 0644);
  cr_assert_not (vss_cs_restore_gate_check (db, NULL));
  g_clear_error (&error);
  cr_assert (vss_cs_restore_gate_close (db, &error), "a reused pid held the gate: %s",
             error ? error->message : "");
  vss_cs_restore_gate_open (db);
  cr_assert (vss_cs_restore_gate_check (db, NULL));
  close (ready[0]);
  close (ready[1]);
}
