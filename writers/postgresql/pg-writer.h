/* pg-writer.h — what the PostgreSQL writer's files share. */
#pragma once

#include <libpq-fe.h>
#include <vss/vss.h>

G_BEGIN_DECLS

#define PG_WRITER_ID "5c3a9e10-7d42-4b6f-9e21-8f0d4c6b2a71"

/* <config dir>/postgresql.conf, [postgresql] (pg-config.c). */
typedef struct {
  char *data_directory;   /* canonical */
  char *wal_directory;    /* data_directory/pg_wal, a directory of its own */
  char *port;
  char *socket_dir;
  char *user;
  char *database;
  gboolean fast_checkpoint; /* pg_backup_start's checkpoint at once, or spread */
  guint checkpoint_limit_ms; /* how long a spread one may take before it is hurried */
  guint wal_switch_wait_ms; /* how long a forced WAL switch may wait for its segment's end */
} PgConfig;

PgConfig *pg_config_load (const char *config_dir, GError **error);
void      pg_config_free (PgConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PgConfig, pg_config_free)

/* What pg_backup_stop returns, kept as the data component's backup
 * metadata (a key file, pg-label.c). */
typedef struct {
  char *label;            /* the backup_label file's content */
  char *tablespace_map;   /* "" when there are no tablespaces */
  char *start_lsn;        /* where the backup's WAL starts (from the label) */
  char *start_wal;        /* the WAL file of the backup's start (from the label) */
  char *stop_wal;         /* the WAL file holding the stop LSN */
  char *stop_lsn;
  guint64 segment_bytes;  /* wal_segment_size */
} PgBackupEnd;

void         pg_backup_end_free (PgBackupEnd *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PgBackupEnd, pg_backup_end_free)
char        *pg_backup_end_to_metadata (const PgBackupEnd *self);
PgBackupEnd *pg_backup_end_from_metadata (const char *text, GError **error);
/* Does the WAL file @path hold, at the page of @lsn ("X/Y"), the page
 * PostgreSQL wrote there (its header's address) — not a recycled file of
 * the same name?  FALSE with why in @error. */
gboolean     pg_wal_reaches (const char *path, const char *lsn, guint64 segment_bytes,
                             GError **error);
/* Removes the WAL segments of @wal_dir named after @last: left from the
 * directory restored over, they would be replayed past the backup. */
gboolean     pg_wal_remove_after (const char *wal_dir, const char *last, guint *out_removed,
                                  GError **error);
/* The WAL file named on the label's "START WAL LOCATION" line, or NULL. */
char        *pg_label_start_wal (const char *label);
/* The LSN on that line ("0/3000028"), or NULL. */
char        *pg_label_start_lsn (const char *label);
/* The paths of the WAL segments of @wal_dir from @first to @last (same
 * timeline, by name), and the timeline's history file when there is one;
 * fails when one in between is missing. */
GPtrArray   *pg_wal_segments (const char *wal_dir, const char *first, const char *last,
                              guint64 segment_bytes, GError **error);

/* A backup-mode session over libpq (pg-session.c). */
typedef struct _PgSession PgSession;
/* @res when it holds tuples or a command status; else frees it and
 * returns NULL with the server's message, prefixed by @what. */
PGresult    *pg_result_checked (PGconn *conn, PGresult *res, const char *what, GError **error);
/* A connection as @config says, or NULL with why. */
PGconn      *pg_connect (const PgConfig *config, GError **error);
/* Connects, reserves the WAL from now on with a temporary replication
 * slot and enters non-exclusive backup mode (pg_backup_start, its
 * checkpoint spread within checkpoint_limit unless configured fast).  The
 * session must stay open until the WAL is copied.  *out_note says how its
 * WAL switch was timed and how long its checkpoint took. */
PgSession   *pg_session_start (const PgConfig *config, const char *label, char **out_note,
                               GError **error);
/* pg_backup_stop: the label, the map and where the backup's WAL ends. */
PgBackupEnd *pg_session_stop (PgSession *self, char **out_switch, GError **error);
/* The WAL insert position in bytes; FALSE when there is none to read (a
 * standby) or the query failed. */
gboolean     pg_session_insert_lsn (PgSession *self, guint64 *out);
/* Closes the connection: drops the slot, and ends backup mode if still on. */
void         pg_session_close (PgSession *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PgSession, pg_session_close)

/* The forced WAL switches, timed near a segment's end (pg-switch.c). */
typedef struct {
  guint64 left;           /* bytes left in the segment when it returned */
  guint waited_ms;
  gboolean gave_up;       /* the end was beyond the budget, or the WAL idle */
} PgSwitchWait;

/* Waits at most @budget_ms (0: not at all) for the insert position to
 * near its segment's end, so that the next forced switch writes little. */
PgSwitchWait pg_switch_wait_for_segment_end (PgSession *session, guint64 segment_bytes,
                                             guint budget_ms);
char        *pg_switch_wait_describe (const PgSwitchWait *wait, guint budget_ms);

typedef struct {
  PgConfig *config;
  PgSession *session;     /* from prepare_snapshot to backup_complete, shutdown or abort */
} PgWriter;

/* pg_backup_start on @conn (pg-checkpoint.c): a fast checkpoint, or a
 * spread one asked to finish at once after checkpoint_limit.  Its result,
 * or NULL with the server's message; *out_note says how long it took. */
PGresult    *pg_checkpoint_backup_start (PGconn *conn, const PgConfig *config, const char *label,
                                         char **out_note, GError **error);

/* Restore (pg-restore.c). */
gboolean pg_writer_pre_restore (VssWriter *writer);
gboolean pg_writer_post_restore (VssWriter *writer);
/* The component @name of this event, or NULL. */
VssComponent *pg_writer_component (VssWriter *writer, const char *name, gboolean selected_for_restore);

G_END_DECLS
