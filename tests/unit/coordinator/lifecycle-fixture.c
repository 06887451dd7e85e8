#include "lifecycle-fixture.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/vss-paths.h"

Fixture fx;

static void
write_file (const char *dir, const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_file_set_contents (path, contents, -1, &error);
  cr_assert_null (error, "%s", error ? error->message : "");
}

void
fx_setup (void)
{
  fx.tmpdir = vss_test_setup_env ();
  fx.record_dir = g_build_filename (fx.tmpdir, "records", NULL);
  fx.data_dir = g_build_filename (fx.tmpdir, "data", NULL);
  g_mkdir_with_parents (fx.record_dir, 0700);
  g_autofree char *sub = g_build_filename (fx.data_dir, "sub", NULL);
  g_mkdir_with_parents (sub, 0755);
  write_file (fx.data_dir, "a.txt", "alpha\n");
  write_file (sub, "b.txt", "bravo\n");
  g_setenv ("VSS_TEST_RECORD_DIR", fx.record_dir, TRUE);
  g_setenv ("VSS_TEST_DATA_DIR", fx.data_dir, TRUE);
}

void
fx_teardown (void)
{
  g_clear_pointer (&fx.record_dir, g_free);
  g_clear_pointer (&fx.data_dir, g_free);
  vss_test_teardown_env (g_steal_pointer (&fx.tmpdir));
}

static char *
writer_dir_v (const char *first_writer, va_list args)
{
  static guint counter;
  g_autofree char *leaf = g_strdup_printf ("wdir-%u", counter++);
  char *dir = g_build_filename (fx.tmpdir, leaf, NULL);
  g_mkdir_with_parents (dir, 0755);
  for (const char *name = first_writer; name != NULL; name = va_arg (args, const char *)) {
    g_autofree char *one = vss_test_writer_dir (fx.tmpdir, name, NULL);
    g_autofree char *src = vss_test_writer_module_path (name);
    g_autofree char *base = g_path_get_basename (src);
    g_autofree char *from = g_build_filename (one, base, NULL);
    g_autofree char *to = g_build_filename (dir, base, NULL);
    cr_assert_eq (rename (from, to), 0);
  }
  return dir;
}

char *
fx_writer_dir (const char *first_writer, ...)
{
  va_list args;
  va_start (args, first_writer);
  char *dir = writer_dir_v (first_writer, args);
  va_end (args);
  return dir;
}

VssBackupComponents *
fx_new (const char *first_writer, ...)
{
  va_list args;
  va_start (args, first_writer);
  g_autofree char *dir = writer_dir_v (first_writer, args);
  va_end (args);
  VssBackupComponents *bc = vss_backup_components_new ();
  g_autoptr(GError) error = NULL;
  cr_assert (vss_backup_components_set_writer_path (bc, dir, &error));
  return bc;
}

VssAsyncStatus
fx_wait (VssAsync *async, GError **error)
{
  VssAsyncStatus status = vss_async_wait (async, 30000, error);
  vss_async_unref (async);
  return status;
}

void
fx_finish (VssAsync *async)
{
  g_autoptr(GError) error = NULL;
  VssAsyncStatus status = fx_wait (async, &error);
  cr_assert_eq (status, VSS_ASYNC_FINISHED, "status %d: %s", status, error ? error->message : "");
}

#define OK(call)                                                         \
  do {                                                                   \
    g_autoptr(GError) ok_error_ = NULL;                                  \
    GError **error_ptr = &ok_error_;                                     \
    (void) error_ptr;                                                    \
    cr_assert (call, "%s: %s", #call, ok_error_ ? ok_error_->message : ""); \
  } while (0)

void
fx_gather (VssBackupComponents *bc, VssBackupType type)
{
  VssAsync *async = NULL;
  OK (vss_backup_components_initialize_for_backup (bc, NULL, error_ptr));
  OK (vss_backup_components_set_backup_state (bc, TRUE, FALSE, type, FALSE, error_ptr));
  OK (vss_backup_components_gather_writer_metadata (bc, &async, error_ptr));
  fx_finish (async);
}

void
fx_gather_for_restore (VssBackupComponents *bc, const char *bcd_json)
{
  VssAsync *async = NULL;
  OK (vss_backup_components_initialize_for_restore (bc, bcd_json, error_ptr));
  OK (vss_backup_components_gather_writer_metadata (bc, &async, error_ptr));
  fx_finish (async);
}

static void
add_components (VssBackupComponents *bc, const char *only_writer)
{
  guint count = 0;
  OK (vss_backup_components_get_writer_metadata_count (bc, &count, error_ptr));
  for (guint i = 0; i < count; i++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, i, NULL);
    cr_assert_not_null (md);
    if (only_writer != NULL && g_strcmp0 (vss_writer_metadata_get_writer_name (md), only_writer) != 0)
      continue;
    for (guint c = 0; c < vss_writer_metadata_get_component_count (md); c++) {
      const VssWmComponent *comp = vss_writer_metadata_get_component (md, c);
      if (!vss_wm_component_is_selectable (comp))
        continue;
      OK (vss_backup_components_add_component (bc, vss_writer_metadata_get_instance_id (md),
                                               vss_writer_metadata_get_writer_id (md),
                                               vss_wm_component_get_type (comp),
                                               vss_wm_component_get_logical_path (comp),
                                               vss_wm_component_get_name (comp), error_ptr));
    }
  }
}

void
fx_add_all (VssBackupComponents *bc)
{
  add_components (bc, NULL);
}

void
fx_add_writer (VssBackupComponents *bc, const char *writer_name)
{
  add_components (bc, writer_name);
}

char *
fx_prepare (VssBackupComponents *bc)
{
  VssAsync *async = NULL;
  char *snapshot_id = NULL;
  OK (vss_backup_components_start_snapshot_set (bc, NULL, error_ptr));
  OK (vss_backup_components_add_to_snapshot_set (bc, fx.data_dir, NULL, &snapshot_id, error_ptr));
  OK (vss_backup_components_prepare_for_backup (bc, &async, error_ptr));
  fx_finish (async);
  return snapshot_id;
}

char *
fx_prepare_all (VssBackupComponents *bc)
{
  fx_gather (bc, VSS_BT_FULL);
  fx_add_all (bc);
  return fx_prepare (bc);
}

void
fx_do_snapshot (VssBackupComponents *bc)
{
  VssAsync *async = NULL;
  OK (vss_backup_components_do_snapshot_set (bc, &async, error_ptr));
  fx_finish (async);
}

void
fx_complete (VssBackupComponents *bc)
{
  VssAsync *async = NULL;
  OK (vss_backup_components_backup_complete (bc, &async, error_ptr));
  fx_finish (async);
}

void
fx_pre_restore (VssBackupComponents *bc)
{
  VssAsync *async = NULL;
  OK (vss_backup_components_pre_restore (bc, &async, error_ptr));
  fx_finish (async);
}

void
fx_post_restore (VssBackupComponents *bc)
{
  VssAsync *async = NULL;
  OK (vss_backup_components_post_restore (bc, &async, error_ptr));
  fx_finish (async);
}

char *
fx_snapshot_all (VssBackupComponents *bc)
{
  char *snapshot_id = fx_prepare_all (bc);
  fx_do_snapshot (bc);
  return snapshot_id;
}

GPtrArray *
fx_events (const char *writer_name)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *file = g_strdup_printf ("%s.events", writer_name);
  g_autofree char *path = g_build_filename (fx.record_dir, file, NULL);
  g_autofree char *contents = vss_test_read_file (path);
  if (contents == NULL)
    return events;
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    if (*lines[i] == '\0')
      continue;
    g_auto(GStrv) words = g_strsplit (lines[i], " ", 2);
    g_ptr_array_add (events, g_strdup (words[0]));
  }
  return events;
}

char *
fx_events_string (const char *writer_name)
{
  g_autoptr(GPtrArray) events = fx_events (writer_name);
  g_ptr_array_add (events, NULL);
  return g_strjoinv (" ", (char **) events->pdata);
}

gint64
fx_event_time (const char *writer_name, const char *event)
{
  g_autofree char *file = g_strdup_printf ("%s.events", writer_name);
  g_autofree char *path = g_build_filename (fx.record_dir, file, NULL);
  g_autofree char *contents = vss_test_read_file (path);
  g_auto(GStrv) lines = g_strsplit (contents != NULL ? contents : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_auto(GStrv) words = g_strsplit (lines[i], " ", 3);  /* event thread usec */
    if (g_strv_length (words) == 3 && g_str_equal (words[0], event))
      return g_ascii_strtoll (words[2], NULL, 10);
  }
  return 0;
}

gboolean
fx_wait_for_event (const char *writer_name, const char *event, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (g_get_monotonic_time () < deadline) {
    g_autoptr(GPtrArray) events = fx_events (writer_name);
    for (guint i = 0; i < events->len; i++)
      if (g_str_equal (g_ptr_array_index (events, i), event))
        return TRUE;
    g_usleep (20000);
  }
  return FALSE;
}

VssWriterStatus *
fx_status (VssBackupComponents *bc, const char *writer_name)
{
  VssAsync *async = NULL;
  OK (vss_backup_components_gather_writer_status (bc, &async, error_ptr));
  fx_finish (async);
  guint count = 0;
  OK (vss_backup_components_get_writer_status_count (bc, &count, error_ptr));
  for (guint i = 0; i < count; i++) {
    VssWriterStatus *status = vss_backup_components_get_writer_status (bc, i, NULL);
    if (g_str_equal (status->writer_name, writer_name))
      return status;
    vss_writer_status_free (status);
  }
  cr_assert_fail ("no status for writer %s", writer_name);
  return NULL;
}

const char *
fx_writer_id (VssBackupComponents *bc, const char *writer_name)
{
  guint count = 0;
  OK (vss_backup_components_get_writer_metadata_count (bc, &count, error_ptr));
  for (guint i = 0; i < count; i++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, i, NULL);
    if (g_str_equal (vss_writer_metadata_get_writer_name (md), writer_name))
      return vss_writer_metadata_get_writer_id (md);
  }
  return NULL;
}
