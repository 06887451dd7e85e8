/* vss-state.c — call-order rules and the checks of what calls name. */
#include "vss-state-private.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "providers/vss-provider-fs.h"

gboolean
vss_state_invalid_arg (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, message);
  return FALSE;
}

gboolean
vss_state_require (VssBackupComponents *self, VssStep step, const char *call,
                   const char *first, GError **error)
{
  if ((self->steps & step) != 0)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE, "%s: call %s first", call, first);
  return FALSE;
}

gboolean
vss_state_require_not (VssBackupComponents *self, guint steps, const char *call,
                       const char *why, GError **error)
{
  if ((self->steps & steps) == 0)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE, "%s: %s", call, why);
  return FALSE;
}

gboolean
vss_state_require_backup (VssBackupComponents *self, const char *call, GError **error)
{
  switch (self->mode) {
  case VSS_MODE_BACKUP:
    return TRUE;
  case VSS_MODE_RESTORE:
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "%s: not allowed during a restore (this object was initialized for restore)", call);
    return FALSE;
  default:
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE, "%s: call initialize_for_backup first", call);
    return FALSE;
  }
}

gboolean
vss_state_require_restore (VssBackupComponents *self, const char *call, GError **error)
{
  if (self->mode == VSS_MODE_RESTORE)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE, "%s: %s", call,
               self->mode == VSS_MODE_BACKUP
                   ? "only during a restore (this object was initialized for backup)"
                   : "call initialize_for_restore first");
  return FALSE;
}

gboolean
vss_state_require_initialized (VssBackupComponents *self, const char *call, GError **error)
{
  if (self->mode != VSS_MODE_NONE)
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
               "%s: call initialize_for_backup or initialize_for_restore first", call);
  return FALSE;
}

gboolean
vss_state_require_gathered (VssBackupComponents *self, const char *call, GError **error)
{
  if ((self->steps & VSS_STEP_GATHERED) != 0)
    return TRUE;
  if ((self->steps & VSS_STEP_GATHER_STARTED) != 0)
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "%s: gather_writer_metadata did not finish successfully; wait for its VssAsync "
                 "(a cancelled or failed gather needs a new VssBackupComponents)", call);
  else
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "%s: call gather_writer_metadata first (and wait for it to finish)", call);
  return FALSE;
}

gboolean
vss_state_require_writer_context (VssBackupComponents *self, const char *call, GError **error)
{
  VssSnapshotContext context = self->document->context;
  if (vss_snapshot_context_has_writers (context))
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
               "%s: the %s context involves no writers", call,
               vss_snapshot_context_to_string (context));
  return FALSE;
}

gboolean
vss_state_needs_abort (VssBackupComponents *self)
{
  g_mutex_lock (&self->lock);
  gboolean started = (self->steps & (VSS_STEP_SET_STARTED | VSS_STEP_PREPARE_STARTED)) != 0;
  gboolean ended = (self->steps & (VSS_STEP_SNAPSHOT_DONE | VSS_STEP_ABORTED)) != 0;
  g_mutex_unlock (&self->lock);
  return started && !ended;
}

/* Is @a the same as @b or one of its ancestors (or the other way round)? */
static gboolean
paths_overlap (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  const char *shorter = la <= lb ? a : b, *longer = la <= lb ? b : a;
  gsize n = MIN (la, lb);
  if (strncmp (shorter, longer, n) != 0)
    return FALSE;
  return longer[n] == '\0' || longer[n] == '/' || g_str_equal (shorter, "/");
}

static gboolean
check_path_free (VssBackupComponents *self, const char *canonical, GError **error)
{
  for (guint i = 0; i < self->snapshots->len; i++) {
    const VssSnapshot *other = g_ptr_array_index (self->snapshots, i);
    if (g_str_equal (other->original_path, canonical)) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                   "add_to_snapshot_set: %s is already in the snapshot set", canonical);
      return FALSE;
    }
    if (paths_overlap (other->original_path, canonical)) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                   "add_to_snapshot_set: %s overlaps %s, already in the set; add only the outer one",
                   canonical, other->original_path);
      return FALSE;
    }
  }
  if (self->snapshots->len >= VSS_MAX_SNAPSHOTS_PER_SET) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_MAXIMUM_NUMBER_OF_VOLUMES_REACHED,
                 "add_to_snapshot_set: a snapshot set holds at most %d paths",
                 VSS_MAX_SNAPSHOTS_PER_SET);
    return FALSE;
  }
  return TRUE;
}

static const VssProvider *
provider_for (const char *canonical, const char *name, GError **error)
{
  if (name == NULL)
    return vss_provider_choose (canonical, error);
  const VssProvider *provider = vss_provider_lookup (name, error);
  if (provider == NULL || !provider->supports (canonical, error))
    return NULL;
  return provider;
}

static gboolean
same_filesystem (const char *a, const char *b)
{
  struct stat sa, sb;
  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev;
}

/* A provider that freezes the whole filesystem (fsfreeze) shares it with
 * no other snapshot of the set: a btrfs, reflink or copy snapshot writes
 * there and would block on the freeze (a self-deadlock), and a second
 * block-level snapshot of one filesystem would only freeze it twice. */
static gboolean
check_freeze_conflicts (VssBackupComponents *self, const char *canonical,
                        const VssProvider *provider, GError **error)
{
  for (guint i = 0; i < self->snapshots->len; i++) {
    const VssSnapshot *other = g_ptr_array_index (self->snapshots, i);
    if (!provider->freezes_filesystem && !other->provider->freezes_filesystem)
      continue;
    if (!same_filesystem (canonical, other->original_path))
      continue;
    g_autofree char *mount = vss_provider_fs_root (canonical, NULL);
    const char *where = mount != NULL ? mount : "?";
    if (provider == other->provider)
      return vss_state_invalid_arg (error,
          "add_to_snapshot_set: %s and %s (already in the set) are on one filesystem, mounted "
          "on %s; %s takes one block-level snapshot of the whole filesystem: add its mount "
          "point %s once", canonical, other->original_path, where, provider->name, where);
    const VssProvider *freezer = provider->freezes_filesystem ? provider : other->provider;
    const VssProvider *writer = provider->freezes_filesystem ? other->provider : provider;
    return vss_state_invalid_arg (error,
        "add_to_snapshot_set: %s (%s) and %s (%s, already in the set) are on one filesystem, "
        "mounted on %s: %s freezes the whole filesystem, and a %s snapshot writes to it and "
        "would block until the thaw (a self-deadlock); snapshot that filesystem with one "
        "provider", canonical, provider->name, other->original_path, other->provider->name,
        where, freezer->name, writer->name);
  }
  return TRUE;
}

VssSnapshot *
vss_state_new_snapshot (VssBackupComponents *self, const char *path, const char *provider_name,
                        GError **error)
{
  g_autofree char *canonical = realpath (path, NULL);
  if (canonical == NULL) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "add_to_snapshot_set: %s: %s", path, g_strerror (saved));
    return NULL;
  }
  if (!check_path_free (self, canonical, error))
    return NULL;
  const VssProvider *provider = provider_for (canonical, provider_name, error);
  if (provider == NULL || !check_freeze_conflicts (self, canonical, provider, error))
    return NULL;
  VssSnapshot *snapshot = vss_snapshot_new (self->document->snapshot_set_id, canonical, provider,
                                            self->document->context);
  snapshot->storage_root = g_strdup (self->storage_dir);
  return snapshot;
}

VssSnapshot *
vss_state_find_snapshot (VssBackupComponents *self, const char *snapshot_id)
{
  for (guint i = 0; i < self->snapshots->len; i++) {
    VssSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);
    if (g_str_equal (snapshot->snapshot_id, snapshot_id))
      return snapshot;
  }
  return NULL;
}

VssWriterProxy *
vss_state_find_writer (VssBackupComponents *self, const char *call, const char *instance_id,
                       const char *writer_id, GError **error)
{
  for (guint i = 0; i < self->writers->len; i++) {
    VssWriterProxy *proxy = g_ptr_array_index (self->writers, i);
    if (proxy->metadata == NULL || g_strcmp0 (proxy->writer_id, writer_id) != 0)
      continue;
    if (instance_id == NULL || g_str_equal (proxy->instance_id, instance_id))
      return proxy;
  }
  g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
               "%s: no writer %s%s%s answered gather_writer_metadata", call,
               writer_id != NULL ? writer_id : "(null)",
               instance_id != NULL ? " instance " : "", instance_id != NULL ? instance_id : "");
  return NULL;
}

VssBcdWriter *
vss_state_bcd_writer (VssBackupComponents *self, VssWriterProxy *proxy)
{
  const char *instance = self->mode == VSS_MODE_RESTORE ? NULL : proxy->instance_id;
  return vss_document_find_writer (self->document, proxy->writer_id, instance);
}

VssComponent *
vss_state_find_added_component (VssBackupComponents *self, const char *call,
                                const char *instance_id, const char *writer_id,
                                VssComponentType type, const char *logical_path,
                                const char *name, GError **error)
{
  VssBcdWriter *writer = vss_document_find_writer (self->document, writer_id, instance_id);
  VssComponent *component = writer != NULL
                                ? vss_bcd_writer_find_component (writer, type, logical_path, name)
                                : NULL;
  if (component == NULL)
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s: component %s%s%s of writer %s was not added with add_component", call,
                 logical_path != NULL ? logical_path : "", logical_path != NULL ? "/" : "",
                 name != NULL ? name : "(null)", writer_id != NULL ? writer_id : "(null)");
  return component;
}
