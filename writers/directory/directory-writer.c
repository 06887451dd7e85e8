/* directory-writer.c — the "directory" writer: LMDB environments of
 * OpenLDAP back-mdb.  Freeze holds each environment's writer lock (reads
 * go on, writes wait); full and copy backups only. */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "dir-image.h"
#include "dir-writer.h"

static void
dir_writer_free (gpointer data)
{
  DirWriter *self = data;
  dir_image_release_all (self);
  dir_hold_free (self->hold);   /* first: it borrows the environments */
  g_ptr_array_unref (self->envs);
  dir_config_free (self->config);
  g_free (self->restore_owner);
  g_free (self);
}

DirWriter *
dir_writer_get (VssWriter *writer)
{
  return vss_writer_get_user_data (writer);
}

DirEnv *
dir_writer_find_env (DirWriter *self, const char *dir)
{
  for (guint i = 0; i < self->envs->len; i++) {
    DirEnv *env = g_ptr_array_index (self->envs, i);
    if (g_strcmp0 (env->path, dir) == 0)
      return env;
  }
  return NULL;
}

DirEnv *
dir_writer_find_component (DirWriter *self, const char *name)
{
  for (guint i = 0; i < self->envs->len; i++) {
    DirEnv *env = g_ptr_array_index (self->envs, i);
    if (g_strcmp0 (env->component, name) == 0)
      return env;
  }
  return NULL;
}

static gboolean
dir_load (VssWriter *writer, GError **error)
{
  DirConfig *config = dir_config_load (vss_writer_get_config_dir (writer), error);
  if (config == NULL)
    return FALSE;
  DirWriter *self = g_new0 (DirWriter, 1);
  self->config = config;
  self->envs = g_ptr_array_new_with_free_func ((GDestroyNotify) dir_env_free);
  for (guint i = 0; i < config->environments->len; i++) {
    DirEnv *env = dir_env_new (g_ptr_array_index (config->environments, i));
    if (dir_writer_find_component (self, env->component) != NULL) {   /* "a-b" and "a/b" */
      char *unique = g_strdup_printf ("%s-%u", env->component, i);
      g_free (env->component);
      env->component = unique;
    }
    g_ptr_array_add (self->envs, env);
  }
  vss_writer_set_user_data (writer, self, dir_writer_free);
  /* The runner and the coordinator bound the window by it too. */
  vss_writer_set_freeze_timeout (writer, config->freeze_timeout_ms);
  return TRUE;
}

/* A lost or damaged environment is still a component: that is when it
 * must be restorable.  Its caption says what is wrong; a backup of it
 * fails at prepare_backup, naming the problem.  A usable one gets its
 * identity written now, and identify fails when it cannot be. */
static char *
env_caption (DirEnv *env, GError **error)
{
  guint64 txnid = 0;
  g_autoptr(GError) unusable = NULL;
  if (!dir_env_info (env, &txnid, NULL, &unusable))
    return g_strdup_printf ("LMDB environment %s (unusable: %s)", env->path, unusable->message);
  g_autofree char *id = dir_env_identity (env->path, error);
  if (id == NULL)
    return NULL;
  /* The caption carries identity and position so a requester sees them. */
  return g_strdup_printf ("LMDB environment %s (identity %s, last txn %" G_GUINT64_FORMAT ")",
                          env->path, id, txnid);
}

static gboolean
add_env_component (VssWriterMetadata *metadata, DirEnv *env, GError **error)
{
  g_autofree char *caption = env_caption (env, error);
  const char *files[] = { "data.mdb", "lock.mdb", DIR_ID_FILE };
  if (caption == NULL ||
      !vss_writer_metadata_add_component (metadata, VSS_CT_DATABASE, DIR_LOGICAL_PATH,
                                          env->component, caption, TRUE, TRUE, error) ||
      !vss_writer_metadata_set_component_image (metadata, DIR_LOGICAL_PATH, env->component,
                                                error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    if (!vss_writer_metadata_add_database_files (metadata, DIR_LOGICAL_PATH, env->component,
                                                 env->path, files[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
add_config_component (VssWriterMetadata *metadata, const char *config, GError **error)
{
  gboolean is_dir = g_file_test (config, G_FILE_TEST_IS_DIR);
  g_autofree char *dir = is_dir ? g_strdup (config) : g_path_get_dirname (config);
  g_autofree char *spec = is_dir ? g_strdup ("*") : g_path_get_basename (config);
  return vss_writer_metadata_add_component (metadata, VSS_CT_FILEGROUP, NULL, "slapd-config",
                                            "slapd configuration", TRUE, TRUE, error) &&
         vss_writer_metadata_add_files_to_file_group (metadata, NULL, "slapd-config", dir, spec,
                                                      is_dir, NULL, error);
}

static gboolean
dir_identify (VssWriter *writer, VssWriterMetadata *metadata, GError **error)
{
  DirWriter *self = dir_writer_get (writer);
  if (!vss_writer_metadata_set_restore_method (metadata, VSS_RME_STOP_RESTORE_START,
                                               self->config->service, NULL, VSS_WRE_ALWAYS,
                                               FALSE, error) ||
      !vss_writer_metadata_set_backup_schema (metadata, VSS_BS_COPY, error))
    return FALSE;
  for (guint i = 0; i < self->envs->len; i++)
    if (!add_env_component (metadata, g_ptr_array_index (self->envs, i), error))
      return FALSE;
  return self->config->slapd_config == NULL ||
         add_config_component (metadata, self->config->slapd_config, error);
}

static gboolean
check_no_interlock (VssWriter *writer, DirEnv *env)
{
  g_autoptr(GError) error = NULL;
  if (vss_ds_restore_gate_check (env->path, &error))
    return TRUE;
  vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
  return FALSE;
}

/* Stamp "txnid=N time=ISO" and metadata {identity, last_txnid, time}. */
static gboolean
stamp_component (VssWriter *writer, VssComponent *component, DirEnv *env, GError **error)
{
  guint64 txnid = 0;
  g_autofree char *id = dir_env_identity (env->path, error);
  if (id == NULL || !dir_env_info (env, &txnid, NULL, error))
    return FALSE;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *time = g_date_time_format_iso8601 (now);
  g_autofree char *stamp = g_strdup_printf ("txnid=%" G_GUINT64_FORMAT " time=%s", txnid, time);
  g_autofree char *meta = g_strdup_printf ("{\"identity\":\"%s\",\"last_txnid\":%" G_GUINT64_FORMAT
                                           ",\"time\":\"%s\"}", id, txnid, time);
  return vss_component_set_backup_stamp (component, stamp, error) &&
         vss_component_set_backup_metadata (component, meta, error);
}

static gboolean
dir_prepare_backup (VssWriter *writer)
{
  DirWriter *self = dir_writer_get (writer);
  VssBackupType type = vss_writer_get_backup_type (writer);
  /* a backup that chose none of its components is no concern of its type */
  gboolean chosen = vss_writer_get_component_count (writer) > 0 ||
                    !vss_writer_are_components_selected (writer);
  if (chosen && type != VSS_BT_FULL && type != VSS_BT_COPY) {
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE,
                            "only full backups: LMDB keeps no log or change list, so a %s "
                            "backup is impossible; take a full or copy backup",
                            vss_backup_type_to_string (type));
    return FALSE;
  }
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    VssComponent *component = vss_writer_get_component (writer, i);
    DirEnv *env = dir_writer_find_component (self, vss_component_get_name (component));
    g_autoptr(GError) error = NULL;
    if (env == NULL)
      continue;                 /* the slapd-config file group */
    if (!check_no_interlock (writer, env))
      return FALSE;
    if (!stamp_component (writer, component, env, &error)) {
      vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
      return FALSE;
    }
  }
  return TRUE;
}

/* Stamped again under the writer lock: the transaction the snapshot
 * holds, which post_restore checks the restored copy against. */
static gboolean
stamp_frozen (VssWriter *writer, DirWriter *self)
{
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    VssComponent *component = vss_writer_get_component (writer, i);
    DirEnv *env = dir_writer_find_component (self, vss_component_get_name (component));
    g_autoptr(GError) error = NULL;
    if (env != NULL && !stamp_component (writer, component, env, &error)) {
      vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
      return FALSE;
    }
  }
  return TRUE;
}

static guint
freeze_timeout_ms (DirWriter *self)
{
  guint configured = self->config->freeze_timeout_ms;
  return configured != 0 && configured < DIR_FREEZE_TIMEOUT_MS ? configured : DIR_FREEZE_TIMEOUT_MS;
}

/* The environments open and the holder made: all the freeze then does is
 * ask for the locks.  FALSE with why: an environment cannot be opened. */
static gboolean
ready_to_hold (DirWriter *self, GError **error)
{
  for (guint i = 0; i < self->envs->len; i++)
    if (!dir_env_open (g_ptr_array_index (self->envs, i), error))
      return FALSE;
  if (self->hold == NULL)
    self->hold = dir_hold_new (self->envs);
  return TRUE;
}

/* The holding process started outside the window (dir-hold.h). */
static gboolean
dir_prepare_snapshot (VssWriter *writer)
{
  DirWriter *self = dir_writer_get (writer);
  g_autoptr(GError) error = NULL;
  if (ready_to_hold (self, &error) && dir_hold_start (self->hold, freeze_timeout_ms (self), &error))
    return TRUE;
  vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
  return FALSE;
}

static gboolean
dir_freeze (VssWriter *writer)
{
  DirWriter *self = dir_writer_get (writer);
  g_autoptr(GError) error = NULL;
  if (!ready_to_hold (self, &error)) {
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
    return FALSE;
  }
  if (!dir_hold_freeze (self->hold, self->config->lock_timeout_ms, freeze_timeout_ms (self),
                        &error)) {
    vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
    return FALSE;
  }
  return stamp_frozen (writer, self) && dir_image_pin_all (writer, self);
}

static gboolean
dir_thaw (VssWriter *writer)
{
  DirWriter *self = dir_writer_get (writer);
  gboolean timed_out = FALSE;
  if (self->hold != NULL)
    dir_hold_release (self->hold, &timed_out);
  if (timed_out) {
    vss_writer_set_failure (writer, VSS_WF_TIMEOUT,
                            "the freeze outlived its %u ms timeout and the LMDB writer lock was "
                            "released before the thaw: the snapshot is not consistent; retry",
                            freeze_timeout_ms (self));
    return FALSE;
  }
  return TRUE;
}

static gboolean
dir_abort (VssWriter *writer)
{
  DirWriter *self = dir_writer_get (writer);
  if (self != NULL && self->hold != NULL)
    dir_hold_release (self->hold, NULL);
  if (self != NULL)
    dir_image_release_all (self);
  return TRUE;
}

static gboolean
dir_post_snapshot (VssWriter *writer)
{
  return dir_image_serve_all (writer);
}

/* Pins nobody asked for are not kept past the backup. */
static gboolean
dir_backup_ended (VssWriter *writer)
{
  dir_image_release_all (dir_writer_get (writer));
  return TRUE;
}

static const void *
dir_get_interface (const char *name)
{
  /* the second version only adds to the end of the first's table */
  if (g_strcmp0 (name, VSS_DS_BACKUP_INTERFACE) == 0 ||
      g_strcmp0 (name, VSS_DS_BACKUP_INTERFACE_1) == 0)
    return &dir_online_interface;
  return NULL;
}

VSS_WRITER_DEFINE (DIR_WRITER_ID, DIR_WRITER_NAME, VSS_UT_SYSTEMSERVICE, DIR_FREEZE_TIMEOUT_MS,
                   .on_load = dir_load, .on_identify = dir_identify,
                   .on_prepare_backup = dir_prepare_backup,
                   .on_prepare_snapshot = dir_prepare_snapshot, .on_freeze = dir_freeze,
                   .on_thaw = dir_thaw, .on_abort = dir_abort,
                   .on_post_snapshot = dir_post_snapshot,
                   .on_backup_complete = dir_backup_ended, .on_backup_shutdown = dir_backup_ended,
                   .on_pre_restore = dir_pre_restore, .on_post_restore = dir_post_restore,
                   .get_interface = dir_get_interface)
