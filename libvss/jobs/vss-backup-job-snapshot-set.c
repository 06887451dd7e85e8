/* vss-backup-job-snapshot-set.c — a backup job's components and snapshot set: what is
 * selected, which trees are snapshotted, and where an original path is in the snapshot. */
#include "vss-backup-job-private.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The previous backup's stamps, from the base set's document (opened by
 * the preflight). */
static gboolean
apply_base_stamps (VssBackupJob *job, GError **error)
{
  g_autoptr(VssBackupComponents) saved = vss_backup_components_new ();
  guint count = 0;
  if (!vss_backup_components_initialize_for_restore (saved, vss_backup_set_get_bcd (job->base_set), error) ||
      !vss_backup_components_get_component_count (saved, &count, error))
    return FALSE;
  for (guint i = 0; i < count; i++) {
    const char *writer_id = NULL;
    const VssComponent *c = vss_backup_components_get_component (saved, i, &writer_id, NULL, error);
    if (c == NULL)
      return FALSE;
    g_autoptr(GError) not_added = NULL;
    /* A component of the base that is not in this backup has no stamp to pass. */
    if (vss_component_get_backup_stamp (c) != NULL)
      vss_backup_components_set_previous_backup_stamp (job->bc, writer_id, vss_component_get_type (c),
                                                       vss_component_get_logical_path (c),
                                                       vss_component_get_name (c),
                                                       vss_component_get_backup_stamp (c), &not_added);
  }
  return TRUE;
}

static gboolean
add_components (VssBackupJob *job, GError **error)
{
  job->selected = vss_backup_select_components (job->bc, job->components, error);
  if (job->selected == NULL)
    return FALSE;
  for (guint i = 0; i < job->selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (job->selected, i);
    if (!vss_backup_components_add_component (job->bc, vss_writer_metadata_get_instance_id (s->metadata),
                                              vss_writer_metadata_get_writer_id (s->metadata),
                                              vss_wm_component_get_type (s->component),
                                              vss_wm_component_get_logical_path (s->component),
                                              vss_wm_component_get_name (s->component), error))
      return FALSE;
  }
  return job->base == NULL || apply_base_stamps (job, error);
}

/* @path is @root or below it. */
gboolean
vss_backup_job_is_within (const char *path, const char *root)
{
  gsize n = strlen (root);
  return strncmp (path, root, n) == 0 &&
         (path[n] == '\0' || path[n] == '/' || g_str_equal (root, "/"));
}

char *
vss_backup_job_canonical (const char *path)
{
  char *canonical = realpath (path, NULL);
  return canonical != NULL ? canonical : g_strdup (path);
}

void
vss_backup_job_add_root (GPtrArray *roots, const char *path)
{
  g_autofree char *p = vss_backup_job_canonical (path);
  for (guint i = 0; i < roots->len; i++) {
    const char *r = g_ptr_array_index (roots, i);
    if (vss_backup_job_is_within (p, r))
      return;                                   /* already covered */
    if (vss_backup_job_is_within (r, p)) {
      g_free (g_ptr_array_steal_index (roots, i));  /* the new one covers it */
      i--;
    }
  }
  g_ptr_array_add (roots, g_strdup (p));
}

static void
add_file_roots (GPtrArray *roots, const VssWmComponent *c)
{
  for (guint i = 0; i < vss_wm_component_get_file_count (c); i++)
    vss_backup_job_add_root (roots, vss_wm_file_get_path (vss_wm_component_get_file (c, i)));
  for (guint i = 0; i < vss_wm_component_get_database_file_count (c); i++)
    vss_backup_job_add_root (roots, vss_wm_file_get_path (vss_wm_component_get_database_file (c, i)));
  for (guint i = 0; i < vss_wm_component_get_log_file_count (c); i++)
    vss_backup_job_add_root (roots, vss_wm_file_get_path (vss_wm_component_get_log_file (c, i)));
}

/* The directory where the filesystem holding @path is mounted: the highest
 * ancestor on the same device. */
static char *
mount_point_of (const char *path)
{
  struct stat st;
  if (lstat (path, &st) != 0)
    return g_strdup (path);   /* add_to_snapshot_set will say what is wrong */
  char *dir = S_ISDIR (st.st_mode) ? g_strdup (path) : g_path_get_dirname (path);
  while (!g_str_equal (dir, "/")) {
    g_autofree char *parent = g_path_get_dirname (dir);
    struct stat pst;
    if (lstat (parent, &pst) != 0 || pst.st_dev != st.st_dev)
      break;
    g_free (dir);
    dir = g_steal_pointer (&parent);
  }
  return dir;
}

/* fsfreeze snapshots whole filesystems, one per set: the roots on one
 * filesystem share the snapshot of its mount point. */
static GPtrArray *
snapshot_set_roots (VssBackupJob *job)
{
  GPtrArray *set_roots = g_ptr_array_new_with_free_func (g_free);
  gboolean whole_filesystems = g_strcmp0 (job->provider, "fsfreeze") == 0;
  for (guint i = 0; i < job->roots->len; i++) {
    const char *root = g_ptr_array_index (job->roots, i);
    g_autofree char *mount = whole_filesystems ? mount_point_of (root) : g_strdup (root);
    vss_backup_job_add_root (set_roots, mount);
  }
  return set_roots;
}

/* Which of the writers' trees: the ones to snapshot, the ones the freeze
 * must cover, the ones their writers let be copied after the thaw, or
 * the ones their writers serve as images. */
typedef enum {
  WRITER_ROOTS_ALL, WRITER_ROOTS_FROZEN, WRITER_ROOTS_AFTER_THAW, WRITER_ROOTS_IMAGES
} WriterRoots;

/* The trees the writers' components read.  A component its writer serves
 * as images needs no snapshot; one its writer marked after-thaw needs no
 * freeze. */
static GPtrArray *
writer_roots (VssBackupJob *job, WriterRoots which)
{
  GPtrArray *roots = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < job->selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (job->selected, i);
    gboolean after_thaw = vss_wm_component_is_after_thaw (s->component);
    gboolean image = vss_backup_job_is_image (job, s);
    if (which == WRITER_ROOTS_IMAGES ? !image
        : image || (which == WRITER_ROOTS_FROZEN && after_thaw) ||
          (which == WRITER_ROOTS_AFTER_THAW && !after_thaw))
      continue;
    add_file_roots (roots, s->component);
  }
  return roots;
}

GPtrArray *
vss_backup_job_image_roots (VssBackupJob *job)
{
  return writer_roots (job, WRITER_ROOTS_IMAGES);
}

/* A set root that holds none of the writers' files and lies in none:
 * only --path trees, which no application's freeze needs to cover. */
static gboolean
is_unowned (const char *set_root, GPtrArray *owned)
{
  for (guint i = 0; i < owned->len; i++) {
    const char *r = g_ptr_array_index (owned, i);
    if (vss_backup_job_is_within (r, set_root) || vss_backup_job_is_within (set_root, r))
      return FALSE;
  }
  return TRUE;
}

/* How a set root is read: in the freeze (it holds files a frozen writer
 * owns), after the thaw because its writer said so (always a snapshot:
 * its writer ends its backup in post_snapshot, after which a live read
 * would be too late), or as a --path tree no writer owns. */
typedef enum { ROOT_FROZEN, ROOT_WRITER_AFTER_THAW, ROOT_PATH } RootKind;

static GPtrArray *owned_set_roots (VssBackupJob *job, WriterRoots which);

static RootKind
root_kind (VssBackupJob *job, const char *root)
{
  g_autoptr(GPtrArray) frozen = owned_set_roots (job, WRITER_ROOTS_FROZEN);
  if (!is_unowned (root, frozen))
    return ROOT_FROZEN;
  g_autoptr(GPtrArray) after_thaw = owned_set_roots (job, WRITER_ROOTS_AFTER_THAW);
  return is_unowned (root, after_thaw) ? ROOT_PATH : ROOT_WRITER_AFTER_THAW;
}

static const char *
root_consistency (VssBackupJob *job, RootKind kind)
{
  return kind == ROOT_FROZEN ? "freeze"
         : kind == ROOT_WRITER_AFTER_THAW ? "after-thaw" : job->path_consistency;
}

/* Nothing is copied inside the writers' window but what a frozen writer
 * owns: other trees get their own snapshot after the thaw (after-thaw),
 * or --path trees none at all (crash); freeze keeps them in the window. */
static gboolean
add_set_root (VssBackupJob *job, const char *root, GError **error)
{
  const char *consistency = root_consistency (job, root_kind (job, root));
  if (g_str_equal (consistency, "crash")) {
    g_ptr_array_add (job->live_roots, g_strdup (root));
    return TRUE;
  }
  char *id = NULL;
  if (!vss_backup_components_add_to_snapshot_set (job->bc, root, job->provider, &id, error))
    return FALSE;
  g_ptr_array_add (job->set_roots, g_strdup (root));
  g_ptr_array_add (job->snapshot_ids, id);
  return !g_str_equal (consistency, "after-thaw") ||
         vss_backup_components_set_snapshot_window (job->bc, id, VSS_SNAPSHOT_WINDOW_AFTER_THAW,
                                                    error);
}

/* The set roots the writers own: their trees, or with fsfreeze their
 * filesystems. */
static GPtrArray *
owned_set_roots (VssBackupJob *job, WriterRoots which)
{
  GPtrArray *all = job->roots;
  g_autoptr(GPtrArray) owned = writer_roots (job, which);
  job->roots = owned;
  GPtrArray *set_roots = snapshot_set_roots (job);
  job->roots = all;
  return set_roots;
}

/* Copies a provider makes of the data go beside the set (.NAME.vss-staging,
 * removed with the last image): on the set's filesystem they are moved
 * into it, never copied twice, and the applications' own filesystem takes
 * no writes from the backup (writes there stall databases that fsync). */
static gboolean
set_storage_dir (VssBackupJob *job, GError **error)
{
  if (job->to == NULL)
    return TRUE;
  g_autofree char *parent = g_path_get_dirname (job->to);
  g_autofree char *name = g_path_get_basename (job->to);
  g_autofree char *leaf = g_strdup_printf (".%s.vss-staging", name);
  g_autofree char *dir = g_build_filename (parent, leaf, NULL);
  return vss_backup_components_set_storage_dir (job->bc, dir, error);
}

static gboolean
build_snapshot_set (VssBackupJob *job, GError **error)
{
  job->roots = writer_roots (job, WRITER_ROOTS_ALL);
  job->snapshot_ids = g_ptr_array_new_with_free_func (g_free);
  job->live_roots = g_ptr_array_new_with_free_func (g_free);
  job->set_roots = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; job->paths != NULL && job->paths[i] != NULL; i++)
    vss_backup_job_add_root (job->roots, job->paths[i]);
  g_autoptr(GPtrArray) candidates = snapshot_set_roots (job);
  if (!set_storage_dir (job, error) ||
      !vss_backup_components_start_snapshot_set (job->bc, NULL, error))
    return FALSE;
  for (guint i = 0; i < candidates->len; i++) {
    const char *root = g_ptr_array_index (candidates, i);
    if (!add_set_root (job, root, error))
      return FALSE;
  }
  return TRUE;
}

const char *
vss_backup_job_snapshot_id (VssBackupJob *job, const char *path)
{
  for (guint i = 0; i < job->set_roots->len; i++)
    if (vss_backup_job_is_within (path, g_ptr_array_index (job->set_roots, i)))
      return g_ptr_array_index (job->snapshot_ids, i);
  return NULL;
}

const char *
vss_backup_job_path_consistency (VssBackupJob *job, const char *path)
{
  for (guint i = 0; i < job->live_roots->len; i++)
    if (vss_backup_job_is_within (path, g_ptr_array_index (job->live_roots, i)))
      return "crash";
  for (guint i = 0; i < job->set_roots->len; i++) {
    const char *root = g_ptr_array_index (job->set_roots, i);
    if (vss_backup_job_is_within (path, root))
      return root_consistency (job, root_kind (job, root));
  }
  return "freeze";
}

char *
vss_backup_job_snapshot_path (VssBackupJob *job, const char *original, GError **error)
{
  g_autofree char *p = vss_backup_job_canonical (original);
  for (guint i = 0; i < job->live_roots->len; i++)
    if (vss_backup_job_is_within (p, g_ptr_array_index (job->live_roots, i)))
      return g_steal_pointer (&p);
  for (guint i = 0; i < job->set_roots->len; i++) {
    const char *root = g_ptr_array_index (job->set_roots, i);
    if (!vss_backup_job_is_within (p, root))
      continue;
    g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (
        job->bc, g_ptr_array_index (job->snapshot_ids, i), error);
    if (prop == NULL)
      return NULL;
    return g_build_filename (prop->snapshot_path, p + (g_str_equal (root, "/") ? 0 : strlen (root)), NULL);
  }
  g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "%s is in no snapshot of the set", original);
  return NULL;
}

/* Writers that failed by now: their components are not backed up. */
gboolean
vss_backup_job_collect_failed_writers (VssBackupJob *job, GError **error)
{
  job->failed_writers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  VssAsync *async = NULL;
  guint count = 0;
  if (!vss_backup_components_gather_writer_status (job->bc, &async, error) ||
      !vss_backup_job_wait (job, async, "status", error) ||
      !vss_backup_components_get_writer_status_count (job->bc, &count, error))
    return FALSE;
  for (guint i = 0; i < count; i++) {
    g_autoptr(VssWriterStatus) st = vss_backup_components_get_writer_status (job->bc, i, NULL);
    if (st != NULL && st->failure != VSS_WF_NONE)
      g_hash_table_add (job->failed_writers, g_strdup (st->writer_name));
  }
  return TRUE;
}

/* A document initialized for backup whose writer metadata has been
 * gathered; the hold limit bounds its snapshot commit. */
static gboolean
gather (VssBackupJob *job, GError **error)
{
  VssAsync *async = NULL;
  job->bc = vss_backup_components_new ();
  /* Images go into a whole set, or are staged as files for restic and
   * --exec (vss-backup-job-stage.c); the sets that build on a base (which
   * compare files, or keep a writer's logs) read the snapshot's files. */
  job->images = (job->to != NULL || job->image_staging != NULL) &&
                (job->type == VSS_BT_FULL || job->type == VSS_BT_COPY);
  return (job->hold_limit_ms <= 0 ||
          vss_backup_components_set_hold_timeout (job->bc, (guint) job->hold_limit_ms, error)) &&
         (job->writer_path == NULL ||
          vss_backup_components_set_writer_path (job->bc, job->writer_path, error)) &&
         vss_backup_components_initialize_for_backup (job->bc, NULL, error) &&
         vss_backup_components_set_backup_state (job->bc, TRUE, FALSE, job->type, FALSE, error) &&
         vss_backup_components_set_writer_images (job->bc, job->images, error) &&
         vss_backup_components_gather_writer_metadata (job->bc, &async, error) &&
         vss_backup_job_wait (job, async, "gather", error);
}

/* Everything decided before any event that holds an application: the
 * writers, the components, the snapshot set and its providers, the room. */
gboolean
vss_backup_job_plan (VssBackupJob *job, GError **error)
{
  if (!vss_backup_job_preflight (job, error) || !gather (job, error) || !add_components (job, error))
    return FALSE;
  if (job->selected->len == 0 && (job->paths == NULL || job->paths[0] == NULL)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "nothing to back up: no writer offers a component (see 'vss writers') and no "
                 "--path was given");
    return FALSE;
  }
  return build_snapshot_set (job, error) && vss_backup_job_check_space (job, error) &&
         vss_backup_job_check_staging_space (job, error);
}

gboolean
vss_backup_job_snapshot (VssBackupJob *job, GError **error)
{
  VssAsync *async = NULL;
  if (!vss_backup_components_prepare_for_backup (job->bc, &async, error) ||
      !vss_backup_job_wait (job, async, "prepare", error) ||
      !vss_backup_components_do_snapshot_set (job->bc, &async, error) ||
      !vss_backup_job_wait (job, async, "snapshot", error))
    return FALSE;
  return vss_backup_job_collect_failed_writers (job, error);
}

/* Failed writers that change the outcome: those that owned a chosen
 * component, and, when every writer was asked for, those that could not
 * even say what they own.  A writer with nothing chosen that refused the
 * backup type (say) changes nothing. */
guint
vss_backup_job_count_failed_writers (VssBackupJob *job)
{
  guint failed = 0, count = 0;
  /* the statuses vss_backup_job_complete has just gathered */
  vss_backup_components_get_writer_status_count (job->bc, &count, NULL);
  gboolean all_asked = job->components == NULL || job->components[0] == NULL;
  for (guint i = 0; i < count; i++) {
    g_autoptr(VssWriterStatus) st = vss_backup_components_get_writer_status (job->bc, i, NULL);
    if (st == NULL || st->failure == VSS_WF_NONE)
      continue;
    gboolean owned = FALSE;
    for (guint c = 0; c < job->selected->len && !owned; c++)
      owned = g_str_equal (vss_writer_metadata_get_writer_id (
                               ((VssSelected *) g_ptr_array_index (job->selected, c))->metadata),
                           st->writer_id);
    failed += owned || (all_asked && st->state == VSS_WS_FAILED_AT_IDENTIFY);
  }
  return failed;
}
