/* vss-ds-common.c — handles, caller checks and the last error message of
 * the vss_ds_* API. */
#include "vss-ds-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "online/vss-online-common.h"

#define DS_API "vss_ds"

static GPrivate last_error = G_PRIVATE_INIT (g_free);

VssHResult
vss_ds_fail (VssHResult code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("vss_ds: 0x%08X: %s", code, message);
  g_private_replace (&last_error, message);
  return code;
}

VssHResult
vss_ds_ok (void)
{
  g_private_replace (&last_error, NULL);
  return VSS_S_OK;
}

const char *
vss_ds_get_last_error_message (void)
{
  const char *message = g_private_get (&last_error);
  return message != NULL ? message : "";
}

VssHResult
vss_ds_check_caller (const char *server)
{
  switch (vss_online_classify_server (server)) {
  case VSS_SERVER_INVALID_NAME:
    return vss_ds_fail (VSS_DS_HR_COULD_NOT_CONNECT,
                        "\"%s\" is not a valid host name: give this host's name", server);
  case VSS_SERVER_OTHER:
    return vss_ds_fail (VSS_DS_HR_COULD_NOT_CONNECT,
                        "\"%s\" is not this host: the directory API works on the local "
                        "server only (this is %s)", server, g_get_host_name ());
  case VSS_SERVER_LOCAL:
    break;
  }
  return VSS_S_OK;
}

#define DS_PRIVILEGE "root, CAP_DAC_OVERRIDE, or the directory server's own user (read and " \
  "write access to data.mdb and lock.mdb: an LMDB reader registers in lock.mdb, so "      \
  "CAP_DAC_READ_SEARCH is not enough)"

/* Read and write access (effective ids and capabilities) to @file, or
 * when it does not exist yet, to the directory that will hold it. */
static gboolean
may_read_write (const char *dir, const char *leaf)
{
  g_autofree char *file = g_build_filename (dir, leaf, NULL);
  if (faccessat (AT_FDCWD, file, R_OK | W_OK, AT_EACCESS) == 0)
    return TRUE;
  return errno == ENOENT && faccessat (AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0;
}

VssHResult
vss_ds_check_access (VssDsHandle *handle)
{
  if (vss_online_has_override_privilege ())
    return VSS_S_OK;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) dirs = handle->iface->restore_locations (handle->writer, &error);
  for (guint i = 0; dirs != NULL && i < dirs->len; i++) {
    const char *dir = g_ptr_array_index (dirs, i);
    if (!may_read_write (dir, "data.mdb") || !may_read_write (dir, "lock.mdb"))
      return vss_ds_fail (VSS_WIN32_ERROR_ACCESS_DENIED, "no read-write access to the LMDB "
                          "environment %s: the directory backup API needs " DS_PRIVILEGE, dir);
  }
  return VSS_S_OK;
}

VssHResult
vss_ds_check_restore_privilege (void)
{
  if (vss_online_has_override_privilege ())
    return VSS_S_OK;
  return vss_ds_fail (VSS_WIN32_ERROR_ACCESS_DENIED, "restoring a directory needs root or "
                      "CAP_DAC_OVERRIDE (it replaces the directory server's files)");
}

VssHResult
vss_ds_handle_new (VssDsKind kind, VssDsHandle **out_handle)
{
  g_autofree char *path = NULL;
  const VssWriterModule *module = vss_online_find_writer (VSS_DS_WRITER_NAME, &path);
  const VssWriterDescriptor *descriptor =
      module != NULL ? vss_writer_module_open (module, NULL) : NULL;
  const VssDsBackupInterface *iface = NULL;
  gboolean has_fd = FALSE;
  if (descriptor != NULL && descriptor->abi_minor >= 1 && descriptor->get_interface != NULL) {
    /* a writer of the first version has a shorter table: never read
     * stream_write_to_fd from it */
    iface = descriptor->get_interface (VSS_DS_BACKUP_INTERFACE);
    has_fd = iface != NULL;
    if (iface == NULL)
      iface = descriptor->get_interface (VSS_DS_BACKUP_INTERFACE_1);
  }
  /* an unprivileged caller may not even get the module loaded (its
   * probe process runs with the caller's ids) */
  if (iface == NULL && descriptor == NULL && !vss_online_has_override_privilege ())
    return vss_ds_fail (VSS_WIN32_ERROR_ACCESS_DENIED, "cannot load the directory writer from "
                        "%s: the directory backup API needs " DS_PRIVILEGE, path);
  if (iface == NULL)
    return vss_ds_fail (VSS_DS_HR_COULD_NOT_CONNECT,
                        "no directory writer offering %s in %s: install directory.so there or "
                        "set VSS_WRITER_PATH", VSS_DS_BACKUP_INTERFACE, path);
  g_autofree char *instance = g_uuid_string_random ();
  VssWriter *writer = vss_writer_new (descriptor, instance);
  g_autoptr(GError) error = NULL;
  if (!vss_writer_load (writer, &error)) {
    vss_writer_free (writer);
    /* an unprivileged caller may just not read the writer's settings */
    if (!vss_online_has_override_privilege ())
      return vss_ds_fail (VSS_WIN32_ERROR_ACCESS_DENIED, "cannot load the directory writer "
                          "(%s): the directory backup API needs " DS_PRIVILEGE, error->message);
    return vss_ds_fail (VSS_DS_HR_COULD_NOT_CONNECT, "this host serves no directory: %s",
                        error->message);
  }
  VssDsHandle *handle = g_new0 (VssDsHandle, 1);
  handle->kind = kind;
  handle->writer = writer;
  handle->iface = iface;
  handle->iface_has_fd = has_fd;
  vss_online_handle_register (handle, DS_API);
  *out_handle = handle;
  return VSS_S_OK;
}

VssHResult
vss_ds_invalid_handle (const char *made_by)
{
  return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER, "not a live handle from %s (NULL, "
                      "ended, or of the other kind)", made_by);
}

VssDsHandle *
vss_ds_handle_check (VssDsHandle *handle, VssDsKind kind)
{
  if (!vss_online_handle_is_live (handle, DS_API) || handle->kind != kind)
    return NULL;
  return handle;
}

void
vss_ds_handle_free (VssDsHandle *handle)
{
  vss_online_handle_unregister (handle);
  if (handle->stream != NULL)
    handle->iface->stream_close (handle->stream);
  if (handle->session != NULL)
    handle->iface->backup_end (handle->session);
  vss_ds_token_clear (&handle->token);
  g_free (handle->owner);
  g_free (handle->token_message);
  if (handle->targets != NULL)
    g_ptr_array_unref (handle->targets);
  vss_writer_free (handle->writer);
  g_free (handle);
}

void
vss_ds_backup_free (void *buffer)
{
  g_free (buffer);
}

VssHResult
vss_ds_is_ntds_online (const char *server, gboolean *out_online)
{
  VssHResult hr = vss_ds_check_caller (server);
  if (hr != VSS_S_OK)
    return hr;
  if (out_online == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "out_online is NULL");
  VssDsHandle *handle = NULL;
  if ((hr = vss_ds_handle_new (VSS_DS_BACKUP, &handle)) != VSS_S_OK)
    return hr;
  if ((hr = vss_ds_check_access (handle)) != VSS_S_OK) {
    vss_ds_handle_free (handle);
    return hr;
  }
  g_autoptr(GError) error = NULL;
  gboolean ok = handle->iface->is_online (handle->writer, out_online, &error);
  vss_ds_handle_free (handle);
  if (!ok)
    return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  return vss_ds_ok ();
}
