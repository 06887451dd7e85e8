/* vss-cs-backup.c — vss_cs_backup_*: streaming the certificate stores. */
#include "vss-cs-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vss-paths.h"

/* A file marks the "server" stopped (server_control shutdown) until a
 * restore completes. */
char *cs_offline_marker (void);

char *
cs_offline_marker (void)
{
  return g_build_filename (vss_paths_state_dir (), "certificate-offline", NULL);
}

VssHResult
vss_cs_is_server_online (const char *server, gboolean *out_online)
{
  CsHandle *probe = NULL;
  VssHResult hr = cs_check_server (server);
  if (hr != VSS_S_OK)
    return hr;
  if (out_online == NULL)
    return cs_fail (VSS_CS_E_INVALID_PARAM, "out_online must not be NULL");
  g_autofree char *marker = cs_offline_marker ();
  *out_online = FALSE;
  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    return cs_ok ();
  hr = cs_handle_new (CS_HANDLE_BACKUP, 0, &probe);
  if (hr != VSS_S_OK)
    return hr;
  cs_handle_end (probe);
  *out_online = TRUE;
  return cs_ok ();
}

/* A store with a restore registered is half put back: not backed up. */
static VssHResult
check_no_restore (CsHandle *self)
{
  GError *error = NULL;
  g_autoptr(GPtrArray) dbs = self->iface->list_databases (self->writer, &error);
  if (dbs == NULL)
    return cs_fail_error (VSS_CS_E_ERROR, "listing the stores", error);
  for (guint i = 0; i < dbs->len; i++)
    if (!vss_cs_restore_gate_check (g_ptr_array_index (dbs, i), &error))
      return cs_fail_error (VSS_CS_E_RESTORE_IN_PROGRESS, "no online backup", error);
  return VSS_S_OK;
}

VssHResult
vss_cs_backup_prepare (const char *server, guint32 grbit_jet, guint32 backup_flags,
                       VssCsHandle *out_handle)
{
  CsHandle *self = NULL;
  GError *error = NULL;
  VssHResult hr = cs_check_server (server);
  if (hr != VSS_S_OK)
    return hr;
  if (out_handle == NULL || grbit_jet != 0 ||
      (backup_flags != VSS_CSBACKUP_TYPE_FULL && backup_flags != VSS_CSBACKUP_TYPE_LOGS_ONLY))
    return cs_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                    "backup_prepare: grbit_jet must be 0 (got %u), backup_flags "
                    "VSS_CSBACKUP_TYPE_FULL or _LOGS_ONLY (got %u), out_handle not NULL",
                    grbit_jet, backup_flags);
  *out_handle = NULL;
  g_autofree char *marker = cs_offline_marker ();
  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    return cs_fail (VSS_CS_E_COULD_NOT_CONNECT, "the certificate stores are shut down for a "
                    "restore (server_control): finish the restore first");
  if ((hr = cs_handle_new (CS_HANDLE_BACKUP, backup_flags, &self)) != VSS_S_OK)
    return hr;
  if ((hr = check_no_restore (self)) != VSS_S_OK) {
    cs_handle_end (self);
    return hr;
  }
  if (backup_flags == VSS_CSBACKUP_TYPE_LOGS_ONLY && !self->iface->check_logs_only (self->writer, &error)) {
    cs_handle_end (self);
    return cs_fail_error (VSS_CS_E_CIRCULAR_LOGGING, "logs-only backup", error);
  }
  *out_handle = self;
  return cs_ok ();
}

static VssHResult
return_list (GPtrArray *names, guint8 type, char **out_list, guint32 *out_size)
{
  g_autofree guint8 *types = g_malloc (names->len + 1);
  memset (types, type, names->len + 1);
  *out_list = vss_online_multi_sz (names, types, out_size);
  return cs_ok ();
}

typedef GPtrArray *(*ListFunc) (VssWriter *writer, GError **error);

static VssHResult
get_list (VssCsHandle handle, char **out_list, guint32 *out_size, int which)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_BACKUP);
  GError *error = NULL;
  if (self == NULL)
    return cs_invalid_handle ();
  if (out_list == NULL || out_size == NULL)
    return cs_fail (VSS_CS_E_INVALID_PARAM, "out_list and out_size must not be NULL");
  ListFunc list = which == 0 ? self->iface->list_databases
                : which == 1 ? self->iface->list_logs : self->iface->list_dynamic_files;
  g_autoptr(GPtrArray) names = NULL;
  /* a logs-only backup copies no database */
  if (which == 0 && self->flags == VSS_CSBACKUP_TYPE_LOGS_ONLY)
    names = g_ptr_array_new ();
  else if ((names = list (self->writer, &error)) == NULL)
    return cs_fail_error (VSS_CS_E_ERROR, "listing the stores", error);
  guint8 type = which == 0 ? VSS_CSBFT_CERTSERVER_DATABASE : which == 1 ? VSS_BFT_LOG : VSS_BFT_UNKNOWN;
  return return_list (names, type, out_list, out_size);
}

VssHResult
vss_cs_backup_get_database_names (VssCsHandle handle, char **out_list, guint32 *out_size)
{
  return get_list (handle, out_list, out_size, 0);
}

VssHResult
vss_cs_backup_get_backup_logs (VssCsHandle handle, char **out_list, guint32 *out_size)
{
  return get_list (handle, out_list, out_size, 1);
}

VssHResult
vss_cs_backup_get_dynamic_file_list (VssCsHandle handle, char **out_list, guint32 *out_size)
{
  return get_list (handle, out_list, out_size, 2);
}

static gboolean
listed (GPtrArray *names, const char *name)
{
  for (guint i = 0; names != NULL && i < names->len; i++)
    if (g_str_equal (g_ptr_array_index (names, i), name))
      return TRUE;
  return FALSE;
}

static char *
saved_log_key (const char *log)
{
  return g_strconcat ("saved-log:", log, NULL);
}

/* The copy to stream: a database through sqlite3_backup, a WAL checked
 * against the generation its database was copied in. */
static VssHResult
make_copy (CsHandle *self, const char *name, const char *temp)
{
  GError *error = NULL;
  g_autoptr(GPtrArray) dbs = self->iface->list_databases (self->writer, NULL);
  g_autoptr(GPtrArray) logs = self->iface->list_logs (self->writer, NULL);
  if (self->flags == VSS_CSBACKUP_TYPE_FULL && listed (dbs, name)) {
    char *stamp = NULL;
    if (!self->iface->copy_database (self->writer, name, temp, &stamp, &error))
      return cs_fail_error (VSS_CS_E_ERROR, name, error);
    if (stamp != NULL)
      g_hash_table_replace (self->stamps, g_strdup (name), stamp);
    return VSS_S_OK;
  }
  if (listed (logs, name)) {
    g_autofree char *db = g_strndup (name, strlen (name) - strlen ("-wal"));
    const char *db_stamp = g_hash_table_lookup (self->stamps, db);
    char *log_stamp = NULL;
    gboolean ok = self->iface->version >= 3
      ? self->iface->copy_log_stamped (self->writer, name, temp, db_stamp, &log_stamp, &error)
      : self->iface->copy_log (self->writer, name, temp, db_stamp, &error);
    if (!ok)
      return cs_fail_error (VSS_CS_E_FULL_BACKUP_NOT_TAKEN, name, error);
    /* what truncate_logs may drop: exactly the frames saved here */
    if (log_stamp != NULL)
      g_hash_table_replace (self->stamps, saved_log_key (name), log_stamp);
    return VSS_S_OK;
  }
  return cs_fail (VSS_CS_E_LOG_FILE_NOT_FOUND, "%s is not in this backup's %s list: open a name "
                  "the handle listed", name, self->flags == VSS_CSBACKUP_TYPE_FULL ? "database or log" : "log");
}

/* A database read in place by the writer (interface 2), when it can:
 * no copy on disk, so a backup writes the data once.  VSS_S_OK with no
 * stream when it cannot (a rollback-journal store): copy it. */
static VssHResult
open_in_place (CsHandle *self, const char *name, guint64 *out_size)
{
  GError *error = NULL;
  char *stamp = NULL;
  if (self->iface->version < 2 || self->flags != VSS_CSBACKUP_TYPE_FULL)
    return VSS_S_OK;
  g_autoptr(GPtrArray) dbs = self->iface->list_databases (self->writer, NULL);
  if (!listed (dbs, name))
    return VSS_S_OK;
  self->open_stream = self->iface->open_database (self->writer, name, out_size, &stamp, &error);
  if (error != NULL)
    return cs_fail_error (VSS_CS_E_ERROR, name, error);
  if (stamp != NULL)
    g_hash_table_replace (self->stamps, g_strdup (name), stamp);
  return VSS_S_OK;
}

VssHResult
vss_cs_backup_open_file (VssCsHandle handle, const char *name, guint32 read_hint, guint64 *out_size)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_BACKUP);
  if (self == NULL)
    return cs_invalid_handle ();
  if (name == NULL || out_size == NULL)
    return cs_fail (VSS_CS_E_INVALID_PARAM, "name and out_size must not be NULL");
  if (self->open_fd >= 0 || self->open_stream != NULL)
    return cs_fail (VSS_CS_E_ALREADY_OPEN, "a file is still open: one file at a time per "
                    "handle, call vss_cs_backup_close first");
  if (name[0] != '/' && name[0] != '\0')
    name++;   /* the type byte of a listed name */
  VssHResult in_place = open_in_place (self, name, out_size);
  if (in_place != VSS_S_OK || self->open_stream != NULL)
    return in_place == VSS_S_OK ? cs_ok () : in_place;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (vss_paths_state_dir (), "cs-backup", NULL);
  if (!vss_paths_ensure_dir (dir, &error))
    return cs_fail (VSS_CS_E_ERROR, "%s", error->message);
  char *temp = g_build_filename (dir, "copy-XXXXXX", NULL);
  int fd = g_mkstemp_full (temp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    VssHResult hr = cs_fail (VSS_CS_E_ERROR, "%s: %s", temp, g_strerror (errno));
    g_free (temp);
    return hr;
  }
  close (fd);
  unlink (temp);
  VssHResult hr = make_copy (self, name, temp);
  if (hr == VSS_S_OK && (fd = open (temp, O_RDONLY | O_CLOEXEC)) < 0)
    hr = cs_fail (VSS_CS_E_ERROR, "%s: %s", temp, g_strerror (errno));
  if (hr != VSS_S_OK) {
    unlink (temp);
    g_free (temp);
    return hr;
  }
  struct stat st;
  fstat (fd, &st);
  *out_size = (guint64) st.st_size;
  self->open_fd = fd;
  self->open_temp = temp;
  return cs_ok ();
}

VssHResult
vss_cs_backup_read (VssCsHandle handle, void *buffer, guint32 size, guint32 *out_read)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_BACKUP);
  if (self == NULL)
    return cs_invalid_handle ();
  if (buffer == NULL || out_read == NULL || size == 0)
    return cs_fail (VSS_CS_E_INVALID_PARAM, "buffer, size and out_read must be set");
  if (self->open_fd < 0 && self->open_stream == NULL)
    return cs_fail (VSS_CS_E_INVALID_HANDLE, "no file is open: call vss_cs_backup_open_file");
  ssize_t n;
  if (self->open_stream != NULL) {
    GError *error = NULL;
    if ((n = self->iface->stream_read (self->open_stream, buffer, size, &error)) < 0)
      return cs_fail_error (VSS_CS_E_ERROR, "reading the database", error);
  } else {
    do
      n = read (self->open_fd, buffer, size);
    while (n < 0 && errno == EINTR);
    if (n < 0)
      return cs_fail (VSS_CS_E_ERROR, "reading the copy: %s", g_strerror (errno));
  }
  *out_read = (guint32) n;
  return n == 0 ? cs_fail (VSS_WIN32_ERROR_HANDLE_EOF, "end of file") : cs_ok ();
}

VssHResult
vss_cs_backup_close (VssCsHandle handle)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_BACKUP);
  if (self == NULL)
    return cs_invalid_handle ();
  if (self->open_fd < 0 && self->open_stream == NULL)
    return cs_fail (VSS_CS_E_INVALID_HANDLE, "no file is open");
  if (self->open_stream != NULL)
    self->iface->stream_close (g_steal_pointer (&self->open_stream));
  if (self->open_fd >= 0) {
    close (self->open_fd);
    self->open_fd = -1;
    unlink (self->open_temp);
    g_clear_pointer (&self->open_temp, g_free);
  }
  return cs_ok ();
}

/* Only logs this handle saved, and only the frames it saved: a log
 * truncated otherwise would lose changes no backup holds. */
VssHResult
vss_cs_backup_truncate_logs (VssCsHandle handle)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_BACKUP);
  GError *error = NULL;
  if (self == NULL)
    return cs_invalid_handle ();
  if (self->iface->version < 3)
    return cs_fail (VSS_CS_E_ERROR, "the installed certificate writer predates the checked "
                    "truncation (interface version %u < 3): update it", self->iface->version);
  g_autoptr(GPtrArray) logs = self->iface->list_logs (self->writer, &error);
  if (logs == NULL)
    return cs_fail_error (VSS_CS_E_ERROR, "listing the logs", error);
  for (guint i = 0; i < logs->len; i++) {
    const char *log = g_ptr_array_index (logs, i);
    g_autofree char *key = saved_log_key (log);
    const char *stamp = g_hash_table_lookup (self->stamps, key);
    if (stamp == NULL)
      return cs_fail (VSS_CS_E_LOG_FILE_NOT_FOUND, "%s was not saved through this handle "
                      "(vss_cs_backup_open_file, read to the end): save every log before "
                      "truncating", log);
  }
  for (guint i = 0; i < logs->len; i++) {
    const char *log = g_ptr_array_index (logs, i);
    g_autofree char *key = saved_log_key (log);
    if (!self->iface->truncate_log (self->writer, log, g_hash_table_lookup (self->stamps, key),
                                    &error))
      return cs_fail_error (VSS_CS_E_ERROR, "truncating the log", error);
  }
  return cs_ok ();
}

VssHResult
vss_cs_backup_end (VssCsHandle handle)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_BACKUP);
  if (self == NULL)
    return cs_invalid_handle ();
  cs_handle_end (self);
  return cs_ok ();
}

void
vss_cs_backup_free (void *buffer)
{
  g_free (buffer);
}
