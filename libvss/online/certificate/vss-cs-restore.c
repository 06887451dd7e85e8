/* vss-cs-restore.c — vss_cs_restore_*, server_control and the restore
 * interlock.
 *
 * The interlock is a file per registered database in
 * <state dir>/cs-restore-gate: placed by restore_register, removed by a
 * successful restore_register_complete, and checked by whatever starts a
 * certificate service (vss_cs_restore_gate_check), so nothing opens a
 * store that is half put back. */
#include "vss-cs-private.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/vss-fs.h"
#include "util/vss-paths.h"
#include "util/vss-process.h"

char *cs_offline_marker (void);

typedef struct {
  char *database;
  char *restored;      /* where the restored copy is (may equal database) */
} Registered;

static char *
gate_dir (void)
{
  return g_build_filename (vss_paths_state_dir (), "cs-restore-gate", NULL);
}

static char *
gate_path (const char *database)
{
  g_autofree char *dir = gate_dir ();
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA1, database, -1);
  return g_build_filename (dir, sum, NULL);
}

gboolean
vss_cs_restore_gate_check (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_autofree char *dir = gate_dir ();
  g_autoptr(GDir) entries = g_dir_open (dir, 0, NULL);
  const char *leaf;
  while (entries != NULL && (leaf = g_dir_read_name (entries)) != NULL) {
    g_autofree char *file = g_build_filename (dir, leaf, NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents (file, &text, NULL, NULL))
      continue;
    g_autofree char *database = g_strndup (text, strcspn (text, "\n"));
    g_autofree char *store_dir = g_path_get_dirname (database);
    if (g_str_equal (path, database) || g_str_equal (path, store_dir) ||
        (g_str_has_prefix (database, path) && database[strlen (path)] == '/')) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                   "%s is being restored (registered by vss_cs_restore_register, not completed): "
                   "finish the restore with vss_cs_restore_register_complete before starting "
                   "a service on it", database);
      return FALSE;
    }
  }
  return TRUE;
}

/* A gate names its owner: the process (pid and start time) and a token of
 * the restore within it, so neither a reused pid nor another restore in
 * the same process passes for the one that closed it. */
typedef struct {
  gint64 pid;
  guint64 start;
  char *token;
} GateOwner;

static void
gate_owner_clear (GateOwner *owner)
{
  g_clear_pointer (&owner->token, g_free);
}

static char *
gate_line (const char *text, const char *key)
{
  g_autofree char *prefix = g_strconcat ("\n", key, "=", NULL);
  const char *line = strstr (text, prefix);
  return line != NULL ? g_strndup (line + strlen (prefix), strcspn (line + strlen (prefix), "\n"))
                      : NULL;
}

/* FALSE when @database has no gate. */
static gboolean
gate_owner (const char *database, GateOwner *out)
{
  g_autofree char *gate = gate_path (database);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (gate, &text, NULL, NULL))
    return FALSE;
  g_autofree char *pid = gate_line (text, "pid");
  g_autofree char *start = gate_line (text, "start");
  out->pid = pid != NULL ? g_ascii_strtoll (pid, NULL, 10) : 0;
  out->start = start != NULL ? g_ascii_strtoull (start, NULL, 10) : 0;
  out->token = gate_line (text, "owner");
  return TRUE;
}

/* The gate of @database was closed by another restore that still runs (a
 * gate left by one whose process is gone is an interrupted restore, which
 * the next may take over).  @token: the asking restore's. */
static gboolean
gate_held (const char *database, const char *token, gint64 *out_pid)
{
  GateOwner owner = { 0 };
  if (!gate_owner (database, &owner))
    return FALSE;
  *out_pid = owner.pid;
  gboolean ours = owner.pid == getpid () && owner.start == vss_process_start_time (owner.pid) &&
                  g_strcmp0 (owner.token, token) == 0;
  gboolean held = !ours && (owner.pid <= 0 || vss_process_is_alive (owner.pid, owner.start));
  gate_owner_clear (&owner);
  return held;
}

static gboolean
gate_close (const char *database, const char *token, GError **error)
{
  gint64 holder = 0;
  if (gate_held (database, token, &holder)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                 "%s: another restore (process %" G_GINT64_FORMAT ") is putting it back: let "
                 "it complete first", database, holder);
    return FALSE;
  }
  g_autofree char *dir = gate_dir ();
  g_autofree char *gate = gate_path (database);
  pid_t pid = getpid ();
  g_autofree char *text = g_strdup_printf ("%s\npid=%d\nstart=%" G_GUINT64_FORMAT "\nowner=%s\n",
                                           database, (int) pid, vss_process_start_time (pid), token);
  return vss_paths_ensure_dir (dir, error) &&
         vss_fs_write_atomic (gate, text, strlen (text), 0644, error);
}

static void
gate_open (const char *database, const char *token)
{
  gint64 holder = 0;
  if (gate_held (database, token, &holder)) {
    g_warning ("%s: the restore gate belongs to another restore (process %" G_GINT64_FORMAT
               "): left closed", database, holder);
    return;
  }
  g_autofree char *gate = gate_path (database);
  unlink (gate);
}

/* The writer's restores: one at a time per machine (the snapshot-set
 * lock), so one token for all of them. */
#define WRITER_GATE_TOKEN "certificate-writer"

gboolean
vss_cs_restore_gate_close (const char *database, GError **error)
{
  g_return_val_if_fail (database != NULL, FALSE);
  return gate_close (database, WRITER_GATE_TOKEN, error);
}

void
vss_cs_restore_gate_open (const char *database)
{
  g_return_if_fail (database != NULL);
  gate_open (database, WRITER_GATE_TOKEN);
}

VssHResult
vss_cs_server_control (const char *server, guint32 control_flags, guint32 *out_size,
                       guint8 **out_data)
{
  VssHResult hr = cs_check_server (server);
  if (hr != VSS_S_OK)
    return hr;
  if (control_flags != VSS_CSCONTROL_SHUTDOWN)
    return cs_fail (VSS_WIN32_ERROR_NOT_SUPPORTED,
                    "server_control %u: only VSS_CSCONTROL_SHUTDOWN is supported", control_flags);
  if (out_size != NULL)
    *out_size = 0;
  if (out_data != NULL)
    *out_data = NULL;
  g_autofree char *marker = cs_offline_marker ();
  g_autoptr(GError) error = NULL;
  if (!vss_paths_ensure_dir (vss_paths_state_dir (), &error) ||
      !vss_fs_write_atomic (marker, "shutdown\n", strlen ("shutdown\n"), 0644, &error))
    return cs_fail (VSS_CS_E_ERROR, "%s", error->message);
  return cs_ok ();
}

VssHResult
vss_cs_restore_prepare (const char *server, guint32 restore_flags, VssCsHandle *out_handle)
{
  CsHandle *self = NULL;
  VssHResult hr = cs_check_server (server);
  if (hr != VSS_S_OK)
    return hr;
  if (out_handle == NULL || restore_flags != VSS_CSRESTORE_TYPE_FULL)
    return cs_fail (VSS_WIN32_ERROR_INVALID_PARAMETER, "restore_prepare: restore_flags must be "
                    "VSS_CSRESTORE_TYPE_FULL (got %u) and out_handle not NULL", restore_flags);
  *out_handle = NULL;
  g_autofree char *marker = cs_offline_marker ();
  if (!g_file_test (marker, G_FILE_TEST_EXISTS))
    return cs_fail (VSS_WIN32_ERROR_ACCESS_DENIED, "the certificate stores are online: stop "
                    "their users and call vss_cs_server_control (SHUTDOWN) before restoring");
  if ((hr = cs_handle_new (CS_HANDLE_RESTORE, restore_flags, &self)) != VSS_S_OK)
    return hr;
  *out_handle = self;
  return cs_ok ();
}

VssHResult
vss_cs_restore_get_database_locations (VssCsHandle handle, char **out_list, guint32 *out_size)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_RESTORE);
  if (self == NULL && (self = cs_handle_lookup (handle, CS_HANDLE_BACKUP)) == NULL)
    return cs_invalid_handle ();
  if (out_list == NULL || out_size == NULL)
    return cs_fail (VSS_CS_E_INVALID_PARAM, "out_list and out_size must not be NULL");
  GError *error = NULL;
  g_autoptr(GPtrArray) dbs = self->iface->list_databases (self->writer, &error);
  if (dbs == NULL)
    return cs_fail_error (VSS_CS_E_ERROR, "listing the stores", error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GByteArray) types = g_byte_array_new ();
  const guint8 db_type = VSS_CSBFT_CERTSERVER_DATABASE, log_type = VSS_BFT_LOG_DIR,
               ckpt_type = VSS_BFT_CHECKPOINT_DIR;
  for (guint i = 0; i < dbs->len; i++) {
    g_ptr_array_add (names, g_strdup (g_ptr_array_index (dbs, i)));
    g_byte_array_append (types, &db_type, 1);
    g_ptr_array_add (names, g_path_get_dirname (g_ptr_array_index (dbs, i)));
    g_byte_array_append (types, &log_type, 1);
    g_ptr_array_add (names, g_path_get_dirname (g_ptr_array_index (dbs, i)));
    g_byte_array_append (types, &ckpt_type, 1);
  }
  *out_list = vss_online_multi_sz (names, types->data, out_size);
  return cs_ok ();
}

static void
registered_free (Registered *entry)
{
  g_free (entry->database);
  g_free (entry->restored);
  g_free (entry);
}

VssHResult
vss_cs_restore_register (VssCsHandle handle, const char *checkpoint_path, const char *log_path,
                         const VssCsRestoreMapEntry *map, guint32 count,
                         const char *backup_log_path, guint32 gen_low, guint32 gen_high)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_RESTORE);
  if (self == NULL)
    return cs_invalid_handle ();
  if (checkpoint_path == NULL || log_path == NULL || backup_log_path == NULL || map == NULL ||
      count == 0 || gen_low > gen_high)
    return cs_fail (VSS_WIN32_ERROR_INVALID_PARAMETER,
                    "restore_register: checkpoint_path, log_path, backup_log_path and a map of "
                    "at least one entry are required, and gen_low <= gen_high (%u..%u)",
                    gen_low, gen_high);
  g_autoptr(GPtrArray) dbs = self->iface->list_databases (self->writer, NULL);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) registered_free);
  for (guint32 i = 0; i < count; i++) {
    const char *name = map[i].database_name;
    gboolean known = FALSE;
    for (guint d = 0; name != NULL && dbs != NULL && d < dbs->len; d++)
      known = known || g_str_equal (name, g_ptr_array_index (dbs, d));
    if (!known || map[i].new_database_name == NULL)
      return cs_fail (VSS_WIN32_ERROR_INVALID_PARAMETER, "map entry %u: \"%s\" is not a "
                      "configured database (see restore_get_database_locations), or no new "
                      "name", i, name ? name : "(null)");
    Registered *entry = g_new0 (Registered, 1);
    entry->database = g_strdup (name);
    entry->restored = g_strdup (map[i].new_database_name);
    g_ptr_array_add (entries, entry);
  }
  g_autoptr(GError) error = NULL;
  for (guint i = 0; i < entries->len; i++) {
    Registered *entry = g_ptr_array_index (entries, i);
    gint64 holder = 0;
    if (gate_held (entry->database, self->gate_token, &holder))
      return cs_fail (VSS_CS_E_RESTORE_IN_PROGRESS, "%s: another restore (process %"
                      G_GINT64_FORMAT ") is registered and not completed: let it complete "
                      "(vss_cs_restore_register_complete) first", entry->database, holder);
  }
  for (guint i = 0; i < entries->len; i++) {
    Registered *entry = g_ptr_array_index (entries, i);
    if (!gate_close (entry->database, self->gate_token, &error))
      return cs_fail (VSS_CS_E_ERROR, "%s", error->message);
  }
  g_ptr_array_unref (self->registered);
  self->registered = g_steal_pointer (&entries);
  g_hash_table_replace (self->stamps, g_strdup ("backup_log_path"), g_strdup (backup_log_path));
  g_hash_table_replace (self->stamps, g_strdup ("gen"), g_strdup_printf ("%u %u", gen_low, gen_high));
  return cs_ok ();
}

/* The restored copy into place (a rename beside the live file), then the
 * restored WAL on top, replayed and checked by the writer. */
static VssHResult
restore_one (CsHandle *self, Registered *entry, const char *log_dir, guint32 low, guint32 high)
{
  GError *error = NULL;
  if (!g_str_equal (entry->restored, entry->database)) {
    g_autofree char *temp = g_strconcat (entry->database, ".vss-restoring", NULL);
    g_autoptr(GFile) src = g_file_new_for_path (entry->restored);
    g_autoptr(GFile) dst = g_file_new_for_path (temp);
    if (!g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error) ||
        (rename (temp, entry->database) != 0 &&
         (g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s",
                       entry->database, g_strerror (errno)), TRUE))) {
      unlink (temp);
      return cs_fail_error (VSS_CS_E_ERROR, entry->database, error);
    }
  }
  g_autofree char *base = g_path_get_basename (entry->database);
  g_autofree char *leaf = g_strconcat (base, "-wal", NULL);
  g_autofree char *wal = g_build_filename (log_dir, leaf, NULL);
  if (!self->iface->restore_database (self->writer, entry->database,
                                      g_file_test (wal, G_FILE_TEST_IS_REGULAR) ? wal : NULL,
                                      low, high, &error))
    return cs_fail_error (VSS_CS_E_ERROR, "the restored database does not open cleanly", error);
  gate_open (entry->database, self->gate_token);
  return VSS_S_OK;
}

VssHResult
vss_cs_restore_register_complete (VssCsHandle handle, VssHResult restore_state)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_RESTORE);
  if (self == NULL)
    return cs_invalid_handle ();
  if (self->registered->len == 0)
    return cs_fail (VSS_CS_E_INVALID_PARAM, "nothing registered: call vss_cs_restore_register");
  if (restore_state != VSS_S_OK)   /* the interlock stays until a good restore */
    return cs_ok ();
  guint32 low = 0, high = 0;
  sscanf (g_hash_table_lookup (self->stamps, "gen"), "%u %u", &low, &high);
  const char *log_dir = g_hash_table_lookup (self->stamps, "backup_log_path");
  for (guint i = 0; i < self->registered->len; i++) {
    VssHResult hr = restore_one (self, g_ptr_array_index (self->registered, i), log_dir, low, high);
    if (hr != VSS_S_OK)
      return hr;
  }
  g_autofree char *marker = cs_offline_marker ();
  unlink (marker);
  return cs_ok ();
}

VssHResult
vss_cs_restore_end (VssCsHandle handle)
{
  CsHandle *self = cs_handle_lookup (handle, CS_HANDLE_RESTORE);
  if (self == NULL)
    return cs_invalid_handle ();
  cs_handle_end (self);
  return cs_ok ();
}
