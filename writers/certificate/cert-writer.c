/* cert-writer.c — the certificate writer: NSS databases and SQLite
 * certificate stores, frozen with their own write locks. */
#include "cert-writer.h"

#include <string.h>

#include "cert-image.h"
#include "cert-wal.h"

static void
cert_writer_free (CertWriter *self)
{
  cert_image_release_all (self);
  cert_freezer_free (self->freezer);
  cert_config_free (self->config);
  g_hash_table_unref (self->wal_mode);
  g_hash_table_unref (self->wal_pins);   /* closes what a backup left pinned */
  g_free (self);
}

static void
close_pin (gpointer db)
{
  sqlite3_close (db);
}

static gboolean
cert_load (VssWriter *writer, GError **error)
{
  CertConfig *config = cert_config_load (vss_writer_get_config_dir (writer), error);
  if (config == NULL)
    return FALSE;
  CertWriter *self = g_new0 (CertWriter, 1);
  self->config = config;
  self->freezer = cert_freezer_new ();
  self->wal_mode = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->wal_pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, close_pin);
  vss_writer_set_user_data (writer, self, (GDestroyNotify) cert_writer_free);
  return TRUE;
}

static gboolean
identify_store (const CertStore *store, VssWriterMetadata *md, GError **error)
{
  if (!vss_writer_metadata_add_component (md, VSS_CT_DATABASE, store->logical_path, store->name,
                                          store->path, TRUE, TRUE, error) ||
      !vss_writer_metadata_set_component_image (md, store->logical_path, store->name, error))
    return FALSE;
  g_autofree char *dir = store->kind == CERT_STORE_NSS ? g_strdup (store->path)
                                                        : g_path_get_dirname (store->path);
  if (store->kind == CERT_STORE_NSS)
    return vss_writer_metadata_add_database_files (md, store->logical_path, store->name, dir,
                                                   "cert9.db", error) &&
           vss_writer_metadata_add_database_files (md, store->logical_path, store->name, dir,
                                                   "key4.db", error) &&
           vss_writer_metadata_add_database_files (md, store->logical_path, store->name, dir,
                                                   "pkcs11.txt", error);
  /* In WAL mode the log is the WAL, and the frames a truncation carried
   * over (cert-wal.h); a journal-mode store simply has none. */
  g_autofree char *base = g_path_get_basename (store->path);
  g_autofree char *wal = g_strconcat (base, "-wal", NULL);
  g_autofree char *carry_path = cert_wal_carry_path (store->path);
  g_autofree char *carry = g_path_get_basename (carry_path);
  return vss_writer_metadata_add_database_files (md, store->logical_path, store->name, dir, base,
                                                 error) &&
         vss_writer_metadata_add_database_log_files (md, store->logical_path, store->name, dir,
                                                     wal, error) &&
         vss_writer_metadata_add_database_log_files (md, store->logical_path, store->name, dir,
                                                     carry, error);
}

static gboolean
cert_identify (VssWriter *writer, VssWriterMetadata *md, GError **error)
{
  CertWriter *self = vss_writer_get_user_data (writer);
  if (!vss_writer_metadata_set_backup_schema (md, VSS_BS_LOG | VSS_BS_COPY, error) ||
      !vss_writer_metadata_set_restore_method (md, VSS_RME_RESTORE_IF_CAN_REPLACE, NULL, NULL,
                                               VSS_WRE_ALWAYS, FALSE, error))
    return FALSE;
  for (guint i = 0; i < self->config->stores->len; i++)
    if (!identify_store (g_ptr_array_index (self->config->stores, i), md, error))
      return FALSE;
  return TRUE;
}

CertStore *
cert_writer_component_store (VssWriter *writer, guint index)
{
  CertWriter *self = vss_writer_get_user_data (writer);
  VssComponent *component = vss_writer_get_component (writer, index);
  if (component == NULL)
    return NULL;
  return cert_config_find (self->config, vss_component_get_logical_path (component),
                           vss_component_get_name (component));
}

gboolean
cert_writer_is_wal (CertWriter *self, const char *db_path)
{
  return g_hash_table_contains (self->wal_mode, db_path);
}

/* Records each selected database's journal mode; refuses a log backup of
 * a store that has no log. */
static gboolean
check_store_mode (VssWriter *writer, CertWriter *self, const CertStore *store)
{
  for (guint d = 0; d < store->databases->len; d++) {
    const char *path = g_ptr_array_index (store->databases, d);
    g_autoptr(GError) error = NULL;
    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE,
                              "%s does not exist, but certificate.conf lists it: restore it "
                              "(vss restore), create it%s, or remove it from the list", path,
                              store->kind == CERT_STORE_NSS ? " (certutil -N -d sql:DIR)" : "");
      return FALSE;
    }
    sqlite3 *db = cert_db_open (path, 1000, &error);
    g_autofree char *mode = db != NULL ? cert_db_journal_mode (db, path, &error) : NULL;
    sqlite3_close (db);
    if (mode == NULL) {
      vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
      return FALSE;
    }
    if (g_str_equal (mode, "wal"))
      g_hash_table_add (self->wal_mode, g_strdup (path));
    else if (vss_writer_get_backup_type (writer) == VSS_BT_LOG) {
      vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE,
                              "%s uses journal_mode=%s (a rollback journal), which keeps no "
                              "log to back up: take a full backup of it", path, mode);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
cert_prepare_backup (VssWriter *writer)
{
  CertWriter *self = vss_writer_get_user_data (writer);
  VssBackupType type = vss_writer_get_backup_type (writer);
  if (type != VSS_BT_FULL && type != VSS_BT_COPY && type != VSS_BT_LOG) {
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE,
                            "a %s backup is not supported: SQLite stores are backed up whole "
                            "(full, copy) or as their WAL (log)", vss_backup_type_to_string (type));
    return FALSE;
  }
  g_hash_table_remove_all (self->wal_mode);
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    CertStore *store = cert_writer_component_store (writer, i);
    if (store != NULL && !check_store_mode (writer, self, store))
      return FALSE;
  }
  return TRUE;
}

/* Under the lock: the WAL cannot move, so the stamp and the chain check
 * describe exactly what the snapshot holds. */
static gboolean
stamp_component (VssWriter *writer, CertWriter *self, VssComponent *component,
                 const CertStore *store)
{
  g_autoptr(GError) error = NULL;
  const char *path = g_ptr_array_index (store->databases, 0);
  if (store->kind == CERT_STORE_NSS || !cert_writer_is_wal (self, path))
    return vss_component_set_backup_stamp (component, "sqlite-journal", NULL);
  CertWalHeader now;
  if (!cert_wal_read (path, &now, &error)) {
    vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
    return FALSE;
  }
  if (vss_writer_get_backup_type (writer) == VSS_BT_LOG &&
      !cert_wal_check_chain (path, vss_component_get_previous_backup_stamp (component), &now,
                             &error)) {
    vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "%s", error->message);
    return FALSE;
  }
  g_autofree char *stamp = cert_wal_stamp_format (&now);
  vss_component_set_backup_stamp (component, stamp, NULL);
  return TRUE;
}

static gboolean
cert_freeze (VssWriter *writer)
{
  CertWriter *self = vss_writer_get_user_data (writer);
  g_autoptr(GPtrArray) databases = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    CertStore *store = cert_writer_component_store (writer, i);
    for (guint d = 0; store != NULL && d < store->databases->len; d++)
      g_ptr_array_add (databases, g_strdup (g_ptr_array_index (store->databases, d)));
  }
  if (!cert_freezer_freeze (self->freezer, databases, self->config->budget_ms, CERT_ACQUIRE_MS,
                            &error)) {
    vss_writer_set_failure (writer, VSS_WF_RETRYABLE,
                            "could not take the write lock within %d ms: %s; another program "
                            "is writing, try again", CERT_ACQUIRE_MS, error->message);
    return FALSE;
  }
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    CertStore *store = cert_writer_component_store (writer, i);
    if (store != NULL && !stamp_component (writer, self, vss_writer_get_component (writer, i), store))
      return FALSE;   /* on_abort releases */
  }
  return cert_image_pin_all (writer, self);
}

static gboolean
cert_thaw (VssWriter *writer)
{
  CertWriter *self = vss_writer_get_user_data (writer);
  CertThawResult result;
  if (!cert_freezer_is_frozen (self->freezer))
    return TRUE;
  cert_freezer_thaw (self->freezer, &result);
  g_autofree char *changed = result.changed_database;
  if (result.expired) {
    vss_writer_set_failure (writer, VSS_WF_TIMEOUT,
                            "held the NSS lock for the %.1f s budget (freeze_budget_ms=%u) and "
                            "released it so that certificate writers do not fail; the snapshot "
                            "took too long: use a faster provider or retry",
                            self->config->budget_ms / 1000.0, self->config->budget_ms);
    return FALSE;
  }
  if (changed != NULL) {
    vss_writer_set_failure (writer, VSS_WF_RETRYABLE,
                            "%s was written by another program while it was frozen (this "
                            "process closed the file and so dropped its lock: POSIX locks are "
                            "per process); the snapshot may mix two states: try again", changed);
    return FALSE;
  }
  g_debug ("certificate: thaw: the locks were held %.1f ms", result.held_usec / 1000.0);
  return TRUE;
}

static gboolean
cert_abort (VssWriter *writer)
{
  CertWriter *self = vss_writer_get_user_data (writer);
  CertThawResult result;
  if (cert_freezer_is_frozen (self->freezer)) {
    cert_freezer_thaw (self->freezer, &result);
    g_free (result.changed_database);
  }
  cert_image_release_all (self);
  return TRUE;
}

static gboolean
cert_post_snapshot (VssWriter *writer)
{
  return cert_image_serve_all (writer);
}

static gboolean
cert_backup_shutdown (VssWriter *writer)
{
  cert_image_release_all (vss_writer_get_user_data (writer));
  return TRUE;
}

static gboolean
cert_backup_complete (VssWriter *writer)
{
  cert_image_release_all (vss_writer_get_user_data (writer));
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    VssComponent *component = vss_writer_get_component (writer, i);
    CertStore *store = cert_writer_component_store (writer, i);
    if (store == NULL || store->kind != CERT_STORE_SQLITE ||
        !vss_component_get_backup_succeeded (component) ||
        vss_writer_get_backup_type (writer) == VSS_BT_COPY)
      continue;   /* truncating after a failed (or copy) backup would lose the log */
    g_autoptr(GError) error = NULL;
    g_autofree char *note = NULL;
    if (!cert_wal_truncate (store->path, vss_component_get_backup_stamp (component), &note,
                            &error))
      vss_writer_set_failure (writer, VSS_WF_RETRYABLE, "%s", error->message);
    else if (note != NULL)
      g_message ("certificate: backup_complete: %s", note);
  }
  return TRUE;
}

static const void *
cert_get_interface (const char *name)
{
  return g_strcmp0 (name, "vss.cs-backup.1") == 0 ? cert_online_interface () : NULL;
}

VSS_WRITER_DEFINE (CERT_WRITER_ID, CERT_WRITER_NAME, VSS_UT_USERDATA, CERT_DEFAULT_BUDGET_MS,
                   .on_load = cert_load, .on_identify = cert_identify,
                   .on_prepare_backup = cert_prepare_backup, .on_freeze = cert_freeze,
                   .on_thaw = cert_thaw, .on_abort = cert_abort,
                   .on_post_snapshot = cert_post_snapshot,
                   .on_backup_complete = cert_backup_complete,
                   .on_backup_shutdown = cert_backup_shutdown,
                   .on_pre_restore = cert_writer_pre_restore,
                   .on_post_restore = cert_writer_post_restore,
                   .get_interface = cert_get_interface)
