/* vss-job-file.c — `vss backup --job NAME`: a backup described once in
 * <config dir>/jobs/NAME.conf (docs/vss.1, FILES), run by hand or by the
 * vss-backup@NAME timer.
 *
 *   [job]
 *   destination=/backup/ldap      each run writes a new set in it
 *   components=directory;certificate
 *   paths=/srv/www
 *   excludes=*.tmp;cache
 *   path_consistency=after-thaw   or freeze, crash (see --path-consistency)
 *   type=incremental              the base: the newest set in destination
 *   hold_limit_ms=10000
 *   provider=reflink
 *   copy_priority=idle            or background, normal (see --copy-priority)
 *
 * Options given on the command line win over the file's. */
#include "vss-backup-cmd.h"

#include <string.h>

#define JOB_GROUP "job"

static char *
job_path (const char *name)
{
  g_autofree char *leaf = g_strconcat (name, ".conf", NULL);
  return g_build_filename (vss_get_config_dir (), "jobs", leaf, NULL);
}

static gboolean
name_ok (const char *name)
{
  return name[0] != '\0' && name[0] != '.' && strchr (name, '/') == NULL;
}

/* Sets *@target from @key unless the command line set it already. */
static void
take_string (GKeyFile *file, const char *key, char **target)
{
  if (*target == NULL)
    *target = g_key_file_get_string (file, JOB_GROUP, key, NULL);
}

static void
take_list (GKeyFile *file, const char *key, char ***target)
{
  if (*target == NULL)
    *target = g_key_file_get_string_list (file, JOB_GROUP, key, NULL, NULL);
}

/* The newest set in @dir that an incremental (any set) or differential
 * (a full one) of @type builds on; NULL when there is none. */
static char *
newest_base (const char *dir, VssBackupType type)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  char *best = NULL;
  gint64 best_time = G_MININT64;
  for (const char *name; d != NULL && (name = g_dir_read_name (d)) != NULL;) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_autoptr(VssBackupSet) set = g_file_test (path, G_FILE_TEST_IS_DIR) ? vss_backup_set_open (path, NULL) : NULL;
    if (set == NULL || vss_backup_set_get_created_usec (set) <= best_time)
      continue;
    VssBackupType t = vss_backup_set_get_backup_type (set);
    if (type == VSS_BT_DIFFERENTIAL && t != VSS_BT_FULL)
      continue;
    best_time = vss_backup_set_get_created_usec (set);
    g_free (best);
    best = g_steal_pointer (&path);
  }
  return best;
}

/* destination=DIR: this run's set is DIR/<UTC time>-<type>. */
static gboolean
place_set (VssBackupCmd *cmd, const char *destination, GError **error)
{
  if (cmd->to != NULL || cmd->exec != NULL || cmd->repo != NULL)
    return TRUE;
  if (destination == NULL || !g_path_is_absolute (destination)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "the job needs destination=DIR (an absolute directory), repo=restic:REPO or exec=CMD");
    return FALSE;
  }
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  const char *type = cmd->type_name != NULL ? cmd->type_name : "full";
  g_autofree char *leaf = g_strdup_printf ("%s-%s", stamp, type);
  cmd->to = g_build_filename (destination, leaf, NULL);
  gboolean needs_base = g_strcmp0 (type, "incremental") == 0 ||
                        g_strcmp0 (type, "differential") == 0 || g_strcmp0 (type, "log") == 0;
  if (needs_base && cmd->base == NULL) {
    VssBackupType t = VSS_BT_FULL;
    vss_backup_type_from_string (type, &t);
    cmd->base = newest_base (destination, t);
    if (cmd->base == NULL) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                   "the job makes %s backups, but %s holds no set to build on: run a full "
                   "backup into it first (vss backup --job NAME --type full)", type, destination);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
vss_backup_cmd_load_file (VssBackupCmd *cmd, const char *name, GError **error)
{
  if (!name_ok (name)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "--job %s: a job is named by its file in the jobs directory, without '/'", name);
    return FALSE;
  }
  g_autofree char *path = job_path (name);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND, "--job %s: cannot read %s: %s",
                 name, path, local->message);
    return FALSE;
  }
  if (!g_key_file_has_group (file, JOB_GROUP)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "%s has no [" JOB_GROUP "] group", path);
    return FALSE;
  }
  g_autofree char *destination = g_key_file_get_string (file, JOB_GROUP, "destination", NULL);
  take_string (file, "type", &cmd->type_name);
  take_string (file, "provider", &cmd->provider);
  /* where the backup goes: the command line's choice wins whole */
  gboolean target_given = cmd->to != NULL || cmd->exec != NULL || cmd->repo != NULL;
  if (!target_given) {
    take_string (file, "exec", &cmd->exec);
    if (cmd->exec == NULL)
      take_string (file, "repo", &cmd->repo);
  }
  take_list (file, "components", &cmd->components);
  take_list (file, "paths", &cmd->paths);
  take_list (file, "excludes", &cmd->excludes);
  take_string (file, "path_consistency", &cmd->path_consistency);
  if (cmd->copy_priority == NULL) {
    take_string (file, "copy_priority", &cmd->copy_priority);
    const char *const modes[] = { "background", "normal", "idle", NULL };
    if (cmd->copy_priority != NULL && !g_strv_contains (modes, cmd->copy_priority)) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                   "%s: copy_priority must be background, normal or idle, not %s", path,
                   cmd->copy_priority);
      return FALSE;
    }
  }
  if (cmd->hold_limit_ms == 0 && g_key_file_has_key (file, JOB_GROUP, "hold_limit_ms", NULL)) {
    cmd->hold_limit_ms = g_key_file_get_integer (file, JOB_GROUP, "hold_limit_ms", &local);
    if (local != NULL || cmd->hold_limit_ms <= 0) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                   "%s: hold_limit_ms must be a positive number of milliseconds", path);
      return FALSE;
    }
  }
  if (!place_set (cmd, destination, error)) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }
  return TRUE;
}
