/* vss-ds-common.c — handles, caller checks and the last error message of
 * the vss_ds_* API. */
#include "vss-ds-private.h"

#include <stdarg.h>

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
  if (!vss_online_has_backup_privilege ())
    return vss_ds_fail (VSS_WIN32_ERROR_ACCESS_DENIED,
                        "the directory backup API needs root or CAP_DAC_READ_SEARCH");
  return VSS_S_OK;
}

VssHResult
vss_ds_handle_new (VssDsKind kind, VssDsHandle **out_handle)
{
  g_autofree char *path = NULL;
  const VssWriterModule *module = vss_online_find_writer (VSS_DS_WRITER_NAME, &path);
  const VssDsBackupInterface *iface = NULL;
  gboolean has_fd = FALSE;
  if (module != NULL && module->descriptor->abi_minor >= 1 &&
      module->descriptor->get_interface != NULL) {
    /* a writer of the first version has a shorter table: never read
     * stream_write_to_fd from it */
    iface = module->descriptor->get_interface (VSS_DS_BACKUP_INTERFACE);
    has_fd = iface != NULL;
    if (iface == NULL)
      iface = module->descriptor->get_interface (VSS_DS_BACKUP_INTERFACE_1);
  }
  if (iface == NULL)
    return vss_ds_fail (VSS_DS_HR_COULD_NOT_CONNECT,
                        "no directory writer offering %s in %s: install directory.so there or "
                        "set VSS_WRITER_PATH", VSS_DS_BACKUP_INTERFACE, path);
  g_autofree char *instance = g_uuid_string_random ();
  VssWriter *writer = vss_writer_new (module->descriptor, instance);
  g_autoptr(GError) error = NULL;
  if (!vss_writer_load (writer, &error)) {
    vss_writer_free (writer);
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
  g_autoptr(GError) error = NULL;
  gboolean ok = handle->iface->is_online (handle->writer, out_online, &error);
  vss_ds_handle_free (handle);
  if (!ok)
    return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  return vss_ds_ok ();
}
