/* pg-session.c — the backup-mode session, over libpq.
 *
 * Non-exclusive backup mode belongs to a session: it ends when the
 * connection closes, so the writer keeps one connection from
 * prepare_snapshot until the WAL is copied.  On it, a temporary physical
 * replication slot keeps PostgreSQL from recycling the WAL the backup
 * needs between pg_backup_stop and the requester's copy; it goes away
 * with the connection too, so nothing outlives a crashed backup. */
#include "pg-writer.h"

#include <unistd.h>

struct _PgSession {
  PGconn *conn;
  guint64 segment_bytes;   /* wal_segment_size */
  guint switch_wait_ms;
};

void
pg_session_close (PgSession *self)
{
  if (self == NULL)
    return;
  if (self->conn != NULL)
    PQfinish (self->conn);
  g_free (self);
}

PGresult *
pg_result_checked (PGconn *conn, PGresult *res, const char *what, GError **error)
{
  ExecStatusType status = PQresultStatus (res);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
    return res;
  /* no result at all: the connection says why */
  g_autofree char *msg = g_strdup (res != NULL ? PQresultErrorMessage (res) : PQerrorMessage (conn));
  PQclear (res);
  g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "%s: %s", what, g_strstrip (msg));
  return NULL;
}

/* Runs @sql with @n text parameters; the result when it returned tuples or
 * a command status, else NULL with the server's message. */
static PGresult *
run (PgSession *self, const char *sql, int n, const char *const *params, GError **error)
{
  return pg_result_checked (self->conn,
                            PQexecParams (self->conn, sql, n, NULL, params, NULL, NULL, 0), sql,
                            error);
}

PGconn *
pg_connect (const PgConfig *config, GError **error)
{
  const char *keys[] = { "host", "port", "user", "dbname", "application_name",
                         "connect_timeout", NULL };
  const char *values[] = { config->socket_dir, config->port, config->user, config->database,
                           "vss-writer", "10", NULL };
  PGconn *conn = PQconnectdbParams (keys, values, 0);
  if (PQstatus (conn) == CONNECTION_OK)
    return conn;
  g_autofree char *msg = g_strdup (PQerrorMessage (conn));
  PQfinish (conn);
  g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
               "cannot connect to PostgreSQL (socket directory %s, port %s, user %s): %s",
               config->socket_dir, config->port, config->user, g_strstrip (msg));
  return NULL;
}

/* A single-value query's answer as a number; FALSE when it failed. */
static gboolean
query_u64 (PgSession *self, const char *sql, guint64 *out)
{
  PGresult *res = PQexec (self->conn, sql);
  gboolean ok = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1 &&
                !PQgetisnull (res, 0, 0);
  if (ok)
    *out = g_ascii_strtoull (PQgetvalue (res, 0, 0), NULL, 10);
  PQclear (res);
  return ok;
}

gboolean
pg_session_insert_lsn (PgSession *self, guint64 *out)
{
  return query_u64 (self, "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')", out);
}

/* wal_init_zero = on (PostgreSQL's default): a switch whose next segment
 * was not recycled creates it and writes 16 MiB of zeros into it before
 * clients commit again, ~10 ms more of their stall here
 * (bench/postgresql/bench-switch.sh with BENCH_PGCONF): worth a word. */
static const char *
zero_fill_note (PgSession *self)
{
  guint64 on = 0;
  return query_u64 (self, "SELECT (setting = 'on')::int FROM pg_settings "
                          "WHERE name = 'wal_init_zero'", &on) && on == 1
             ? "; wal_init_zero is on: a switch that has to create its next WAL segment fills "
               "it with zeros while clients wait (set it off to spare them; the writer's README)"
             : "";
}

/* Before a call that forces a WAL switch: near the segment's end. */
static char *
time_the_switch (PgSession *self)
{
  PgSwitchWait wait = pg_switch_wait_for_segment_end (self, self->segment_bytes,
                                                      self->switch_wait_ms);
  return pg_switch_wait_describe (&wait, self->switch_wait_ms);
}

PgSession *
pg_session_start (const PgConfig *config, const char *label, char **out_note, GError **error)
{
  g_autoptr(PgSession) self = g_new0 (PgSession, 1);
  self->conn = pg_connect (config, error);
  if (self->conn == NULL)
    return NULL;
  self->switch_wait_ms = config->wal_switch_wait_ms;
  if (!query_u64 (self, "SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'",
                  &self->segment_bytes))
    self->switch_wait_ms = 0;
  g_autofree char *slot = g_strdup_printf ("vss_%d_%" G_GINT64_FORMAT, (int) getpid (),
                                           g_get_real_time ());
  const char *slot_params[] = { slot };
  /* temporary (dropped with the session), reserving WAL from now on */
  PGresult *res = run (self, "SELECT pg_create_physical_replication_slot($1, true, true)", 1,
                       slot_params, error);
  if (res == NULL)
    return NULL;
  PQclear (res);
  g_autofree char *switched = time_the_switch (self);
  g_autofree char *checkpoint = NULL;
  res = pg_checkpoint_backup_start (self->conn, config, label, &checkpoint, error);
  if (res == NULL)
    return NULL;
  PQclear (res);
  *out_note = g_strdup_printf ("%s; %s%s", switched, checkpoint, zero_fill_note (self));
  return g_steal_pointer (&self);
}

PgBackupEnd *
pg_session_stop (PgSession *self, char **out_switch, GError **error)
{
  *out_switch = time_the_switch (self);
  /* wait_for_archive false: the backup's WAL is copied by the requester,
   * not taken from an archive */
  PGresult *res = run (self, "SELECT lsn::text, labelfile, spcmapfile, pg_walfile_name(lsn), "
                       "(SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') "
                       "FROM pg_backup_stop(false)", 0, NULL, error);
  if (res == NULL)
    return NULL;
  g_autoptr(PgBackupEnd) end = g_new0 (PgBackupEnd, 1);
  end->stop_lsn = g_strdup (PQgetvalue (res, 0, 0));
  end->label = g_strdup (PQgetvalue (res, 0, 1));
  end->tablespace_map = g_strdup (PQgetisnull (res, 0, 2) ? "" : PQgetvalue (res, 0, 2));
  end->stop_wal = g_strdup (PQgetvalue (res, 0, 3));
  end->segment_bytes = g_ascii_strtoull (PQgetvalue (res, 0, 4), NULL, 10);
  PQclear (res);
  end->start_wal = pg_label_start_wal (end->label);
  end->start_lsn = pg_label_start_lsn (end->label);
  if (end->start_wal == NULL || end->start_lsn == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                 "pg_backup_stop returned a label without a START WAL LOCATION line");
    return NULL;
  }
  return g_steal_pointer (&end);
}
