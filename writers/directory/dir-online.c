/* dir-online.c — the directory writer's side of the vss_ds_* online
 * backup API: consistent streams of live environments, each pinned
 * (dir-pin.h) when the session begins. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dir-pin.h"
#include "dir-writer.h"

typedef struct {
  GPtrArray *pinned;            /* DirPinned* */
  GPtrArray *names;             /* data.mdb paths */
} DirSession;

typedef struct {
  DirPinned *pinned;
  guint64 offset;
} DirStream;

static void
session_free (gpointer data)
{
  DirSession *session = data;
  g_ptr_array_unref (session->pinned);
  g_ptr_array_unref (session->names);
  g_free (session);
}

static gpointer
online_backup_begin (VssWriter *writer, GError **error)
{
  DirWriter *self = dir_writer_get (writer);
  DirSession *session = g_new0 (DirSession, 1);
  session->pinned = g_ptr_array_new_with_free_func ((GDestroyNotify) dir_pinned_free);
  session->names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < self->envs->len; i++) {
    DirEnv *env = g_ptr_array_index (self->envs, i);
    DirPinned *pinned = dir_pin_env (env, FALSE, error);
    if (pinned == NULL) {
      session_free (session);
      return NULL;
    }
    g_ptr_array_add (session->pinned, pinned);
    g_ptr_array_add (session->names, g_build_filename (env->path, "data.mdb", NULL));
  }
  return session;
}

static GPtrArray *
online_backup_database_names (gpointer data)
{
  return ((DirSession *) data)->names;
}

static gpointer
online_backup_open (gpointer data, guint index, guint64 *out_size, GError **error)
{
  DirSession *session = data;
  if (index >= session->pinned->len) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "no database %u in this backup", index);
    return NULL;
  }
  DirStream *stream = g_new0 (DirStream, 1);
  stream->pinned = g_ptr_array_index (session->pinned, index);
  *out_size = stream->pinned->size;
  return stream;
}

static const guint8 *
stream_next (DirStream *stream, gsize *inout_size)
{
  return dir_pinned_next (stream->pinned, stream->offset, inout_size);
}

static gssize
online_stream_read (gpointer data, void *buffer, gsize size, GError **error)
{
  DirStream *stream = data;
  const guint8 *from = stream_next (stream, &size);
  memcpy (buffer, from, size);
  stream->offset += size;
  return size;
}

static gssize
online_stream_write_to_fd (gpointer data, int fd, gsize max, GError **error)
{
  DirStream *stream = data;
  gsize size = MIN (max, DIR_WRITE_PIECE);
  const guint8 *from = stream_next (stream, &size);
  if (size == 0)
    return 0;
  ssize_t n;
  do
    n = write (fd, from, size);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "writing the copy of %s/data.mdb: %s",
                 stream->pinned->env->path, n < 0 ? g_strerror (errno) : "write() took nothing");
    return -1;
  }
  stream->offset += n;
  return n;
}

static void
online_stream_close (gpointer data)
{
  g_free (data);
}

static gboolean
online_is_online (VssWriter *writer, gboolean *out_online, GError **error)
{
  DirWriter *self = dir_writer_get (writer);
  *out_online = FALSE;
  for (guint i = 0; i < self->envs->len; i++) {
    DirEnv *env = g_ptr_array_index (self->envs, i);
    if (dir_env_other_user (env->path, NULL) > 0)
      *out_online = TRUE;
  }
  return TRUE;
}

static gboolean
online_get_identity (VssWriter *writer, char **out_identity, guint64 *out_tombstone_seconds,
                     GError **error)
{
  DirWriter *self = dir_writer_get (writer);
  g_autoptr(GString) ids = g_string_new (NULL);
  for (guint i = 0; i < self->envs->len; i++) {
    DirEnv *env = g_ptr_array_index (self->envs, i);
    g_autofree char *id = dir_env_identity (env->path, error);
    if (id == NULL)
      return FALSE;
    g_string_append_printf (ids, "%s%s", i > 0 ? "," : "", id);
  }
  *out_identity = g_string_free (g_steal_pointer (&ids), FALSE);
  *out_tombstone_seconds = (guint64) (self->config->tombstone_days * 86400.0);
  return TRUE;
}

static char *
online_read_identity (VssWriter *writer, const char *dir)
{
  return dir_env_read_identity (dir);
}

static GPtrArray *
online_restore_locations (VssWriter *writer, GError **error)
{
  DirWriter *self = dir_writer_get (writer);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < self->envs->len; i++)
    g_ptr_array_add (out, g_strdup (((DirEnv *) g_ptr_array_index (self->envs, i))->path));
  return out;
}

static gboolean
online_restore_check_offline (VssWriter *writer, const char *dir, GError **error)
{
  return dir_env_check_offline (dir, error);
}

static gboolean
online_restore_verify (VssWriter *writer, const char *dir, GError **error)
{
  DirEnv *env = dir_writer_find_env (dir_writer_get (writer), dir);
  if (env != NULL)
    dir_env_close (env);        /* this instance's reference: verify takes its own */
  return dir_env_verify (dir, NULL, error);
}

const VssDsBackupInterface dir_online_interface = {
  .is_online = online_is_online,
  .get_identity = online_get_identity,
  .read_identity = online_read_identity,
  .backup_begin = online_backup_begin,
  .backup_database_names = online_backup_database_names,
  .backup_open = online_backup_open,
  .stream_read = online_stream_read,
  .stream_close = online_stream_close,
  .backup_end = session_free,
  .restore_locations = online_restore_locations,
  .restore_check_offline = online_restore_check_offline,
  .restore_verify = online_restore_verify,
  .stream_write_to_fd = online_stream_write_to_fd,
};
