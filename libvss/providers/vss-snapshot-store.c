/* vss-snapshot-store.c — the snapshot sets on this machine, across
 * processes (include/vss/vss-snapshots.h, vss-snapshot-store.h).
 *
 * Each set is one JSON record (vss-snapshot-record.h).  Changes to the
 * records are serialized by an flock()ed <state dir>/sets/.lock, so a
 * delete and a clean-up in two processes never remove the same snapshot
 * twice or rewrite each other's records. */
#include "vss-snapshot-store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vss/vss-snapshots.h>

#include "util/vss-paths.h"
#include "vss-snapshot-record.h"

static int
store_lock (GError **error)
{
  g_autofree char *dir = vss_set_record_dir ();
  if (!vss_paths_ensure_dir (vss_paths_state_dir (), error) || !vss_paths_ensure_dir (dir, error))
    return -1;
  g_autofree char *path = g_build_filename (dir, ".lock", NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock (fd, LOCK_EX) != 0) {
    int saved = errno;
    if (fd >= 0)
      close (fd);
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot lock %s: %s", path,
                 g_strerror (saved));
    return -1;
  }
  return fd;
}

static void
store_unlock (int fd)
{
  if (fd >= 0)
    close (fd);   /* drops the flock */
}

/* Every readable record; unreadable ones are reported and skipped, since
 * one damaged file must not hide the other sets. */
static GPtrArray *
load_all (void)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_set_record_free);
  g_autofree char *dir_path = vss_set_record_dir ();
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    if (!g_str_has_suffix (name, ".json") || name[0] == '.')
      continue;
    g_autofree char *path = g_build_filename (dir_path, name, NULL);
    g_autoptr(GError) error = NULL;
    VssSetRecord *record = vss_set_record_load (path, &error);
    if (record == NULL)
      g_warning ("%s", error->message);
    else
      g_ptr_array_add (records, record);
  }
  return records;
}

static VssSnapshot *
snapshot_copy (const VssSnapshot *snapshot)
{
  VssSnapshot *copy = vss_snapshot_new (snapshot->snapshot_set_id, snapshot->original_path,
                                        snapshot->provider, snapshot->context);
  g_free (copy->snapshot_id);
  copy->snapshot_id = g_strdup (snapshot->snapshot_id);
  copy->snapshot_path = g_strdup (snapshot->snapshot_path);
  copy->storage_path = g_strdup (snapshot->storage_path);
  copy->provider_data = g_strdup (snapshot->provider_data);
  copy->created_usec = snapshot->created_usec;
  copy->committed = snapshot->committed;
  return copy;
}

/* ---- the coordinator's side ---- */

static VssSetRecord *
record_of (GPtrArray *snapshots, gboolean (*keep) (const VssSnapshot *))
{
  const VssSnapshot *first = g_ptr_array_index (snapshots, 0);
  VssSetRecord *record = vss_set_record_new_here (first->snapshot_set_id, first->context);
  for (guint i = 0; i < snapshots->len; i++) {
    const VssSnapshot *snapshot = g_ptr_array_index (snapshots, i);
    if (keep == NULL || keep (snapshot))
      g_ptr_array_add (record->snapshots, snapshot_copy (snapshot));
  }
  return record;
}

gboolean
vss_snapshot_store_record (GPtrArray *snapshots, GError **error)
{
  if (snapshots == NULL || snapshots->len == 0)
    return TRUE;
  g_autoptr(VssSetRecord) record = record_of (snapshots, NULL);
  int lock = store_lock (error);
  gboolean ok = lock >= 0 && vss_set_record_save (record, error);
  store_unlock (lock);
  return ok;
}

static gboolean
still_on_disk (const VssSnapshot *snapshot)
{
  struct stat st;
  return snapshot->storage_path != NULL && lstat (snapshot->storage_path, &st) == 0;
}

void
vss_snapshot_store_unrecord (GPtrArray *snapshots)
{
  if (snapshots == NULL || snapshots->len == 0)
    return;
  g_autoptr(VssSetRecord) record = record_of (snapshots, still_on_disk);
  g_autoptr(GError) error = NULL;
  int lock = store_lock (&error);
  if (lock < 0 || !vss_set_record_save (record, &error))
    g_warning ("snapshot set %s: %s", record->snapshot_set_id, error->message);
  store_unlock (lock);
}

/* ---- vss-snapshots.h ---- */

GPtrArray *
vss_snapshots_list (GError **error)
{
  GPtrArray *props = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_snapshot_prop_free);
  g_autoptr(GPtrArray) records = load_all ();
  for (guint i = 0; i < records->len; i++) {
    const VssSetRecord *record = g_ptr_array_index (records, i);
    for (guint j = 0; j < record->snapshots->len; j++)
      g_ptr_array_add (props, vss_snapshot_to_prop (g_ptr_array_index (record->snapshots, j)));
  }
  return props;
}

/* Removes the snapshots of @record that @doomed picks; the record keeps
 * the others and any whose removal failed.  Returns how many went. */
static guint
remove_from_record (VssSetRecord *record, gboolean (*doomed) (const VssSnapshot *, gconstpointer),
                    gconstpointer data, GError **error)
{
  guint removed = 0;
  for (guint i = 0; i < record->snapshots->len;) {
    VssSnapshot *snapshot = g_ptr_array_index (record->snapshots, i);
    g_autoptr(GError) local = NULL;
    if (!doomed (snapshot, data)) {
      i++;
    } else if (snapshot->provider->remove (snapshot, &local)) {
      g_ptr_array_remove_index (record->snapshots, i);
      removed++;
    } else {
      if (error != NULL && *error == NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      i++;
    }
  }
  g_autoptr(GError) save_error = NULL;
  if (removed > 0 && !vss_set_record_save (record, &save_error))
    g_warning ("%s", save_error->message);
  return removed;
}

static gboolean
is_stale (const VssSnapshot *snapshot, gconstpointer data)
{
  return !snapshot->committed || !vss_snapshot_context_is_persistent (snapshot->context);
}

guint
vss_snapshots_clean_stale (GError **error)
{
  int lock = store_lock (error);
  if (lock < 0)
    return 0;
  g_autoptr(GPtrArray) records = load_all ();
  guint removed = 0;
  for (guint i = 0; i < records->len; i++) {
    VssSetRecord *record = g_ptr_array_index (records, i);
    if (vss_set_record_creator_alive (record))
      continue;
    guint n = remove_from_record (record, is_stale, NULL, error);
    if (n > 0)
      g_message ("removed %u snapshot(s) of set %s left by %s (pid %" G_GINT64_FORMAT ", gone)",
                 n, record->snapshot_set_id, record->program, record->pid);
    removed += n;
  }
  store_unlock (lock);
  return removed;
}

static gboolean
is_named (const VssSnapshot *snapshot, gconstpointer id)
{
  return g_str_equal (snapshot->snapshot_id, id) || g_str_equal (snapshot->snapshot_set_id, id);
}

/* A set its creator still works on: not fully committed, or one whose
 * snapshots end with its backup. */
static gboolean
in_use (const VssSetRecord *record)
{
  if (!vss_set_record_creator_alive (record))
    return FALSE;
  for (guint i = 0; i < record->snapshots->len; i++) {
    if (is_stale (g_ptr_array_index (record->snapshots, i), NULL))
      return TRUE;
  }
  return FALSE;
}

static VssSetRecord *
find_record (GPtrArray *records, const char *id)
{
  for (guint i = 0; i < records->len; i++) {
    VssSetRecord *record = g_ptr_array_index (records, i);
    for (guint j = 0; j < record->snapshots->len; j++) {
      if (is_named (g_ptr_array_index (record->snapshots, j), id))
        return record;
    }
  }
  return NULL;
}

gboolean
vss_snapshots_delete (const char *id, GError **error)
{
  g_return_val_if_fail (id != NULL, FALSE);
  int lock = store_lock (error);
  if (lock < 0)
    return FALSE;
  g_autoptr(GPtrArray) records = load_all ();
  VssSetRecord *record = find_record (records, id);
  gboolean ok = FALSE;
  if (record == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "no snapshot or snapshot set with id %s: `vss shadows list` shows them", id);
  } else if (in_use (record)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS,
                 "snapshot set %s is in use by %s (pid %" G_GINT64_FORMAT "); its snapshots "
                 "are deleted when that backup ends", record->snapshot_set_id, record->program,
                 record->pid);
  } else {
    g_autoptr(GError) local = NULL;
    guint removed = remove_from_record (record, is_named, id, &local);
    ok = local == NULL && removed > 0;
    if (local != NULL)
      g_propagate_error (error, g_steal_pointer (&local));
  }
  store_unlock (lock);
  return ok;
}
