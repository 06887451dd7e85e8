/* A WAL-mode CA database: full + log backups under a steady insert load,
 * the log chain rule, and truncation only after a successful backup. */
#include "cert-fixture.h"

#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite (wal, .init = cf_setup, .fini = cf_teardown, .timeout = 120);

static char *db_path;

/* The application lives in other processes, as a CA would: a copy
 * provider in this (the requester's) process opens and closes the files,
 * which would drop POSIX locks of connections of this process. */

/* A sqlite3 shell holding the database open (so the WAL persists),
 * running what the test sends it. */
typedef struct {
  GPid pid;
  int in, out;
} Keeper;

static Keeper keeper;

static void
keeper_exec (const char *sql)
{
  g_autofree char *text = g_strdup_printf ("%s\n.print done\n", sql);
  cr_assert_eq (write (keeper.in, text, strlen (text)), (ssize_t) strlen (text));
  GString *got = g_string_new (NULL);
  char c;
  while (!g_str_has_suffix (got->str, "done\n") && read (keeper.out, &c, 1) == 1)
    g_string_append_c (got, c);
  g_string_free (got, TRUE);
}

static GPid
spawn_shell (const char *command, int *in, int *out)
{
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  GPid pid;
  g_autoptr(GError) error = NULL;
  cr_assert (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                       NULL, NULL, &pid, in, out, NULL, &error),
             "%s", error ? error->message : "");
  return pid;
}

/* Rows go in pairs, one transaction each, from another sqlite3 process:
 * a consistent copy has an even count with no gap. */
typedef struct {
  GPid pid;
  char *stop;
} Load;

static void
load_start (Load *load)
{
  load->stop = g_strconcat (db_path, ".stop", NULL);
  g_autofree char *command = g_strdup_printf (
    "(while [ ! -e '%s' ] && kill -0 %d 2>/dev/null; do "
    "echo \"BEGIN IMMEDIATE; INSERT INTO certificates(subject, der) "
    "VALUES ('CN=a', randomblob(300)), ('CN=b', randomblob(300)); COMMIT;\"; sleep 0.003; done) "
    "| sqlite3 -cmd '.timeout 5000' -cmd 'PRAGMA wal_autocheckpoint=0' '%s' >/dev/null",
    load->stop, (int) getpid (), db_path);
  load->pid = spawn_shell (command, NULL, NULL);
}

static void
load_stop (Load *load)
{
  g_file_set_contents (load->stop, "", 0, NULL);
  waitpid (load->pid, NULL, 0);
  g_spawn_close_pid (load->pid);
  g_free (load->stop);
}

static char *
ca_dir (void)
{
  return g_path_get_dirname (db_path);
}

static sqlite3 *
open_db (const char *path)
{
  sqlite3 *db = NULL;
  cr_assert_eq (sqlite3_open (path, &db), SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
make_ca_db (void)
{
  g_autofree char *dir = g_build_filename (cf.work, "ca", NULL);
  g_mkdir_with_parents (dir, 0700);
  db_path = g_build_filename (dir, "ca.db", NULL);
  g_autofree char *command = g_strdup_printf ("exec sqlite3 -cmd '.timeout 5000' -cmd "
                                              "'PRAGMA wal_autocheckpoint=0' '%s'", db_path);
  keeper.pid = spawn_shell (command, &keeper.in, &keeper.out);
  keeper_exec ("PRAGMA journal_mode=WAL; CREATE TABLE certificates(id INTEGER PRIMARY KEY, "
               "subject TEXT, der BLOB);");
  cf_write_conf (NULL, db_path, NULL);
}

static void
close_keeper (void)
{
  close (keeper.in);
  close (keeper.out);
  waitpid (keeper.pid, NULL, 0);
  g_spawn_close_pid (keeper.pid);
  g_clear_pointer (&db_path, g_free);
}

static gint64
query_int (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  cr_assert_eq (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK, "%s", sqlite3_errmsg (db));
  cr_assert_eq (sqlite3_step (stmt), SQLITE_ROW, "%s", sqlite3_errmsg (db));
  gint64 value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static gint64
count_rows (void)
{
  sqlite3 *db = open_db (db_path);
  gint64 count = query_int (db, "SELECT count(*) FROM certificates");
  sqlite3_close (db);
  return count;
}

static goffset
file_size (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 ? st.st_size : -1;
}

static char *
in (const char *dir, const char *leaf)
{
  return g_build_filename (dir, leaf, NULL);
}

/* Puts @wal (if there is one) beside @db and checkpoints it in.  A
 * checkpoint on a connection that has not read the database yet is a
 * no-op (the WAL is not open): read the schema first. */
static void
apply_wal_file (const char *db, const char *wal)
{
  g_free (cf_sh (FALSE, "rm -f '%s-shm' '%s-wal' && { [ ! -s '%s' ] || cp '%s' '%s-wal'; }", db, db,
                 wal, wal, db));
  sqlite3 *s = open_db (db);
  cr_assert_eq (query_int (s, "SELECT count(*) FROM sqlite_schema") > 0, TRUE);
  cr_assert_eq (sqlite3_wal_checkpoint_v2 (s, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL), SQLITE_OK);
  sqlite3_close (s);
}

/* Restore as the writer does: the full backup's database and WAL, then
 * the log set's carried frames (kept at the truncation after the full
 * backup), then its WAL on top (left for the caller to open). */
static char *
restore (const char *full, const char *log)
{
  g_autofree char *target = in (cf.work, "restored");
  g_mkdir_with_parents (target, 0700);
  g_autofree char *db = in (target, "ca.db");
  g_autofree char *full_db = in (full, "ca.db"), *full_wal = in (full, "ca.db-wal");
  g_autofree char *carry = in (log, ".ca.db.vss-carry-wal"), *log_wal = in (log, "ca.db-wal");
  g_free (cf_sh (FALSE, "cp '%s' '%s'", full_db, db));
  apply_wal_file (db, full_wal);
  apply_wal_file (db, carry);
  g_free (cf_sh (FALSE, "rm -f '%s-shm' && cp '%s' '%s-wal'", db, log_wal, db));
  return g_steal_pointer (&db);
}

Test (wal, full_then_log_backups_round_trip_under_load)
{
  make_ca_db ();
  g_autofree char *dir_of_db = ca_dir ();
  Load load;
  load_start (&load);
  g_usleep (200000);
  g_autofree char *full = in (cf.work, "full"), *log1 = in (cf.work, "log1"), *log2 = in (cf.work, "log2");
  g_autofree char *s_full = NULL, *s_log1 = NULL, *s_log2 = NULL;
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  g_autoptr(GError) error = NULL;
  /* full, succeeded: the WAL is truncated after it */
  cr_assert (cf_backup (dir_of_db, VSS_BT_FULL, NULL, TRUE, full, NULL, &s_full, &error), "%s", error ? error->message : "");
  g_usleep (200000);
  /* log 1, not succeeded: the WAL keeps its frames */
  cr_assert (cf_backup (dir_of_db, VSS_BT_LOG, s_full, FALSE, log1, NULL, &s_log1, &error), "%s", error ? error->message : "");
  g_usleep (200000);
  gint64 before = count_rows ();
  cr_assert (cf_backup (dir_of_db, VSS_BT_LOG, s_log1, FALSE, log2, NULL, &s_log2, &error), "%s", error ? error->message : "");
  gint64 after = count_rows ();
  load_stop (&load);
  cr_log_info ("stamps: %s | %s | %s", s_full, s_log1, s_log2);
  g_autofree char *db = restore (full, log2);
  sqlite3 *r = open_db (db);
  sqlite3_stmt *stmt = NULL;
  sqlite3_prepare_v2 (r, "PRAGMA integrity_check", -1, &stmt, NULL);
  cr_assert_eq (sqlite3_step (stmt), SQLITE_ROW);
  cr_assert_str_eq ((const char *) sqlite3_column_text (stmt, 0), "ok");
  sqlite3_finalize (stmt);
  gint64 count = query_int (r, "SELECT count(*) FROM certificates");
  gint64 max_id = query_int (r, "SELECT coalesce(max(id), 0) FROM certificates");
  sqlite3_close (r);
  cr_assert_eq (count % 2, 0, "a half transaction: %" G_GINT64_FORMAT " rows", count);
  cr_assert_eq (count, max_id, "rows missing: %" G_GINT64_FORMAT " rows, max id %" G_GINT64_FORMAT, count, max_id);
  cr_assert (count >= before && count <= after,
             "restored %" G_GINT64_FORMAT " rows; the log backup ran between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, count, before, after);
  cr_assert_gt (file_size (wal), 0);
  close_keeper ();
}

/* The WAL generation's salt1 (header offset 16): the next write after a
 * restart of the log gives it one more. */
static guint32
wal_salt1 (void)
{
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  g_autofree char *data = NULL;
  gsize size = 0;
  cr_assert (g_file_get_contents (wal, &data, &size, NULL) && size >= 32);
  const guint8 *p = (const guint8 *) data + 16;
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

Test (wal, truncation_only_after_success)
{
  make_ca_db ();
  g_autofree char *dir_of_db = ca_dir ();
  keeper_exec ("INSERT INTO certificates(subject) VALUES ('CN=x');");
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  goffset size = file_size (wal);
  guint32 salt1 = wal_salt1 ();
  cr_assert_gt (size, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *stamp = NULL, *stamp2 = NULL;
  cr_assert (cf_backup (dir_of_db, VSS_BT_FULL, NULL, FALSE, NULL, NULL, &stamp, &error), "%s", error ? error->message : "");
  cr_assert_eq (file_size (wal), size, "the WAL changed after a backup marked failed");
  keeper_exec ("INSERT INTO certificates(subject) VALUES ('CN=y');");
  cr_assert_eq (wal_salt1 (), salt1, "the log was restarted after a backup marked failed");
  cr_assert (cf_backup (dir_of_db, VSS_BT_FULL, NULL, TRUE, NULL, NULL, &stamp2, &error), "%s", error ? error->message : "");
  /* checkpointed and restarted: the next write begins the next generation */
  keeper_exec ("INSERT INTO certificates(subject) VALUES ('CN=z');");
  cr_assert_eq (wal_salt1 (), salt1 + 1, "the log was not restarted after a successful backup");
  /* which continues the chain after our own truncation */
  g_autofree char *stamp3 = NULL;
  cr_assert (cf_backup (dir_of_db, VSS_BT_LOG, stamp2, TRUE, NULL, NULL, &stamp3, &error), "%s", error ? error->message : "");
  cr_assert (strstr (stamp3, " frames=1") != NULL, "the log backup after the restart holds %s", stamp3);
  close_keeper ();
}

Test (wal, log_backup_after_wal_reset_refused)
{
  make_ca_db ();
  g_autofree char *dir_of_db = ca_dir ();
  keeper_exec ("INSERT INTO certificates(subject) VALUES ('CN=x');");
  g_autoptr(GError) error = NULL;
  g_autofree char *stamp = NULL;
  cr_assert (cf_backup (dir_of_db, VSS_BT_FULL, NULL, FALSE, NULL, NULL, &stamp, &error), "%s", error ? error->message : "");
  /* someone else checkpoints everything and writes: a new WAL generation */
  keeper_exec ("PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO certificates(subject) VALUES ('CN=y');");
  cr_assert_not (cf_backup (dir_of_db, VSS_BT_LOG, stamp, TRUE, NULL, NULL, NULL, &error));
  cr_assert (strstr (error->message, "take a full backup") != NULL, "%s", error->message);
  cr_assert (strstr (error->message, "reset") != NULL, "%s", error->message);
  g_clear_error (&error);
  /* and a log backup with no stamp at all */
  cr_assert_not (cf_backup (dir_of_db, VSS_BT_LOG, NULL, TRUE, NULL, NULL, NULL, &error));
  cr_assert (strstr (error->message, "set_previous_backup_stamp") != NULL, "%s", error->message);
  close_keeper ();
}

Test (wal, bad_configuration_says_what_to_fix)
{
  /* a database that is gone is named at backup (a restore may bring it back) */
  g_autofree char *missing = in (cf.work, "nope.db");
  cf_write_conf (NULL, missing, NULL);
  g_autoptr(GError) error = NULL;
  cr_assert_not (cf_backup (cf.work, VSS_BT_FULL, NULL, TRUE, NULL, NULL, NULL, &error));
  cr_assert (strstr (error->message, "nope.db") != NULL && strstr (error->message, "does not exist") != NULL,
             "%s", error->message);
  g_clear_error (&error);
  /* a directory that is not there cannot be a place for one */
  g_autofree char *nowhere = in (cf.work, "no-dir/nope.db");
  cf_write_conf (NULL, nowhere, NULL);
  cr_assert_not (cf_backup (cf.work, VSS_BT_FULL, NULL, TRUE, NULL, NULL, NULL, &error));
  cr_assert (strstr (error->message, "no-dir") != NULL && strstr (error->message, "fix the path") != NULL,
             "%s", error->message);
}
