/* cert-store.c — reading certificate.conf, and small SQLite helpers. */
#include "cert-store.h"

#include <vss/vss-error.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const nss_files[] = { "cert9.db", "key4.db", NULL };

static void
cert_store_free (CertStore *store)
{
  g_free (store->path);
  g_free (store->logical_path);
  g_free (store->name);
  g_ptr_array_unref (store->databases);
  g_free (store);
}

void
cert_config_free (CertConfig *config)
{
  if (config == NULL)
    return;
  g_ptr_array_unref (config->stores);
  g_free (config->conf_path);
  g_free (config);
}

/* '/' is not allowed in a component name; the caption keeps the path. */
static char *
component_name (const char *path)
{
  char *name = g_strdup (path[0] == '/' && path[1] != '\0' ? path + 1 : path);
  g_strdelimit (name, "/", '_');
  return name;
}

/* The canonical path of @given; a store that is gone (the very case a
 * restore is for) keeps its place through its directory, which must
 * exist. */
static char *
canonical_path (const char *given, gboolean *missing)
{
  char *canonical = realpath (given, NULL);
  *missing = canonical == NULL && errno == ENOENT;
  if (canonical != NULL || !*missing)
    return canonical;
  g_autofree char *dir = g_path_get_dirname (given);
  g_autofree char *dir_canonical = realpath (dir, NULL);
  g_autofree char *base = g_path_get_basename (given);
  if (dir_canonical == NULL || g_str_equal (base, ".") || g_str_equal (base, ".."))
    return NULL;
  return g_build_filename (dir_canonical, base, NULL);
}

static CertStore *
store_new (CertConfig *config, CertStoreKind kind, const char *given, GError **error)
{
  const char *key = kind == CERT_STORE_NSS ? "nss" : "databases";
  gboolean missing = FALSE;
  g_autofree char *canonical = canonical_path (given, &missing);
  if (canonical == NULL) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "%s: [certificate] %s= lists \"%s\": %s; fix the path or remove it",
                 config->conf_path, key, given, g_strerror (errno));
    return NULL;
  }
  gboolean is_dir = g_file_test (canonical, G_FILE_TEST_IS_DIR);
  if (!missing && is_dir != (kind == CERT_STORE_NSS)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "%s: [certificate] %s= lists \"%s\", which is %s; list NSS directories "
                 "under nss= and SQLite database files under databases=",
                 config->conf_path, key, given, is_dir ? "a directory" : "not a directory");
    return NULL;
  }
  CertStore *store = g_new0 (CertStore, 1);
  store->kind = kind;
  store->path = g_steal_pointer (&canonical);
  store->logical_path = g_strdup (kind == CERT_STORE_NSS ? "nss" : "sqlite");
  store->name = component_name (store->path);
  store->databases = g_ptr_array_new_with_free_func (g_free);
  if (kind == CERT_STORE_SQLITE) {
    g_ptr_array_add (store->databases, g_strdup (store->path));
    return store;
  }
  for (guint i = 0; nss_files[i] != NULL; i++) {
    char *db = g_build_filename (store->path, nss_files[i], NULL);
    g_ptr_array_add (store->databases, db);
    if (g_file_test (db, G_FILE_TEST_EXISTS) && !g_file_test (db, G_FILE_TEST_IS_REGULAR)) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: [certificate] nss= lists \"%s\", whose %s is not a file: not an NSS "
                   "sql: database (create one with certutil -N -d sql:%s)",
                   config->conf_path, given, nss_files[i], given);
      cert_store_free (store);
      return NULL;
    }
  }
  return store;
}

static gboolean
add_stores (CertConfig *config, GKeyFile *file, CertStoreKind kind, GError **error)
{
  const char *key = kind == CERT_STORE_NSS ? "nss" : "databases";
  g_auto(GStrv) paths = g_key_file_get_string_list (file, "certificate", key, NULL, NULL);
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++) {
    if (*g_strstrip (paths[i]) == '\0')
      continue;
    CertStore *store = store_new (config, kind, paths[i], error);
    if (store == NULL)
      return FALSE;
    if (cert_config_find (config, store->logical_path, store->name) != NULL) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: \"%s\" is listed twice; list each store once", config->conf_path,
                   paths[i]);
      cert_store_free (store);
      return FALSE;
    }
    g_ptr_array_add (config->stores, store);
  }
  return TRUE;
}

static gboolean
read_budget (CertConfig *config, GKeyFile *file, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!g_key_file_has_key (file, "certificate", "freeze_budget_ms", NULL))
    return TRUE;
  gint value = g_key_file_get_integer (file, "certificate", "freeze_budget_ms", &local);
  /* The coordinator's watchdog for this writer is the descriptor's 1.5 s;
   * a longer budget would be cut there anyway, so say so now. */
  if (local != NULL || value < 10 || value > CERT_DEFAULT_BUDGET_MS) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "%s: freeze_budget_ms must be a number of milliseconds from 10 to %d "
                 "(NSS writers give up after about 2 s of busy)",
                 config->conf_path, CERT_DEFAULT_BUDGET_MS);
    return FALSE;
  }
  config->budget_ms = (guint) value;
  return TRUE;
}

CertConfig *
cert_config_load (const char *config_dir, GError **error)
{
  g_autoptr(CertConfig) config = g_new0 (CertConfig, 1);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local = NULL;

  config->conf_path = g_build_filename (config_dir, CERT_CONF_FILE, NULL);
  config->stores = g_ptr_array_new_with_free_func ((GDestroyNotify) cert_store_free);
  config->budget_ms = CERT_DEFAULT_BUDGET_MS;
  if (!g_key_file_load_from_file (file, config->conf_path, G_KEY_FILE_NONE, &local) &&
      g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NOT_CONFIGURED,
                 "%s does not exist; to protect certificate stores write a [certificate] "
                 "group with nss= and/or databases= there (see the certificate writer's "
                 "README)", config->conf_path);
    return NULL;
  }
  if (local != NULL) {
    g_set_error (error, local->domain, local->code,
                 "%s: %s; write a [certificate] group with nss= and/or databases= lists",
                 config->conf_path, local->message);
    return NULL;
  }
  if (!add_stores (config, file, CERT_STORE_NSS, error) ||
      !add_stores (config, file, CERT_STORE_SQLITE, error) || !read_budget (config, file, error))
    return NULL;
  if (config->stores->len == 0) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                 "%s: no stores: list NSS directories in nss= or SQLite files in databases= "
                 "under [certificate]", config->conf_path);
    return NULL;
  }
  return g_steal_pointer (&config);
}

CertStore *
cert_config_find (CertConfig *config, const char *logical_path, const char *name)
{
  for (guint i = 0; i < config->stores->len; i++) {
    CertStore *store = g_ptr_array_index (config->stores, i);
    if (g_strcmp0 (store->logical_path, logical_path) == 0 && g_strcmp0 (store->name, name) == 0)
      return store;
  }
  return NULL;
}

CertStore *
cert_config_find_database (CertConfig *config, const char *path)
{
  for (guint i = 0; i < config->stores->len; i++) {
    CertStore *store = g_ptr_array_index (config->stores, i);
    for (guint d = 0; d < store->databases->len; d++)
      if (g_strcmp0 (g_ptr_array_index (store->databases, d), path) == 0)
        return store;
  }
  return NULL;
}

/* ---- SQLite ---- */

sqlite3 *
cert_db_open (const char *path, int busy_ms, GError **error)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot open: %s", path,
                 db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
    sqlite3_close (db);
    return NULL;
  }
  sqlite3_busy_timeout (db, busy_ms);
  return db;
}

gboolean
cert_db_exec (sqlite3 *db, const char *path, const char *sql, GError **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &message);
  if (rc == SQLITE_OK)
    return TRUE;
  g_set_error (error, G_IO_ERROR, rc == SQLITE_BUSY ? G_IO_ERROR_BUSY : G_IO_ERROR_FAILED,
               "%s: %s: %s", path, sql, message != NULL ? message : sqlite3_errstr (rc));
  sqlite3_free (message);
  return FALSE;
}

static char *
query_text (sqlite3 *db, const char *path, const char *sql, GString *all, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  char *first = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    const char *text = (const char *) sqlite3_column_text (stmt, 0);
    if (first == NULL)
      first = g_strdup (text != NULL ? text : "");
    if (all != NULL && all->len < 400)
      g_string_append_printf (all, "%s%s", all->len > 0 ? "; " : "", text != NULL ? text : "");
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s: %s", path, sql,
                 sqlite3_errmsg (db));
    g_clear_pointer (&first, g_free);
  } else if (first == NULL) {
    first = g_strdup ("");
  }
  sqlite3_finalize (stmt);
  return first;
}

char *
cert_db_journal_mode (sqlite3 *db, const char *path, GError **error)
{
  char *mode = query_text (db, path, "PRAGMA journal_mode", NULL, error);
  if (mode != NULL)
    for (char *p = mode; *p != '\0'; p++)
      *p = g_ascii_tolower (*p);
  return mode;
}

gboolean
cert_db_integrity_check (sqlite3 *db, const char *path, GError **error)
{
  g_autoptr(GString) all = g_string_new (NULL);
  g_autofree char *first = query_text (db, path, "PRAGMA integrity_check", all, error);
  if (first == NULL)
    return FALSE;
  if (g_str_equal (first, "ok"))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "%s: PRAGMA integrity_check failed: %s", path, all->str);
  return FALSE;
}

gint64
cert_db_data_version (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  gint64 version = -1;
  if (sqlite3_prepare_v2 (db, "PRAGMA data_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}
