#include "cert-fixture.h"

#include <stdarg.h>
#include <string.h>

#include "document/vss-document-private.h"
#include "util/vss-fs.h"
#include "util/vss-paths.h"
#include "writer-host/vss-writer-module.h"
#include "writer-host/vss-transport.h"

CertFixture cf;

void
cf_setup (void)
{
  cf.tmpdir = vss_test_setup_env ();
  cf.work = g_build_filename (cf.tmpdir, "work", NULL);
  g_mkdir_with_parents (cf.work, 0700);
}

const char *
cf_fast_dir (void)
{
  if (cf.fast == NULL) {
    cf.fast = g_strdup ("/dev/shm/vss-cert-test-XXXXXX");
    if (g_mkdtemp (cf.fast) == NULL) {
      g_free (cf.fast);
      cf.fast = g_build_filename (cf.work, "fast", NULL);
      g_mkdir_with_parents (cf.fast, 0700);
    }
  }
  return cf.fast;
}

void
cf_teardown (void)
{
  if (cf.fast != NULL)
    vss_fs_remove_tree (cf.fast, NULL);
  g_clear_pointer (&cf.fast, g_free);
  g_clear_pointer (&cf.work, g_free);
  vss_test_teardown_env (g_steal_pointer (&cf.tmpdir));
}

void
cf_require (const char *program)
{
  g_autofree char *found = g_find_program_in_path (program);
  if (found == NULL)
    cr_skip_test ("needs %s: install it (scripts/deps does)", program);
}

char *
cf_sh (gboolean may_fail, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *command = g_strdup_vprintf (format, args);
  va_end (args);
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                           &status, &error), "%s", error ? error->message : "");
  if (!may_fail)
    cr_assert (g_spawn_check_wait_status (status, NULL), "`%s` failed: %s", command, err);
  return out;
}

void
cf_write_conf (const char *nss, const char *databases, const char *extra)
{
  g_autofree char *conf = g_build_filename (vss_paths_config_dir (), "certificate.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[certificate]\nnss=%s\ndatabases=%s\n%s\n",
                                           nss ? nss : "", databases ? databases : "",
                                           extra ? extra : "");
  cr_assert (g_file_set_contents (conf, text, -1, NULL));
}

void
cf_make_nss (const char *dir)
{
  g_mkdir_with_parents (dir, 0700);
  g_free (cf_sh (FALSE, "head -c 256 /dev/urandom > '%s/../noise.bin' && "
                        "certutil -N -d 'sql:%s' --empty-password && "
                        "certutil -S -d 'sql:%s' -n ca -s 'CN=Test CA' -x -t 'CT,C,C' -k rsa "
                        "-g 1024 -v 12 -z '%s/../noise.bin' >/dev/null 2>&1",
                 dir, dir, dir, dir));
}

#define OK(call) cr_assert ((call), "%s: %s", #call, error ? error->message : "")

static void
wait_ok (VssAsync *async)
{
  g_autoptr(GError) error = NULL;
  VssAsyncStatus status = vss_async_wait (async, 60000, &error);
  vss_async_unref (async);
  cr_assert_eq (status, VSS_ASYNC_FINISHED, "%s", error ? error->message : "");
}

static void
add_certificate_components (VssBackupComponents *bc, const char *previous_stamp)
{
  g_autoptr(GError) error = NULL;
  guint count = 0;
  OK (vss_backup_components_get_writer_metadata_count (bc, &count, &error));
  for (guint i = 0; i < count; i++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, i, NULL);
    /* the other writers' too (a test writer that holds the window open) */
    const char *id = vss_writer_metadata_get_writer_id (md);
    for (guint c = 0; c < vss_writer_metadata_get_component_count (md); c++) {
      const VssWmComponent *wc = vss_writer_metadata_get_component (md, c);
      const char *lp = vss_wm_component_get_logical_path (wc), *name = vss_wm_component_get_name (wc);
      OK (vss_backup_components_add_component (bc, NULL, id, vss_wm_component_get_type (wc), lp,
                                               name, &error));
      if (previous_stamp != NULL && vss_wm_component_get_type (wc) == VSS_CT_DATABASE)
        OK (vss_backup_components_set_previous_backup_stamp (bc, id, VSS_CT_DATABASE, lp, name,
                                                             previous_stamp, &error));
    }
  }
}

/* The certificate writer's failure after the last step, if any. */
static gboolean
writer_ok (VssBackupComponents *bc, GError **error)
{
  VssAsync *async = NULL;
  guint count = 0;
  cr_assert (vss_backup_components_gather_writer_status (bc, &async, NULL));
  wait_ok (async);
  cr_assert (vss_backup_components_get_writer_status_count (bc, &count, NULL));
  for (guint i = 0; i < count; i++) {
    g_autoptr(VssWriterStatus) st = vss_backup_components_get_writer_status (bc, i, NULL);
    if (g_str_equal (st->writer_name, "certificate") && st->failure != VSS_WF_NONE) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NONRETRYABLE, "%s [%s]",
                   st->failure_message, vss_writer_failure_to_string (st->failure));
      return FALSE;
    }
  }
  return TRUE;
}

/* backup_stamp of the certificate component, from the saved BCD. */
static char *
find_stamp (json_object *obj)
{
  if (json_object_is_type (obj, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length (obj); i++) {
      char *found = find_stamp (json_object_array_get_idx (obj, i));
      if (found != NULL)
        return found;
    }
  } else if (json_object_is_type (obj, json_type_object)) {
    json_object_object_foreach (obj, key, value) {
      if (g_str_equal (key, "backup_stamp") && json_object_is_type (value, json_type_string))
        return g_strdup (json_object_get_string (value));
      char *found = find_stamp (value);
      if (found != NULL)
        return found;
    }
  }
  return NULL;
}

static gboolean
snapshot_and_copy (VssBackupComponents *bc, const char *path, const char *copy_to, GError **error)
{
  g_autofree char *snapshot_id = NULL;
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_start_snapshot_set (bc, NULL, NULL));
  cr_assert (vss_backup_components_add_to_snapshot_set (bc, path, "copy", &snapshot_id, NULL));
  cr_assert (vss_backup_components_prepare_for_backup (bc, &async, NULL));
  wait_ok (async);
  if (!writer_ok (bc, error))
    return FALSE;
  cr_assert (vss_backup_components_do_snapshot_set (bc, &async, NULL));
  VssAsyncStatus status = vss_async_wait (async, 60000, error);
  vss_async_unref (async);
  if (status != VSS_ASYNC_FINISHED) {
    g_autoptr(GError) writer_error = NULL;
    if (!writer_ok (bc, &writer_error)) {
      g_clear_error (error);
      g_propagate_error (error, g_steal_pointer (&writer_error));
    }
    return FALSE;
  }
  if (!writer_ok (bc, error))
    return FALSE;
  g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (bc, snapshot_id, NULL);
  cr_assert_not_null (prop);
  if (copy_to != NULL)
    cr_assert (vss_fs_copy_tree (prop->snapshot_path, copy_to, 0, NULL));
  return TRUE;
}

gboolean
cf_backup (const char *path, VssBackupType type, const char *previous_stamp, gboolean succeeded,
           const char *copy_to, const char *extra_writers, char **out_stamp, GError **error)
{
  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  g_autofree char *wpath = g_strdup_printf ("%s%s%s", g_getenv ("VSS_TEST_CERT_WRITER_DIR"),
                                            extra_writers ? ":" : "", extra_writers ? extra_writers : "");
  VssAsync *async = NULL;
  cr_assert (vss_backup_components_set_writer_path (bc, wpath, NULL));
  cr_assert (vss_backup_components_initialize_for_backup (bc, NULL, NULL));
  cr_assert (vss_backup_components_set_backup_state (bc, TRUE, FALSE, type, FALSE, NULL));
  cr_assert (vss_backup_components_gather_writer_metadata (bc, &async, NULL));
  wait_ok (async);
  add_certificate_components (bc, previous_stamp);
  if (!snapshot_and_copy (bc, path, copy_to, error)) {
    vss_backup_components_abort_backup (bc, NULL);
    return FALSE;
  }
  g_autofree char *bcd = vss_backup_components_save_as_json (bc, NULL);
  json_object *doc = json_tokener_parse (bcd);
  if (out_stamp != NULL)
    *out_stamp = find_stamp (doc);
  json_object_put (doc);
  guint count = 0;
  cr_assert (vss_backup_components_get_writer_metadata_count (bc, &count, NULL));
  for (guint i = 0; i < count; i++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, i, NULL);
    if (g_strcmp0 (vss_writer_metadata_get_writer_name (md), "certificate") != 0)
      continue;
    for (guint c = 0; c < vss_writer_metadata_get_component_count (md); c++) {
      const VssWmComponent *wc = vss_writer_metadata_get_component (md, c);
      cr_assert (vss_backup_components_set_backup_succeeded (
        bc, NULL, vss_writer_metadata_get_writer_id (md), VSS_CT_DATABASE,
        vss_wm_component_get_logical_path (wc), vss_wm_component_get_name (wc), succeeded, NULL));
    }
  }
  cr_assert (vss_backup_components_backup_complete (bc, &async, NULL));
  wait_ok (async);
  return writer_ok (bc, error);
}

gboolean
cf_restore_event (const char *event_name, char **out_message)
{
  g_autofree char *module_path = g_build_filename (g_getenv ("VSS_TEST_CERT_WRITER_DIR"),
                                                   "certificate.so", NULL);
  g_autoptr(GError) error = NULL;
  const VssWriterModule *module = vss_writer_module_load (module_path, &error);
  cr_assert_not_null (module, "%s", error ? error->message : "");
  VssWriter *writer = vss_writer_new (vss_writer_module_open (module, NULL), "restore-test");
  cr_assert (vss_writer_load (writer, &error), "%s", error ? error->message : "");
  /* every component the writer declares, selected for restore */
  VssEventReply *identify = vss_writer_handle_event (writer, VSS_EVENT_IDENTIFY, NULL);
  g_autoptr(GPtrArray) components = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_component_free);
  json_object *list = NULL;
  cr_assert (json_object_object_get_ex (identify->metadata, "components", &list));
  for (size_t i = 0; i < json_object_array_length (list); i++) {
    json_object *wc = json_object_array_get_idx (list, i), *lp = NULL, *name = NULL;
    json_object_object_get_ex (wc, "logical_path", &lp);
    json_object_object_get_ex (wc, "name", &name);
    VssComponent *c = vss_component_new (VSS_CT_DATABASE, json_object_get_string (lp),
                                         json_object_get_string (name));
    c->selected_for_restore = TRUE;
    g_ptr_array_add (components, c);
  }
  vss_event_reply_free (identify);
  json_object *request = json_object_new_object ();
  json_object_object_add (request, "components", vss_components_to_json_array (components));
  VssEvent event;
  cr_assert (vss_event_from_string (event_name, &event));
  VssEventReply *reply = vss_writer_handle_event (writer, event, request);
  json_object_put (request);
  gboolean ok = reply->ok && reply->failure == VSS_WF_NONE;
  if (out_message != NULL)
    *out_message = g_strdup (reply->message);
  vss_event_reply_free (reply);
  vss_writer_free (writer);
  return ok;
}
