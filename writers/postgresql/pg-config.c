/* pg-config.c — <config dir>/postgresql.conf: which cluster to protect and
 * how to reach it. */
#include "pg-writer.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

void
pg_config_free (PgConfig *self)
{
  if (self == NULL)
    return;
  g_free (self->data_directory);
  g_free (self->wal_directory);
  g_free (self->port);
  g_free (self->socket_dir);
  g_free (self->user);
  g_free (self->database);
  g_free (self);
}

static char *
read_key (GKeyFile *kf, const char *key, const char *fallback)
{
  g_autofree char *value = g_key_file_get_string (kf, "postgresql", key, NULL);
  if (value != NULL)
    g_strstrip (value);
  return g_strdup (value != NULL && *value != '\0' ? value : fallback);
}

/* @path canonical (snapshot paths are); a data directory that is gone
 * (restoring it is the point) by its canonical parent. */
static char *
canonical (const char *path)
{
  char *real = realpath (path, NULL);
  if (real != NULL || errno != ENOENT) {
    char *copy = g_strdup (real);
    free (real);
    return copy;
  }
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  char *real_parent = realpath (parent, NULL);
  char *joined = real_parent != NULL ? g_build_filename (real_parent, name, NULL) : NULL;
  free (real_parent);
  return joined;
}

/* pg_wal must be a directory inside the data directory: a pg_wal
 * symlinked elsewhere would be restored pointing at the live WAL. */
static gboolean
resolve_directories (PgConfig *self, const char *file, GError **error)
{
  char *real = self->data_directory != NULL && g_path_is_absolute (self->data_directory)
                   ? canonical (self->data_directory) : NULL;
  if (real == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s: data_directory=%s: %s; set it to the cluster's data directory (absolute)",
                 file, self->data_directory ? self->data_directory : "(unset)",
                 self->data_directory ? g_strerror (errno) : "missing");
    return FALSE;
  }
  g_free (self->data_directory);
  self->data_directory = real;
  self->wal_directory = g_build_filename (self->data_directory, "pg_wal", NULL);
  struct stat st;
  if (lstat (self->wal_directory, &st) == 0 && !S_ISDIR (st.st_mode)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_NOT_SUPPORTED,
                 "%s: %s is not a directory (a pg_wal symlinked elsewhere is not supported): "
                 "move the WAL back into the data directory", file, self->wal_directory);
    return FALSE;
  }
  return TRUE;
}

/* @key: whole seconds from 0 to @max, or @fallback when it is not set. */
static gboolean
read_seconds (GKeyFile *kf, const char *file, const char *key, guint fallback, guint max,
              const char *zero_means, guint *out_ms, GError **error)
{
  *out_ms = fallback * 1000;
  if (!g_key_file_has_key (kf, "postgresql", key, NULL))
    return TRUE;
  g_autofree char *text = g_key_file_get_string (kf, "postgresql", key, NULL);
  guint64 seconds = 0;
  if (text == NULL || !g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, max, &seconds, NULL)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "%s: %s=%s: write whole seconds from 0 (%s) to %u", file, key,
                 text != NULL ? text : "", zero_means, max);
    return FALSE;
  }
  *out_ms = (guint) seconds * 1000;
  return TRUE;
}

/* How long the start of a backup may wait: for a WAL segment's end
 * (wal_switch_wait, pg-switch.c) and for a spread checkpoint
 * (checkpoint_limit, pg-checkpoint.c), both within prepare_snapshot and
 * so within the requester's event timeout (60 s), leaving the hurried
 * checkpoint's end 15 s. */
#define START_BUDGET_S 45

static gboolean
read_start_waits (PgConfig *self, GKeyFile *kf, const char *file, GError **error)
{
  if (!read_seconds (kf, file, "wal_switch_wait", 20, 30, "switch at once",
                     &self->wal_switch_wait_ms, error) ||
      !read_seconds (kf, file, "checkpoint_limit", 20, 30, "finish the checkpoint at once",
                     &self->checkpoint_limit_ms, error))
    return FALSE;
  guint checkpoint_s = self->fast_checkpoint ? 0 : self->checkpoint_limit_ms / 1000;
  if (self->wal_switch_wait_ms / 1000 + checkpoint_s <= START_BUDGET_S)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
               "%s: wal_switch_wait (%u s) and checkpoint_limit (%u s) together exceed %u s: "
               "with the checkpoint's end they must stay within the requester's 60 s event "
               "timeout; lower one of them", file, self->wal_switch_wait_ms / 1000, checkpoint_s,
               START_BUDGET_S);
  return FALSE;
}

PgConfig *
pg_config_load (const char *config_dir, GError **error)
{
  g_autofree char *file = g_build_filename (config_dir, "postgresql.conf", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file (kf, file, G_KEY_FILE_NONE, &local) &&
      g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    /* installed, not configured: it takes no part (and fails nothing) */
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NOT_CONFIGURED,
                 "%s does not exist; to protect a PostgreSQL cluster write [postgresql] "
                 "data_directory=… there (see the writer's README)", file);
    return NULL;
  }
  if (local != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s: %s; write [postgresql] data_directory=… (see the writer's README)", file,
                 local->message);
    return NULL;
  }
  g_autoptr(PgConfig) self = g_new0 (PgConfig, 1);
  self->data_directory = read_key (kf, "data_directory", NULL);
  self->port = read_key (kf, "port", "5432");
  self->socket_dir = read_key (kf, "socket_dir", "/var/run/postgresql");
  self->user = read_key (kf, "user", "postgres");
  self->database = read_key (kf, "database", "postgres");
  self->fast_checkpoint = FALSE;   /* spread, as pg_basebackup's and pgBackRest's default */
  if (g_key_file_has_key (kf, "postgresql", "fast_checkpoint", NULL)) {
    g_autoptr(GError) bad = NULL;
    self->fast_checkpoint = g_key_file_get_boolean (kf, "postgresql", "fast_checkpoint", &bad);
    if (bad != NULL) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                   "%s: fast_checkpoint: %s; write true or false", file, bad->message);
      return NULL;
    }
  }
  if (!read_start_waits (self, kf, file, error) || !resolve_directories (self, file, error))
    return NULL;
  return g_steal_pointer (&self);
}
