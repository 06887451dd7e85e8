/* vss-ds-restore.c — the restore half of the vss_ds_* API (DsRestore*)
 * and the restore interlock that keeps the server from starting on a
 * half-restored store. */
#include "vss-ds-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "online/vss-online-common.h"
#include "util/vss-fs.h"

#define GEN_MAX 0xFFFFFu

/* Every target directory of the environment (identity) must be one the
 * token names; a target without an identity (a fresh one) is accepted. */
static VssHResult
check_token_identity (VssDsHandle *handle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) dirs = handle->iface->restore_locations (handle->writer, &error);
  if (dirs == NULL)
    return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  for (guint i = 0; i < dirs->len; i++) {
    const char *dir = g_ptr_array_index (dirs, i);
    g_autofree char *id = handle->iface->read_identity (handle->writer, dir);
    if (id != NULL && !vss_ds_token_names (&handle->token, id))
      return vss_ds_fail (VSS_DS_HR_MISSING_EXPIRY_TOKEN,
                          "the expiry token is for directory %s, not for %s (identity %s): give "
                          "this directory's token, or, if this server was rebuilt, remove its "
                          "vss-directory.id", handle->token.identity, dir, id);
  }
  return VSS_S_OK;
}

/* A token is decoded here but judged by vss_ds_restore_register, which
 * answers hrMissingExpiryToken for an invalid one (damaged, expired, of
 * another directory), as DsRestoreRegister does. */
VssHResult
vss_ds_restore_prepare (const char *server, guint32 flags, const void *token,
                        guint32 token_size, VssDsHandle **out_handle)
{
  VssHResult hr = vss_ds_check_caller (server);
  if (hr != VSS_S_OK || (hr = vss_ds_check_restore_privilege ()) != VSS_S_OK)
    return hr;
  if (flags != 0 && flags != VSS_DS_RESTORE_TYPE_CATCHUP)
    return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                        "flags must be 0 or VSS_DS_RESTORE_TYPE_CATCHUP (was 0x%X)", flags);
  if (out_handle == NULL)
    return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER, "out_handle must not be NULL");
  if ((token == NULL) != (token_size == 0))
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "token and token_size go together");
  VssDsHandle *handle = NULL;
  if ((hr = vss_ds_handle_new (VSS_DS_RESTORE, &handle)) != VSS_S_OK)
    return hr;
  handle->has_token = token != NULL;
  if (handle->has_token)
    handle->token_hr = vss_ds_token_decode (token, token_size, g_get_real_time (),
                                            &handle->token, &handle->token_message);
  *out_handle = handle;
  return vss_ds_ok ();
}

/* hrMissingExpiryToken when the token given to prepare was none or not
 * valid here, saying why. */
static VssHResult
check_token (VssDsHandle *handle)
{
  if (!handle->has_token)
    return vss_ds_fail (VSS_DS_HR_MISSING_EXPIRY_TOKEN,
                        "this handle was prepared without an expiry token: call "
                        "vss_ds_restore_prepare with the backup's token");
  if (handle->token_hr != VSS_S_OK)
    return vss_ds_fail (VSS_DS_HR_MISSING_EXPIRY_TOKEN, "the expiry token given to "
                        "vss_ds_restore_prepare is not valid (0x%08X): %s", handle->token_hr,
                        handle->token_message != NULL ? handle->token_message : "");
  return check_token_identity (handle);
}

VssHResult
vss_ds_restore_get_database_locations (VssDsHandle *handle, char **out_locations,
                                       guint32 *out_size)
{
  if (vss_ds_handle_check (handle, VSS_DS_RESTORE) == NULL)
    return vss_ds_invalid_handle ("vss_ds_restore_prepare");
  if (out_locations == NULL || out_size == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "out_locations and out_size must be given");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) dirs = handle->iface->restore_locations (handle->writer, &error);
  if (dirs == NULL)
    return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GByteArray) types = g_byte_array_new ();
  const guint8 kinds[] = { VSS_BFT_NTDS_DATABASE, VSS_BFT_LOG_DIR, VSS_BFT_CHECKPOINT_DIR };
  for (guint i = 0; i < dirs->len; i++) {
    const char *dir = g_ptr_array_index (dirs, i);
    g_ptr_array_add (names, g_build_filename (dir, "data.mdb", NULL));
    g_ptr_array_add (names, g_strdup (dir));   /* LMDB has no logs nor checkpoint: */
    g_ptr_array_add (names, g_strdup (dir));   /* its directory stands for both */
    g_byte_array_append (types, kinds, G_N_ELEMENTS (kinds));
  }
  *out_locations = vss_online_multi_sz (names, types->data, out_size);
  return vss_ds_ok ();
}

static VssHResult
check_map (const VssDsRestoreMap *rstmap, guint32 count)
{
  if (count > 0 && rstmap == NULL)
    return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER, "rstmap is NULL with %u entries", count);
  for (guint32 i = 0; i < count; i++) {
    const char *from = rstmap[i].database_name, *to = rstmap[i].new_database_name;
    if (from == NULL || to == NULL || *from == '\0')
      return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                          "rstmap[%u]: both names must be given", i);
    if (!g_path_is_absolute (to) || !g_str_has_suffix (to, "/data.mdb") ||
        !g_str_has_suffix (from, "data.mdb"))
      return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                          "rstmap[%u]: an LMDB database is DIR/data.mdb, restored to an absolute "
                          "DIR/data.mdb (got \"%s\" -> \"%s\")", i, from, to);
  }
  return VSS_S_OK;
}

static VssHResult
check_register_args (const char *checkpoint_path, const char *log_path,
                     const VssDsRestoreMap *rstmap, guint32 rstmap_count,
                     const char *backup_log_path, guint32 gen_low, guint32 gen_high)
{
  if (checkpoint_path == NULL || log_path == NULL || backup_log_path == NULL)
    return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                        "checkpoint_path, log_path and backup_log_path must not be NULL");
  if (gen_low > gen_high || gen_high > GEN_MAX)
    return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                        "log generations must satisfy 0 <= low <= high <= 0x%X (got %u..%u)",
                        GEN_MAX, gen_low, gen_high);
  return check_map (rstmap, rstmap_count);
}

/* The directories that receive the files: the mapped ones, else every
 * environment of the writer. */
static GPtrArray *
restore_targets (VssDsHandle *handle, const VssDsRestoreMap *rstmap, guint32 count)
{
  if (count == 0)
    return handle->iface->restore_locations (handle->writer, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint32 i = 0; i < count; i++)
    g_ptr_array_add (out, g_path_get_dirname (rstmap[i].new_database_name));
  return out;
}

static VssHResult
check_targets (VssDsHandle *handle, GPtrArray *targets)
{
  for (guint i = 0; i < targets->len; i++) {
    const char *dir = g_ptr_array_index (targets, i);
    g_autoptr(GError) error = NULL;
    if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
      return vss_ds_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                          "restore target %s is not a directory: create it first", dir);
    if (!handle->iface->restore_check_offline (handle->writer, dir, &error))
      return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
  }
  return VSS_S_OK;
}

static void
lift_interlocks (VssDsHandle *handle, GPtrArray *targets, guint count)
{
  for (guint i = 0; i < count; i++)
    vss_ds_restore_interlock_lift (g_ptr_array_index (targets, i), handle->owner, NULL);
}

static VssHResult
place_interlocks (VssDsHandle *handle, GPtrArray *targets)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_utc (handle->token.backup_time_usec /
                                                             G_USEC_PER_SEC);
  g_autofree char *then_s = then != NULL ? g_date_time_format_iso8601 (then) : g_strdup ("?");
  g_autofree char *by = g_strdup_printf ("vss_ds_restore_register (backup of %s, identity %s)",
                                         then_s, handle->token.identity);
  g_free (handle->owner);
  handle->owner = g_uuid_string_random ();
  for (guint i = 0; i < targets->len; i++) {
    g_autoptr(GError) error = NULL;
    if (!vss_ds_restore_interlock_place (g_ptr_array_index (targets, i), handle->owner, by,
                                         &error)) {
      lift_interlocks (handle, targets, i);     /* all or nothing */
      if (g_error_matches (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS))
        return vss_ds_fail (VSS_DS_HR_RESTORE_IN_PROGRESS, "%s", error->message);
      return vss_ds_fail (VSS_DS_HR_ERROR, "%s", error->message);
    }
  }
  return VSS_S_OK;
}

VssHResult
vss_ds_restore_register (VssDsHandle *handle, const char *checkpoint_path, const char *log_path,
                         const VssDsRestoreMap *rstmap, guint32 rstmap_count,
                         const char *backup_log_path, guint32 gen_low, guint32 gen_high)
{
  if (vss_ds_handle_check (handle, VSS_DS_RESTORE) == NULL)
    return vss_ds_invalid_handle ("vss_ds_restore_prepare");
  VssHResult hr = vss_ds_check_restore_privilege ();
  if (hr == VSS_S_OK)
    hr = check_register_args (checkpoint_path, log_path, rstmap, rstmap_count,
                              backup_log_path, gen_low, gen_high);
  if (hr == VSS_S_OK)
    hr = check_token (handle);
  if (hr != VSS_S_OK)
    return hr;
  if (handle->targets != NULL)
    return vss_ds_fail (VSS_DS_HR_RESTORE_IN_PROGRESS,
                        "a restore is already registered on this handle");
  g_autoptr(GPtrArray) targets = restore_targets (handle, rstmap, rstmap_count);
  if (targets == NULL)
    return vss_ds_fail (VSS_DS_HR_ERROR, "the directory writer lists no environment");
  if ((hr = check_targets (handle, targets)) != VSS_S_OK ||
      (hr = place_interlocks (handle, targets)) != VSS_S_OK)
    return hr;
  handle->targets = g_steal_pointer (&targets);
  return vss_ds_ok ();
}

VssHResult
vss_ds_restore_register_complete (VssDsHandle *handle, VssHResult result)
{
  if (vss_ds_handle_check (handle, VSS_DS_RESTORE) == NULL)
    return vss_ds_invalid_handle ("vss_ds_restore_prepare");
  if (handle->targets == NULL)
    return vss_ds_fail (VSS_DS_HR_INVALID_PARAM, "no restore is registered: vss_ds_restore_register");
  if (result != VSS_S_OK) {
    g_message ("vss_ds: restore reported failure 0x%08X: the interlock stays", result);
    return vss_ds_ok ();
  }
  for (guint i = 0; i < handle->targets->len; i++) {
    const char *dir = g_ptr_array_index (handle->targets, i);
    g_autoptr(GError) error = NULL;
    if (!handle->iface->restore_verify (handle->writer, dir, &error))
      return vss_ds_fail (VSS_DS_HR_ERROR, "%s; the restore interlock stays until a good "
                          "database is restored", error->message);
  }
  for (guint i = 0; i < handle->targets->len; i++) {
    g_autoptr(GError) error = NULL;
    if (!vss_ds_restore_interlock_lift (g_ptr_array_index (handle->targets, i), handle->owner,
                                        &error))
      return vss_ds_fail (VSS_DS_HR_RESTORE_IN_PROGRESS, "%s", error->message);
  }
  g_clear_pointer (&handle->targets, g_ptr_array_unref);
  return vss_ds_ok ();
}

VssHResult
vss_ds_restore_end (VssDsHandle *handle)
{
  if (vss_ds_handle_check (handle, VSS_DS_RESTORE) == NULL)
    return vss_ds_invalid_handle ("vss_ds_restore_prepare");
  vss_ds_handle_free (handle);
  return vss_ds_ok ();
}
