/* vss-ds-backup.c — the backup half of the vss_ds_* API (DsBackup*). */
#include "vss-ds-private.h"

#include <fcntl.h>
#include <string.h>

#include "online/vss-online-common.h"

static VssHResult
check_backup_type (guint32 grbit, guint32 backup_type)
{
  if (grbit != 0)
    return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER, "grbit must be 0 (it was 0x%X)", grbit);
  switch (backup_type) {
  case VSS_DS_BACKUP_TYPE_FULL:
    return VSS_S_OK;
  case VSS_DS_BACKUP_TYPE_INCREMENTAL:
    return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                        "incremental backups are not possible: LMDB keeps no logs; use "
                        "VSS_DS_BACKUP_TYPE_FULL");
  case VSS_DS_BACKUP_TYPE_LOGS_ONLY:
    return vss_ds_fail (VSS_WIN32_ERROR_NOT_SUPPORTED,
                        "logs-only backups are not supported: LMDB keeps no logs; use "
                        "VSS_DS_BACKUP_TYPE_FULL");
  default:
    return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                        "unknown backup type %u: use VSS_DS_BACKUP_TYPE_FULL", backup_type);
  }
}

static VssHResult
make_token (VssDsHandle *handle, void **out_token, guint32 *out_size)
{
  g_autoptr(GError) error = NULL;
  VssDsToken token = { .backup_time_usec = g_get_real_time () };
  if (!handle->iface->get_identity (handle->writer, &token.identity, &token.tombstone_seconds,
                                    &error))
    return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  *out_token = vss_ds_token_encode (&token, out_size);
  vss_ds_token_clear (&token);
  return VSS_S_OK;
}

/* A store with a restore registered (its interlock) is half put back: it
 * is not backed up, as the writer's prepare_backup refuses it too. */
static VssHResult
check_no_restore (VssDsHandle *handle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) dirs = handle->iface->restore_locations (handle->writer, &error);
  if (dirs == NULL)
    return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  for (guint i = 0; i < dirs->len; i++)
    if (!vss_ds_restore_gate_check (g_ptr_array_index (dirs, i), &error))
      return vss_ds_fail (VSS_DS_HR_RESTORE_IN_PROGRESS, "%s; no online backup of it until "
                          "then", error->message);
  return VSS_S_OK;
}

VssHResult
vss_ds_backup_prepare (const char *server, guint32 grbit, guint32 backup_type,
                       void **out_expiry_token, guint32 *out_token_size, VssDsHandle **out_handle)
{
  VssHResult hr = vss_ds_check_caller (server);
  if (hr == VSS_S_OK)
    hr = check_backup_type (grbit, backup_type);
  if (hr != VSS_S_OK)
    return hr;
  if (out_handle == NULL)
    return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER, "out_handle must not be NULL");
  if (out_expiry_token == NULL || out_token_size == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM,
                        "out_expiry_token and out_token_size must not be NULL");
  VssDsHandle *handle = NULL;
  if ((hr = vss_ds_handle_new (VSS_DS_BACKUP, &handle)) != VSS_S_OK)
    return hr;
  if ((hr = vss_ds_check_access (handle)) != VSS_S_OK ||
      (hr = check_no_restore (handle)) != VSS_S_OK) {
    vss_ds_handle_free (handle);
    return hr;
  }
  g_autoptr(GError) error = NULL;
  /* The token is taken first: its time is never later than the data. */
  void *token = NULL;
  guint32 size = 0;
  if ((hr = make_token (handle, &token, &size)) != VSS_S_OK) {
    vss_ds_handle_free (handle);
    return hr;
  }
  handle->session = handle->iface->backup_begin (handle->writer, &error);
  if (handle->session == NULL) {
    g_free (token);
    vss_ds_handle_free (handle);
    return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  }
  *out_expiry_token = token;
  *out_token_size = size;
  *out_handle = handle;
  return vss_ds_ok ();
}

static VssHResult
list_names (GPtrArray *names, guint8 type, char **out_names, guint32 *out_size)
{
  if (out_names == NULL || out_size == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "out_names and out_size must not be NULL");
  g_autofree guint8 *types = g_malloc (names->len + 1);
  memset (types, type, names->len + 1);
  *out_names = vss_online_multi_sz (names, types, out_size);
  return vss_ds_ok ();
}

VssHResult
vss_ds_backup_get_database_names (VssDsHandle *handle, char **out_names, guint32 *out_size)
{
  if (vss_ds_handle_check (handle, VSS_DS_BACKUP) == NULL)
    return vss_ds_invalid_handle ("vss_ds_backup_prepare");
  return list_names (handle->iface->backup_database_names (handle->session),
                     VSS_BFT_NTDS_DATABASE, out_names, out_size);
}

VssHResult
vss_ds_backup_get_backup_logs (VssDsHandle *handle, char **out_names, guint32 *out_size)
{
  if (vss_ds_handle_check (handle, VSS_DS_BACKUP) == NULL)
    return vss_ds_invalid_handle ("vss_ds_backup_prepare");
  g_autoptr(GPtrArray) none = g_ptr_array_new ();   /* LMDB writes no logs */
  return list_names (none, VSS_BFT_LOG, out_names, out_size);
}

VssHResult
vss_ds_backup_open_file (VssDsHandle *handle, const char *name, guint32 read_hint,
                         guint64 *out_size)
{
  if (vss_ds_handle_check (handle, VSS_DS_BACKUP) == NULL)
    return vss_ds_invalid_handle ("vss_ds_backup_prepare");
  if (name == NULL || out_size == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "name and out_size must not be NULL");
  if (handle->stream != NULL)
    return vss_ds_fail (VSS_DS_HR_ALREADY_OPEN,
                        "a file is already open on this handle: vss_ds_backup_close it first");
  if (name[0] != '/' && name[0] != '\0' && name[1] == '/')
    name++;                     /* the type byte left on */
  GPtrArray *names = handle->iface->backup_database_names (handle->session);
  guint index;
  if (!g_ptr_array_find_with_equal_func (names, name, g_str_equal, &index))
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM,
                        "%s is not a database of this backup (see "
                        "vss_ds_backup_get_database_names)", name);
  g_autoptr(GError) error = NULL;
  handle->stream = handle->iface->backup_open (handle->session, index, out_size, &error);
  if (handle->stream == NULL)
    return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  return vss_ds_ok ();
}

VssHResult
vss_ds_backup_read (VssDsHandle *handle, void *buffer, guint32 size, guint32 *out_read)
{
  if (vss_ds_handle_check (handle, VSS_DS_BACKUP) == NULL)
    return vss_ds_invalid_handle ("vss_ds_backup_prepare");
  if (buffer == NULL || out_read == NULL || size == 0)
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "buffer, size and out_read must be given");
  *out_read = 0;
  if (handle->stream == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_HANDLE, "no file is open: vss_ds_backup_open_file");
  g_autoptr(GError) error = NULL;
  gssize n = handle->iface->stream_read (handle->stream, buffer, size, &error);
  if (n < 0)
    return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  if (n == 0)
    return vss_ds_fail (VSS_WIN32_ERROR_HANDLE_EOF, "end of file");
  *out_read = (guint32) n;
  return vss_ds_ok ();
}

/* What vss_ds_backup_read_to_fd needs of @fd; FALSE has set the error. */
static gboolean
check_out_fd (int fd, VssHResult *out_hr)
{
  int flags = fd >= 0 ? fcntl (fd, F_GETFL) : -1;
  if (flags < 0)
    *out_hr = vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "fd %d is not an open file descriptor", fd);
  else if ((flags & O_ACCMODE) == O_RDONLY)
    *out_hr = vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "fd %d is not open for writing", fd);
  else if (flags & O_NONBLOCK)
    *out_hr = vss_ds_fail (VSS_DS_HR_INVALID_PARAM,
                           "fd %d is non-blocking: clear O_NONBLOCK, or use vss_ds_backup_read",
                           fd);
  else
    return TRUE;
  return FALSE;
}

VssHResult
vss_ds_backup_read_to_fd (VssDsHandle *handle, int fd, guint64 max, guint64 *out_written)
{
  VssHResult hr;
  if (vss_ds_handle_check (handle, VSS_DS_BACKUP) == NULL)
    return vss_ds_invalid_handle ("vss_ds_backup_prepare");
  if (out_written == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "out_written must not be NULL");
  *out_written = 0;
  if (!check_out_fd (fd, &hr))
    return hr;
  if (handle->stream == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_HANDLE, "no file is open: vss_ds_backup_open_file");
  if (!handle->iface_has_fd)
    return vss_ds_fail (VSS_DS_HR_NYI, "the installed directory writer predates "
                        "vss_ds_backup_read_to_fd: update it, or use vss_ds_backup_read");
  guint64 left = max != 0 ? max : G_MAXUINT64;
  while (left > 0) {
    g_autoptr(GError) error = NULL;
    gssize n = handle->iface->stream_write_to_fd (handle->stream, fd, MIN (left, G_MAXSSIZE),
                                                  &error);
    if (n < 0 && *out_written == 0)
      return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
    if (n <= 0)
      break;                    /* the end, or a failure the next call reports */
    *out_written += n;
    left -= n;
  }
  if (*out_written == 0)
    return vss_ds_fail (VSS_WIN32_ERROR_HANDLE_EOF, "end of file");
  return vss_ds_ok ();
}

VssHResult
vss_ds_backup_close (VssDsHandle *handle)
{
  if (vss_ds_handle_check (handle, VSS_DS_BACKUP) == NULL)
    return vss_ds_invalid_handle ("vss_ds_backup_prepare");
  if (handle->stream == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_HANDLE, "no file is open on this handle");
  handle->iface->stream_close (g_steal_pointer (&handle->stream));
  return vss_ds_ok ();
}

VssHResult
vss_ds_backup_truncate_logs (VssDsHandle *handle)
{
  if (vss_ds_handle_check (handle, VSS_DS_BACKUP) == NULL)
    return vss_ds_invalid_handle ("vss_ds_backup_prepare");
  return vss_ds_ok ();           /* nothing to truncate: LMDB has no logs */
}

VssHResult
vss_ds_backup_end (VssDsHandle *handle)
{
  if (vss_ds_handle_check (handle, VSS_DS_BACKUP) == NULL &&
      vss_ds_handle_check (handle, VSS_DS_RESTORE) == NULL)
    return vss_ds_invalid_handle ("vss_ds_backup_prepare or vss_ds_restore_prepare");
  vss_ds_handle_free (handle);
  return vss_ds_ok ();
}
