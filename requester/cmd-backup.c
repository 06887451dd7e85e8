/* cmd-backup.c — `vss backup`: the whole backup lifecycle. */
#include "vss-backup-job.h"
#include "vss-options.h"
#include "vss-restic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void
vss_backup_job_clear (VssBackupJob *job)
{
  g_clear_pointer (&job->selected, g_ptr_array_unref);
  g_clear_pointer (&job->roots, g_ptr_array_unref);
  g_clear_pointer (&job->set_roots, g_ptr_array_unref);
  g_clear_pointer (&job->snapshot_ids, g_ptr_array_unref);
  g_clear_pointer (&job->live_roots, g_ptr_array_unref);
  g_free (job->path_consistency);
  g_free (job->copy_priority);
  g_clear_pointer (&job->failed_writers, g_hash_table_unref);
  g_clear_pointer (&job->base_set, vss_backup_set_free);
  /* Freeing aborts an unfinished backup: writers thawed, snapshots gone. */
  g_clear_pointer (&job->bc, vss_backup_components_free);
  g_free (job->to);
  g_free (job->type_name);
  g_strfreev (job->components);
  g_strfreev (job->paths);
  g_free (job->provider);
  g_free (job->snapshot_command);
  g_free (job->exec);
  g_free (job->repo);
  g_free (job->set_id);
  g_free (job->restic_snapshot);
  g_free (job->base);
  g_free (job->job_name);
  g_strfreev (job->excludes);
}

int
vss_backup_job_check_options (VssCli *cli, VssBackupJob *job)
{
  g_autoptr(GError) error = NULL;
  if (job->job_name != NULL && !vss_backup_job_load_file (job, job->job_name, &error))
    return vss_cli_usage (cli, "backup", "%s", error->message);
  if ((job->to != NULL) + (job->exec != NULL) + (job->repo != NULL) != 1)
    return vss_cli_usage (cli, "backup", "give exactly one of --to DIR (make a backup set), "
                          "--repo restic:REPO (store it with restic) or --exec CMD (hand the "
                          "snapshot to CMD)");
  if (job->repo != NULL && !vss_restic_is_repo (job->repo))
    return vss_cli_usage (cli, "backup", "--repo takes restic:REPO (a restic repository)");
  if (!vss_backup_type_from_string (job->type_name != NULL ? job->type_name : "full", &job->type) ||
      job->type == VSS_BT_OTHER || job->type == VSS_BT_UNDEFINED)
    return vss_cli_usage (cli, "backup", "--type must be full, copy, incremental, differential or log");
  gboolean needs_base = job->type == VSS_BT_INCREMENTAL || job->type == VSS_BT_DIFFERENTIAL ||
                        job->type == VSS_BT_LOG;
  if (needs_base && job->repo != NULL)
    return vss_cli_usage (cli, "backup", "--repo takes --type full or copy: every restic "
                          "snapshot is whole (restic stores only what changed)");
  if (needs_base && job->base == NULL && job->to != NULL)
    return vss_cli_usage (cli, "backup", "--type %s needs --base DIR, the set it builds on",
                          job->type_name);
  if (job->excludes != NULL && (job->paths == NULL || job->paths[0] == NULL))
    return vss_cli_usage (cli, "backup", "--exclude applies to --path trees: give --path DIR");
  if (job->path_consistency == NULL)
    job->path_consistency = g_strdup ("after-thaw");
  if (!g_str_equal (job->path_consistency, "freeze") &&
      !g_str_equal (job->path_consistency, "after-thaw") &&
      !g_str_equal (job->path_consistency, "crash"))
    return vss_cli_usage (cli, "backup", "--path-consistency must be freeze, after-thaw or crash");
  if (job->copy_priority != NULL) {
    if (!g_str_equal (job->copy_priority, "background") &&
        !g_str_equal (job->copy_priority, "normal") && !g_str_equal (job->copy_priority, "idle"))
      return vss_cli_usage (cli, "backup", "--copy-priority must be background, normal or idle");
    /* Read by the copies in libvss (docs/env.md). */
    g_setenv ("VSS_COPY_PRIORITY", job->copy_priority, TRUE);
  }
  if (!needs_base && job->base != NULL)
    return vss_cli_usage (cli, "backup", "--base only goes with --type incremental, differential or log");
  if (job->snapshot_command != NULL) {
    if (job->provider == NULL)
      job->provider = g_strdup ("fsfreeze");
    if (!g_str_equal (job->provider, "fsfreeze"))
      return vss_cli_usage (cli, "backup", "--snapshot-command goes with the fsfreeze provider, "
                            "not --provider %s", job->provider);
    /* Read by the provider at do_snapshot_set (docs/env.md). */
    g_setenv ("VSS_FSFREEZE_COMMAND", job->snapshot_command, TRUE);
  }
  /* Each --path once, canonical: the snapshot set and the set's keys use it. */
  for (guint i = 0; job->paths != NULL && job->paths[i] != NULL; i++) {
    char *canonical = realpath (job->paths[i], NULL);
    if (canonical == NULL)
      return vss_cli_usage (cli, "backup", "--path %s: %s", job->paths[i], g_strerror (errno));
    g_free (job->paths[i]);
    job->paths[i] = g_strdup (canonical);
    free (canonical);
  }
  return -1;
}

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
  job->selected = vss_cli_select_components (job->bc, job->components, error);
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

static void
add_root (GPtrArray *roots, const char *path)
{
  g_autofree char *canonical = realpath (path, NULL);
  const char *p = canonical != NULL ? canonical : path;
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
    add_root (roots, vss_wm_file_get_path (vss_wm_component_get_file (c, i)));
  for (guint i = 0; i < vss_wm_component_get_database_file_count (c); i++)
    add_root (roots, vss_wm_file_get_path (vss_wm_component_get_database_file (c, i)));
  for (guint i = 0; i < vss_wm_component_get_log_file_count (c); i++)
    add_root (roots, vss_wm_file_get_path (vss_wm_component_get_log_file (c, i)));
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
    add_root (set_roots, mount);
  }
  return set_roots;
}

/* The trees the writers' components read: what must be frozen with them. */
static GPtrArray *
writer_roots (VssBackupJob *job)
{
  GPtrArray *roots = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < job->selected->len; i++)
    add_file_roots (roots, ((VssSelected *) g_ptr_array_index (job->selected, i))->component);
  return roots;
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

/* --path trees no writer owns are never copied inside the writers'
 * window: they get their own snapshot after the thaw (after-thaw), or
 * none at all (crash); freeze keeps them in the window. */
static gboolean
add_set_root (VssBackupJob *job, const char *root, gboolean unowned, GError **error)
{
  if (unowned && g_str_equal (job->path_consistency, "crash")) {
    g_ptr_array_add (job->live_roots, g_strdup (root));
    return TRUE;
  }
  char *id = NULL;
  if (!vss_backup_components_add_to_snapshot_set (job->bc, root, job->provider, &id, error))
    return FALSE;
  g_ptr_array_add (job->set_roots, g_strdup (root));
  g_ptr_array_add (job->snapshot_ids, id);
  return !unowned || !g_str_equal (job->path_consistency, "after-thaw") ||
         vss_backup_components_set_snapshot_window (job->bc, id, VSS_SNAPSHOT_WINDOW_AFTER_THAW,
                                                    error);
}

/* The set roots the writers own: their trees, or with fsfreeze their
 * filesystems. */
static GPtrArray *
owned_set_roots (VssBackupJob *job)
{
  GPtrArray *all = job->roots;
  g_autoptr(GPtrArray) owned = writer_roots (job);
  job->roots = owned;
  GPtrArray *set_roots = snapshot_set_roots (job);
  job->roots = all;
  return set_roots;
}

static gboolean
build_snapshot_set (VssCli *cli, VssBackupJob *job, GError **error)
{
  job->roots = writer_roots (job);
  job->snapshot_ids = g_ptr_array_new_with_free_func (g_free);
  job->live_roots = g_ptr_array_new_with_free_func (g_free);
  job->set_roots = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; job->paths != NULL && job->paths[i] != NULL; i++)
    add_root (job->roots, job->paths[i]);
  g_autoptr(GPtrArray) candidates = snapshot_set_roots (job);
  g_autoptr(GPtrArray) owned = owned_set_roots (job);
  if (!vss_backup_components_start_snapshot_set (job->bc, NULL, error))
    return FALSE;
  for (guint i = 0; i < candidates->len; i++) {
    const char *root = g_ptr_array_index (candidates, i);
    if (!add_set_root (job, root, is_unowned (root, owned), error))
      return FALSE;
  }
  if (job->roots->len == 0)
    vss_cli_print (cli, "note: nothing to snapshot (no component has files and no --path)\n");
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
  g_autoptr(GPtrArray) owned = owned_set_roots (job);
  for (guint i = 0; i < job->set_roots->len; i++) {
    const char *root = g_ptr_array_index (job->set_roots, i);
    if (vss_backup_job_is_within (path, root))
      return is_unowned (root, owned) && g_str_equal (job->path_consistency, "after-thaw")
                 ? "after-thaw" : "freeze";
  }
  return "freeze";
}

char *
vss_backup_job_snapshot_path (VssBackupJob *job, const char *original, GError **error)
{
  g_autofree char *canonical = realpath (original, NULL);
  const char *p = canonical != NULL ? canonical : original;
  for (guint i = 0; i < job->live_roots->len; i++)
    if (vss_backup_job_is_within (p, g_ptr_array_index (job->live_roots, i)))
      return g_strdup (p);
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

void
vss_backup_job_emit_snapshots (VssCli *cli, VssBackupJob *job)
{
  for (guint i = 0; i < job->snapshot_ids->len; i++) {
    g_autoptr(VssSnapshotProp) prop = vss_backup_components_get_snapshot_properties (
        job->bc, g_ptr_array_index (job->snapshot_ids, i), NULL);
    if (prop == NULL)
      continue;
    vss_cli_print (cli, "snapshot %s of %s (%s)\n", prop->snapshot_id, prop->original_path, prop->provider);
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "snapshot_id", json_object_new_string (prop->snapshot_id));
    json_object_object_add (obj, "original_path", json_object_new_string (prop->original_path));
    json_object_object_add (obj, "snapshot_path", json_object_new_string (prop->snapshot_path));
    json_object_object_add (obj, "provider", json_object_new_string (prop->provider));
    vss_cli_emit (cli, "snapshot", obj);
  }
  VssSnapshotTimings t;
  if (vss_backup_components_get_snapshot_timings (job->bc, &t, NULL)) {
    json_object *obj = json_object_new_object ();
    json_object_object_add (obj, "prepare_ms", json_object_new_double (t.prepare_usec / 1000.0));
    json_object_object_add (obj, "flush_ms", json_object_new_double (t.flush_usec / 1000.0));
    json_object_object_add (obj, "freeze_ms", json_object_new_double (t.freeze_usec / 1000.0));
    json_object_object_add (obj, "commit_ms", json_object_new_double (t.commit_usec / 1000.0));
    json_object_object_add (obj, "thaw_ms", json_object_new_double (t.thaw_usec / 1000.0));
    json_object_object_add (obj, "window_ms", json_object_new_double (t.window_usec / 1000.0));
    json_object_object_add (obj, "total_ms", json_object_new_double (t.total_usec / 1000.0));
    vss_cli_emit (cli, "timings", obj);
    vss_cli_print (cli, "writers frozen for %.1f ms (commit %.1f ms)\n", t.window_usec / 1000.0,
                   t.commit_usec / 1000.0);
  }
}

/* Writers that failed by now: their components are not backed up. */
gboolean
vss_backup_job_collect_failed_writers (VssCli *cli, VssBackupJob *job, GError **error)
{
  job->failed_writers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  VssAsync *async = NULL;
  guint count = 0;
  if (!vss_backup_components_gather_writer_status (job->bc, &async, error) ||
      !vss_cli_wait (cli, async, "status", error) ||
      !vss_backup_components_get_writer_status_count (job->bc, &count, error))
    return FALSE;
  for (guint i = 0; i < count; i++) {
    g_autoptr(VssWriterStatus) st = vss_backup_components_get_writer_status (job->bc, i, NULL);
    if (st != NULL && st->failure != VSS_WF_NONE)
      g_hash_table_add (job->failed_writers, g_strdup (st->writer_name));
  }
  return TRUE;
}

/* Everything decided before any event that holds an application: the
 * writers, the components, the snapshot set and its providers, the room. */
gboolean
vss_backup_job_plan (VssCli *cli, VssBackupJob *job, GError **error)
{
  job->bc = vss_cli_gather (cli, job->type, NULL, (guint) MAX (job->hold_limit_ms, 0), error);
  if (job->bc == NULL || !add_components (job, error))
    return FALSE;
  if (job->selected->len == 0 && (job->paths == NULL || job->paths[0] == NULL)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "nothing to back up: no writer offers a component (see 'vss writers') and no "
                 "--path was given");
    return FALSE;
  }
  return build_snapshot_set (cli, job, error) && vss_backup_job_check_space (job, error);
}

static gboolean
snapshot (VssCli *cli, VssBackupJob *job, GError **error)
{
  VssAsync *async = NULL;
  if (!vss_backup_components_prepare_for_backup (job->bc, &async, error) ||
      !vss_cli_wait (cli, async, "prepare", error) ||
      !vss_backup_components_do_snapshot_set (job->bc, &async, error) ||
      !vss_cli_wait (cli, async, "snapshot", error))
    return FALSE;
  vss_backup_job_emit_snapshots (cli, job);
  return vss_backup_job_collect_failed_writers (cli, job, error);
}

/* Failed writers that change the outcome: those that owned a chosen
 * component, and, when every writer was asked for, those that could not
 * even say what they own.  A writer with nothing chosen that refused the
 * backup type (say) changes nothing. */
static guint
count_failed_writers (VssBackupJob *job)
{
  guint failed = 0, count = 0;
  /* the statuses vss_cli_report_writers has just gathered */
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

int
vss_backup_job_finish (VssCli *cli, VssBackupJob *job, gboolean made, gint64 start, const GError *failure)
{
  VssAsync *async = NULL;
  g_autoptr(GError) error = NULL;
  if (vss_backup_components_backup_complete (job->bc, &async, &error))
    vss_cli_wait (cli, async, "complete", &error);
  vss_cli_report_writers (cli, job->bc, TRUE, NULL);
  guint failed_writers = count_failed_writers (job);
  guint paths = job->paths != NULL ? g_strv_length (job->paths) : 0;
  int code = !made || job->components_ok + paths == 0 ? VSS_EXIT_FAILED
             : (failed_writers > 0 || job->components_failed > 0) ? VSS_EXIT_PARTIAL : VSS_EXIT_OK;
  const char *status = code == VSS_EXIT_OK ? "success" : code == VSS_EXIT_PARTIAL ? "partial" : "failed";
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string (status));
  json_object_object_add (obj, "exit_code", json_object_new_int (code));
  if (job->to != NULL)
    json_object_object_add (obj, "backup_set", json_object_new_string (job->to));
  if (job->repo != NULL)
    json_object_object_add (obj, "repository", json_object_new_string (job->repo));
  if (job->restic_snapshot != NULL)
    json_object_object_add (obj, "restic_snapshot", json_object_new_string (job->restic_snapshot));
  if (job->set_id != NULL && job->to == NULL)
    json_object_object_add (obj, "set_id", json_object_new_string (job->set_id));
  json_object_object_add (obj, "components_ok", json_object_new_int ((int) job->components_ok));
  json_object_object_add (obj, "components_failed", json_object_new_int ((int) job->components_failed));
  json_object_object_add (obj, "bytes", json_object_new_int64 ((gint64) job->bytes));
  json_object_object_add (obj, "files", json_object_new_int ((int) job->entries));
  json_object_object_add (obj, "duration_ms", json_object_new_double ((g_get_monotonic_time () - start) / 1000.0));
  if (failure != NULL)
    json_object_object_add (obj, "message", json_object_new_string (failure->message));
  vss_cli_emit (cli, "summary", obj);
  vss_cli_print (cli, "backup %s: %u component(s) and %u path(s) backed up, %u failed%s%s\n",
                 status, job->components_ok, made ? paths : 0, job->components_failed,
                 job->to ? ", set " : "", job->to ? job->to : "");
  return code;
}

int
vss_cmd_backup (VssCli *cli, int argc, char **argv)
{
  VssBackupJob job = { 0 };
  VssClusterOptions cluster = { 0 };
  const GOptionEntry entries[] = {
    { "to", 't', 0, G_OPTION_ARG_FILENAME, &job.to, "Write a backup set to DIR (must not exist)", "DIR" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &job.type_name, "full (default), copy, incremental, differential or log", "TYPE" },
    { "component", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &job.components, "Only this writer, or one of its components (repeatable)", "WRITER[:LOGICAL/PATH]" },
    { "path", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &job.paths, "Also back up this directory (repeatable)", "PATH" },
    { "provider", 0, 0, G_OPTION_ARG_STRING, &job.provider, "Snapshot provider: btrfs, reflink, copy or fsfreeze (default: the cheapest that works; fsfreeze only when named)", "NAME" },
    { "repo", 'r', 0, G_OPTION_ARG_STRING, &job.repo, "Store the snapshot with restic in REPO (restic's RESTIC_PASSWORD or RESTIC_PASSWORD_FILE), components at their original paths", "restic:REPO" },
    { "exec", 'e', 0, G_OPTION_ARG_STRING, &job.exec, "Run CMD with the snapshot exposed instead of making a set", "CMD" },
    { "base", 'b', 0, G_OPTION_ARG_FILENAME, &job.base, "The set an incremental/differential/log backup builds on", "DIR" },
    { "hold-limit", 0, 0, G_OPTION_ARG_INT, &job.hold_limit_ms, "Longest snapshot commit in ms (default 10000)", "MS" },
    { "job", 'j', 0, G_OPTION_ARG_STRING, &job.job_name, "Take the unset options from the job file jobs/NAME.conf of the configuration directory", "NAME" },
    { "path-consistency", 0, 0, G_OPTION_ARG_STRING, &job.path_consistency, "How --path trees no writer owns are read: after-thaw (default: their own snapshot once the writers thawed), freeze (inside the writers' freeze) or crash (no snapshot: read live, file by file)", "MODE" },
    { "copy-priority", 0, 0, G_OPTION_ARG_STRING, &job.copy_priority, "CPU and I/O priority of the copies that hold no writer (after-thaw snapshots, the copy into the set): background (default: nice 10, best-effort I/O 7), normal or idle (nice 19, idle I/O)", "MODE" },
    { "exclude", 'x', 0, G_OPTION_ARG_STRING_ARRAY, &job.excludes, "Leave out what matches PATTERN under a --path tree (repeatable; a glob on the path below the tree, or on a file name)", "PATTERN" },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &job.dry_run, "Gather, select and check providers and space; show what would be frozen and copied; freeze nothing", NULL },
    { "cluster", 0, 0, G_OPTION_ARG_STRING, &cluster.urls, "Make a cluster snapshot set through the agents registered in etcd at URL[,URL…] (docs/cluster.md)", "URL" },
    { "hosts", 0, 0, G_OPTION_ARG_STRING, &cluster.hosts, "With --cluster: only these hosts (default: every registered agent)", "H1,H2,…" },
    { "cluster-config", 0, 0, G_OPTION_ARG_FILENAME, &cluster.config, "With --cluster: prefix, TLS and credentials (default: cluster.conf in the configuration directory)", "FILE" },
    { "snapshot-command", 0, 0, G_OPTION_ARG_STRING, &job.snapshot_command, "Block-level snapshot tool for the fsfreeze provider: run as 'CMD create' while the filesystem is frozen (prints the read-only mount of the snapshot) and 'CMD delete' (implies --provider fsfreeze)", "CMD" },
    { NULL },
  };
  int done = vss_cli_parse (cli, "backup", NULL,
                            "Snapshot the writers' data at one consistent instant and copy it into a "
                            "backup set,\nor hand the snapshot to another program with --exec.",
                            entries, &argc, &argv);
  if (done < 0)
    done = argc > 1 ? vss_cli_usage (cli, "backup", "unexpected argument %s", argv[1]) : -1;
  if (done < 0 && cluster.urls != NULL)
    done = vss_cmd_backup_cluster (cli, &cluster, job.to);   /* cmd-backup-cluster.c */
  if (done < 0)
    done = vss_backup_job_check_options (cli, &job);
  vss_cluster_options_clear (&cluster);
  if (done >= 0) {
    vss_backup_job_clear (&job);
    return done;
  }
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  int code;
  if (!vss_backup_job_preflight (&job, &error) || !vss_backup_job_plan (cli, &job, &error)) {
    /* an unknown --component is the command line's fault */
    code = g_error_matches (error, VSS_ERROR, VSS_ERROR_INVALID_ARG)
               ? vss_cli_usage (cli, "backup", "%s", error->message)
               : vss_cli_fail (cli, error);
  } else if (job.dry_run) {
    code = vss_backup_job_show_plan (cli, &job);
  } else if (!snapshot (cli, &job, &error)) {
    code = vss_cli_fail (cli, error);
  } else {
    gboolean made = job.exec != NULL ? vss_backup_job_exec (cli, &job, &error)
                    : job.repo != NULL ? vss_backup_job_restic (cli, &job, &error)
                                       : vss_backup_job_copy (cli, &job, &error);
    if (!made)
      vss_cli_fail (cli, error);
    code = vss_backup_job_finish (cli, &job, made, start, error);
  }
  vss_backup_job_clear (&job);
  return code;
}
