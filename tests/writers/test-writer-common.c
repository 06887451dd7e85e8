/* test-writer-common.c — recording and the shared identify (see the .h). */
#include "test-writer-common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One write() of one line on an O_APPEND file: lines from several writer
 * threads never interleave. */
static void
append_line (VssWriter *writer, const char *suffix, const char *what)
{
  const char *dir = g_getenv ("VSS_TEST_RECORD_DIR");
  if (dir == NULL || *dir == '\0')
    return;
  g_autofree char *file = g_strdup_printf ("%s.%s", vss_writer_get_name (writer), suffix);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *line = g_strdup_printf ("%s %ld %" G_GINT64_FORMAT "\n", what,
                                           (long) syscall (SYS_gettid),
                                           g_get_monotonic_time ());
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    g_warning ("test writer: cannot open %s: %s", path, g_strerror (errno));
    return;
  }
  if (write (fd, line, strlen (line)) != (ssize_t) strlen (line))
    g_warning ("test writer: cannot write %s: %s", path, g_strerror (errno));
  close (fd);
}

gboolean
test_writer_env_is (const char *variable, const char *fallback, const char *event)
{
  const char *value = g_getenv (variable);
  return g_strcmp0 (value != NULL ? value : fallback, event) == 0;
}

guint
test_writer_env_uint (const char *variable, guint fallback)
{
  const char *value = g_getenv (variable);
  guint64 number = 0;
  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &number, NULL))
    return fallback;
  return (guint) number;
}

gboolean
test_writer_on_load (VssWriter *writer, GError **error)
{
  append_line (writer, "lifecycle", "load");
  return test_writer_hook (writer, "load", error);
}

void
test_writer_on_unload (VssWriter *writer)
{
  append_line (writer, "lifecycle", "unload");
  /* A writer slow to stop, for the tests of helpers that outlive it. */
  if (test_writer_env_is ("VSS_TEST_SLOW_UNLOAD", "", vss_writer_get_name (writer)))
    g_usleep ((gulong) test_writer_env_uint ("VSS_TEST_SLOW_UNLOAD_MS", 0) * 1000);
}

gboolean
test_writer_on_identify (VssWriter *writer, VssWriterMetadata *metadata, GError **error)
{
  const char *data_dir = g_getenv ("VSS_TEST_DATA_DIR");

  append_line (writer, "events", "identify");
  if (!vss_writer_metadata_add_component (metadata, VSS_CT_FILEGROUP, NULL, "data", NULL,
                                          TRUE, TRUE, error))
    return FALSE;
  if (data_dir != NULL && *data_dir != '\0' &&
      !vss_writer_metadata_add_files_to_file_group (metadata, NULL, "data", data_dir, "*",
                                                    TRUE, NULL, error))
    return FALSE;
  if (test_writer_with_db &&
      !vss_writer_metadata_add_component (metadata, VSS_CT_DATABASE, "dbs", "db", NULL,
                                          TRUE, TRUE, error))
    return FALSE;
  return test_writer_hook (writer, "identify", error);
}

static gboolean
on_event (VssWriter *writer, const char *event)
{
  append_line (writer, "events", event);
  /* the serving thread's nice value: helpers run in the background but
   * for freeze and thaw */
  errno = 0;
  int nice = getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));
  g_autofree char *with_nice = g_strdup_printf ("%s %d", event, errno == 0 ? nice : 99);
  append_line (writer, "nice", with_nice);
  if (test_writer_env_is ("VSS_TEST_LOG_EVENT", "", event))
    g_message ("%s: logged at %s", vss_writer_get_name (writer), event);
  return test_writer_hook (writer, event, NULL);
}

gboolean
test_writer_on_prepare_backup (VssWriter *writer)
{
  g_autofree char *stamp = g_strdup_printf ("stamp-%s", vss_writer_get_name (writer));

  append_line (writer, "events", "prepare_backup");
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    g_autoptr(GError) error = NULL;
    if (!vss_component_set_backup_stamp (vss_writer_get_component (writer, i), stamp, &error)) {
      vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "cannot set the backup stamp: %s",
                              error->message);
      return FALSE;
    }
  }
  return test_writer_hook (writer, "prepare_backup", NULL);
}

gboolean test_writer_on_prepare_snapshot (VssWriter *w) { return on_event (w, "prepare_snapshot"); }
gboolean test_writer_on_freeze (VssWriter *w) { return on_event (w, "freeze"); }
gboolean test_writer_on_thaw (VssWriter *w) { return on_event (w, "thaw"); }
gboolean test_writer_on_post_snapshot (VssWriter *w) { return on_event (w, "post_snapshot"); }
gboolean test_writer_on_backup_complete (VssWriter *w) { return on_event (w, "backup_complete"); }
gboolean test_writer_on_backup_shutdown (VssWriter *w) { return on_event (w, "backup_shutdown"); }
gboolean test_writer_on_abort (VssWriter *w) { return on_event (w, "abort"); }
/* "pre_restore+more" when a selected component has more restores to come
 * (what the writer sees of set_additional_restores). */
static const char *
restore_event (VssWriter *writer, const char *event, const char *with_more)
{
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    const VssComponent *c = vss_writer_get_component (writer, i);
    if (vss_component_is_selected_for_restore (c) && vss_component_get_additional_restores (c))
      return with_more;
  }
  return event;
}

gboolean
test_writer_on_pre_restore (VssWriter *w)
{
  return on_event (w, restore_event (w, "pre_restore", "pre_restore+more"));
}

gboolean
test_writer_on_post_restore (VssWriter *w)
{
  return on_event (w, restore_event (w, "post_restore", "post_restore+more"));
}
