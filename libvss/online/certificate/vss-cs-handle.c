/* vss-cs-handle.c — the certificate online API's handles: each one owns
 * an instance of the certificate writer found by name in the writer
 * directories (libvss itself links no SQLite), and is valid only while
 * registered (vss_online_handle_register), so a handle used after its end
 * is refused, not freed memory. */
#include "vss-cs-private.h"

#include <stdarg.h>
#include <unistd.h>

#define CS_API "vss_cs"

static GPrivate last_message = G_PRIVATE_INIT (g_free);

const char *
vss_cs_get_last_error_message (void)
{
  const char *message = g_private_get (&last_message);
  return message != NULL ? message : "";
}

VssHResult
cs_fail (VssHResult code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_private_replace (&last_message, g_strdup_vprintf (format, args));
  va_end (args);
  return code;
}

VssHResult
cs_ok (void)
{
  g_private_replace (&last_message, NULL);
  return VSS_S_OK;
}

VssHResult
cs_fail_error (VssHResult code, const char *what, GError *error)
{
  VssHResult result = cs_fail (code, "%s: %s", what, error != NULL ? error->message : "failed");
  g_clear_error (&error);
  return result;
}

VssHResult
cs_check_server (const char *server)
{
  switch (vss_online_classify_server (server)) {
  case VSS_SERVER_INVALID_NAME:
    return cs_fail (VSS_WIN32_RPC_S_INVALID_BINDING,
                    "\"%s\" is not a host name: give this host's name (short or DNS) or NULL",
                    server);
  case VSS_SERVER_OTHER:
    return cs_fail (VSS_CS_E_COULD_NOT_CONNECT,
                    "\"%s\" is another machine: the certificate backup API works on this host "
                    "only (%s)", server, g_get_host_name ());
  case VSS_SERVER_LOCAL:
  default:
    break;
  }
  /* Reading is not enough: the backup takes the store's SQLite locks and
   * registers its reader in the -shm file, so it must open them read-write. */
  if (!vss_online_has_override_privilege ())
    return cs_fail (VSS_WIN32_ERROR_ACCESS_DENIED,
                    "backing up certificate stores needs root or CAP_DAC_OVERRIDE (read-write "
                    "access to the store: its locks and -shm are written; CAP_DAC_READ_SEARCH "
                    "is not enough)");
  return VSS_S_OK;
}

VssHResult
cs_handle_new (CsHandleKind kind, guint32 flags, CsHandle **out)
{
  const VssWriterModule *module = vss_online_find_writer ("certificate", NULL);
  g_autoptr(GError) error = NULL;
  if (module == NULL)
    return cs_fail (VSS_CS_E_COULD_NOT_CONNECT,
                    "no certificate writer (certificate.so) in the writer directories: install "
                    "it, or point VSS_WRITER_PATH at it");
  const VssWriterDescriptor *descriptor = vss_writer_module_open (module, &error);
  if (descriptor == NULL)
    return cs_fail (VSS_CS_E_COULD_NOT_CONNECT, "%s", error->message);
  const VssCsBackupInterface *iface = descriptor->get_interface != NULL
    ? descriptor->get_interface (VSS_CS_BACKUP_INTERFACE) : NULL;
  if (iface == NULL || iface->version < 1)
    return cs_fail (VSS_CS_E_COULD_NOT_CONNECT, "%s does not offer %s: update the writer",
                    module->path, VSS_CS_BACKUP_INTERFACE);
  VssWriter *writer = vss_writer_new (descriptor, "online");
  if (!vss_writer_load (writer, &error)) {
    vss_writer_free (writer);
    return cs_fail (VSS_CS_E_COULD_NOT_CONNECT, "%s", error->message);
  }
  CsHandle *self = g_new0 (CsHandle, 1);
  self->kind = kind;
  self->writer = writer;
  self->iface = iface;
  self->flags = flags;
  self->open_fd = -1;
  self->stamps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->registered = g_ptr_array_new_with_free_func (g_free);
  self->gate_token = g_uuid_string_random ();
  vss_online_handle_register (self, CS_API);
  *out = self;
  return cs_ok ();
}

CsHandle *
cs_handle_lookup (VssCsHandle handle, CsHandleKind kind)
{
  if (!vss_online_handle_is_live (handle, CS_API) || ((CsHandle *) handle)->kind != kind) {
    cs_fail (VSS_CS_E_INVALID_HANDLE, "not a live %s handle (ended, never made, or of the other "
             "kind): start again with %s", kind == CS_HANDLE_BACKUP ? "backup" : "restore",
             kind == CS_HANDLE_BACKUP ? "vss_cs_backup_prepare" : "vss_cs_restore_prepare");
    return NULL;
  }
  return handle;
}

VssHResult
cs_invalid_handle (void)
{
  return VSS_WIN32_ERROR_INVALID_PARAMETER;
}

void
cs_handle_end (CsHandle *self)
{
  vss_online_handle_unregister (self);
  if (self->open_fd >= 0)
    close (self->open_fd);
  if (self->open_stream != NULL)
    self->iface->stream_close (self->open_stream);
  if (self->open_temp != NULL)
    unlink (self->open_temp);
  g_free (self->open_temp);
  g_hash_table_unref (self->stamps);
  g_ptr_array_unref (self->registered);
  g_free (self->gate_token);
  vss_writer_free (self->writer);
  g_free (self);
}
