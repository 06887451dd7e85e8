/* my-writer.c — a libvss writer to copy: protects $MY_WRITER_DIR (else the one line of
 * <config dir>/my-writer.conf) and "freezes" it with an exclusive flock on <dir>/.my-writer.lock.
 * cc -shared -fPIC -o my-writer.so my-writer.c $(pkg-config --cflags --libs vss gmodule-2.0) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>
#include <vss/vss.h>

typedef struct { int lock_fd; char dir[PATH_MAX]; } MyWriter;

static gboolean my_load (VssWriter *writer, GError **error)
{
  const char *config_dir = vss_writer_get_config_dir (writer);
  g_autofree char *conf = g_build_filename (config_dir, "my-writer.conf", NULL), *line = NULL;
  const char *dir = g_getenv ("MY_WRITER_DIR");
  if ((dir == NULL || *dir == '\0') && g_file_get_contents (conf, &line, NULL, NULL))
    dir = g_strstrip (line);
  MyWriter self = { .lock_fd = -1 };
  if (dir == NULL || realpath (dir, self.dir) == NULL) {   /* canonical, like snapshot paths */
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "set MY_WRITER_DIR or fill %s", conf);
    return FALSE;
  }
  vss_writer_set_user_data (writer, g_memdup2 (&self, sizeof self), g_free);   /* until unload */
  return TRUE;
}

static gboolean my_identify (VssWriter *writer, VssWriterMetadata *metadata, GError **error)
{
  MyWriter *self = vss_writer_get_user_data (writer);
  g_message ("my-writer: identify: protecting %s", self->dir);
  return vss_writer_metadata_add_component (metadata, VSS_CT_FILEGROUP, NULL, "data",
                                            "My data", TRUE, TRUE, error) &&
         vss_writer_metadata_add_files_to_file_group (metadata, NULL, "data", self->dir, "*",
                                                      TRUE, NULL, error);
}

static gboolean my_prepare_backup (VssWriter *writer)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  g_message ("my-writer: prepare_backup: stamp %s", stamp);
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++)
    vss_component_set_backup_stamp (vss_writer_get_component (writer, i), stamp, NULL);
  return TRUE;
}
static gboolean my_prepare_snapshot (VssWriter *writer)
{
  g_message ("my-writer: prepare_snapshot: set %s", vss_writer_get_snapshot_set_id (writer));
  return TRUE;
}

static gboolean my_freeze (VssWriter *writer)
{
  MyWriter *self = vss_writer_get_user_data (writer);
  g_autofree char *path = g_build_filename (self->dir, ".my-writer.lock", NULL);
  self->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (self->lock_fd < 0 || flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s: %s", path, g_strerror (errno));
    return FALSE;                     /* on_abort follows and closes the file */
  }
  g_message ("my-writer: freeze: holding %s", path);
  return TRUE;
}

static gboolean my_release (VssWriter *writer, const char *event)
{
  MyWriter *self = vss_writer_get_user_data (writer);
  g_message ("my-writer: %s: releasing %s", event, self->lock_fd >= 0 ? "the lock" : "nothing");
  if (self->lock_fd >= 0)
    close (self->lock_fd);            /* closing the file drops the flock */
  self->lock_fd = -1;
  return TRUE;
}
static gboolean my_thaw (VssWriter *writer) { return my_release (writer, "thaw"); }
static gboolean my_abort (VssWriter *writer) { return my_release (writer, "abort"); }

static gboolean my_post_snapshot (VssWriter *writer)
{
  MyWriter *self = vss_writer_get_user_data (writer);
  g_autofree char *snap = vss_writer_get_snapshot_path (writer, self->dir);
  g_message ("my-writer: post_snapshot: %s is at %s", self->dir, snap ? snap : "(not in the set)");
  return TRUE;
}
static gboolean my_backup_complete (VssWriter *writer)
{
  VssComponent *data = vss_writer_get_component (writer, 0);
  gboolean ok = data != NULL && vss_component_get_backup_succeeded (data);
  g_message ("my-writer: backup_complete: the backup %s", ok ? "succeeded" : "failed");
  return TRUE;
}

VSS_WRITER_DEFINE ("3d2b6a52-5c1e-4f6e-9a51-7c0d2e8b4f10", "my-writer", VSS_UT_USERDATA, 10000,
                   .on_load = my_load, .on_identify = my_identify, .on_freeze = my_freeze,
                   .on_prepare_backup = my_prepare_backup, .on_thaw = my_thaw, .on_abort = my_abort,
                   .on_prepare_snapshot = my_prepare_snapshot, .on_post_snapshot = my_post_snapshot,
                   .on_backup_complete = my_backup_complete)
