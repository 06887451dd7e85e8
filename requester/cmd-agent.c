/* cmd-agent.c — `vss agent`: this host's side of cluster snapshot sets.
 *
 * Registers the host under the cluster prefix (a lease kept alive),
 * waits for requests that name it, and runs each through the library:
 * gather, prepare, (go) freeze, the window gate (frozen, commit, go
 * thaw once every host is frozen), thaw, post_snapshot, the copy into
 * <destination>/<host>, (go) backup_complete — or abort.  Every wait is
 * bounded; a run left unfinished by a crash is cleaned up at the next
 * start from a small state file. */
#include "vss-backup-cmd.h"
#include "vss-options.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t agent_stop;

static void
on_signal (int sig)
{
  agent_stop = 1;
}

typedef struct {
  VssCli *cli;
  char *name;
  char *config_path;
  char *urls;
  char **paths;
  char *provider;
  gboolean once;
  VssClusterConfig *config;
  VssClusterMember *member;
  char *state_file;
} Agent;

/* Where `vss` keeps state (docs/architecture.md: state dir). */
static char *
state_dir (void)
{
  const char *env = g_getenv ("VSS_STATE_DIR");
  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (getuid () == 0)
    return g_strdup ("/var/lib/vss");
  return g_build_filename (g_get_user_state_dir (), "vss", NULL);
}

static char *
report_json (json_object *obj)
{
  char *s = g_strdup (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN));
  json_object_put (obj);
  return s;
}

static void
report_failure (VssClusterRun *run, const char *state, const char *message)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "reason", json_object_new_string (message));
  g_autofree char *json = report_json (obj);
  vss_cluster_run_report (run, state, json, NULL);
}

/* ---- leftovers of a run this agent did not finish ---- */

static void
remember_run (Agent *agent, VssClusterRun *run)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "run_id", json_object_new_string (vss_cluster_run_get_id (run)));
  json_object_object_add (obj, "host_dir", json_object_new_string (vss_cluster_run_get_host_dir (run)));
  json_object_object_add (obj, "destination", json_object_new_string (vss_cluster_run_get_destination (run)));
  g_autofree char *json = report_json (obj);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents (agent->state_file, json, -1, &error))
    g_warning ("cluster agent: %s", error->message);
}

/* Removes a host set that no finished cluster set refers to. */
static void
remove_unfinished_set (const char *destination, const char *host_dir)
{
  if (destination == NULL || host_dir == NULL || vss_cluster_set_is_cluster (destination))
    return;
  g_autofree char *argv0 = g_find_program_in_path ("rm");
  const char *argv[] = { argv0 != NULL ? argv0 : "/bin/rm", "-rf", "--one-file-system", host_dir, NULL };
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, NULL, NULL);
}

static void
clean_up_last_run (Agent *agent)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (agent->state_file, &text, NULL, NULL))
    return;
  json_object *obj = json_tokener_parse (text), *v = NULL;
  const char *run_id = json_object_object_get_ex (obj, "run_id", &v) ? json_object_get_string (v) : NULL;
  const char *host_dir = json_object_object_get_ex (obj, "host_dir", &v) ? json_object_get_string (v) : NULL;
  const char *dest = json_object_object_get_ex (obj, "destination", &v) ? json_object_get_string (v) : NULL;
  vss_cli_print (agent->cli, "cleaning up run %s, left unfinished\n", run_id != NULL ? run_id : "?");
  remove_unfinished_set (dest, host_dir);
  if (run_id != NULL)
    vss_cluster_member_fail_run (agent->member, run_id, "the agent restarted during the run");
  /* Snapshots whose creator is gone (this agent's last life). */
  vss_snapshots_clean_stale (NULL);
  json_object_put (obj);
  g_unlink (agent->state_file);
}

/* ---- one run ---- */

typedef struct {
  VssClusterRun *run;
  GError *error;           /* the "thawed" report failed */
} Thawed;

/* The snapshot set exists and the writers thawed: tell the requester. */
static void
report_thawed (VssBackupCmd *cmd, gpointer data)
{
  Thawed *thawed = data;
  VssClusterRun *run = thawed->run;
  VssSnapshotTimings t = { 0 };
  vss_backup_components_get_snapshot_timings (vss_backup_job_get_backup_components (cmd->job), &t, NULL);
  gint64 frozen, committed, thaw;
  vss_cluster_run_get_times (run, &frozen, &committed, &thaw);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "window_ms", json_object_new_double (t.window_usec / 1000.0));
  json_object_object_add (obj, "frozen_usec", json_object_new_int64 (frozen));
  json_object_object_add (obj, "committed_usec", json_object_new_int64 (committed));
  json_object_object_add (obj, "thaw_usec", json_object_new_int64 (thaw));
  json_object_object_add (obj, "thawed_usec", json_object_new_int64 (g_get_real_time ()));
  g_autofree char *json = report_json (obj);
  vss_cluster_run_report (run, "thawed", json, &thawed->error);
}

static gboolean
snapshot (Agent *agent, VssBackupCmd *cmd, VssClusterRun *run, GError **error)
{
  Thawed thawed = { run, NULL };
  cmd->snapshot_taken = report_thawed;
  cmd->snapshot_taken_data = &thawed;
  /* "prepared" and the wait for the go to freeze happen in the gate,
   * after prepare_snapshot: the hosts then freeze together. */
  gboolean ok = vss_backup_components_set_window_gate (vss_backup_job_get_backup_components (cmd->job),
                                                       vss_cluster_run_window_gate, run, error) &&
                vss_backup_job_snapshot (cmd->job, error);
  cmd->snapshot_taken = NULL;
  if (thawed.error == NULL)
    return ok;
  if (ok)
    g_propagate_error (error, g_steal_pointer (&thawed.error));
  g_clear_error (&thawed.error);
  return FALSE;
}

static gboolean
copy_into_set (Agent *agent, VssBackupCmd *cmd, GError **error)
{
  gboolean made = vss_backup_job_copy (cmd->job, error);
  vss_cli_progress_clear (agent->cli);
  return made;
}

/* The host's set is written; tells the requester its id and checksum. */
static gboolean
report_done (VssBackupCmd *cmd, VssClusterRun *run, GError **error)
{
  g_autoptr(VssBackupSet) set = vss_backup_set_open (cmd->to, error);
  if (set == NULL)
    return FALSE;
  const char *sum = vss_backup_set_get_manifest_sha256 (set);
  gint64 frozen, committed, thaw;
  vss_cluster_run_get_times (run, &frozen, &committed, &thaw);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "set_id", json_object_new_string (vss_backup_set_get_id (set)));
  json_object_object_add (obj, "manifest_sha256", json_object_new_string (sum));
  json_object_object_add (obj, "frozen_usec", json_object_new_int64 (frozen));
  json_object_object_add (obj, "committed_usec", json_object_new_int64 (committed));
  json_object_object_add (obj, "thaw_usec", json_object_new_int64 (thaw));
  g_autofree char *json = report_json (obj);
  return vss_cluster_run_report (run, "done", json, error);
}

/* The exit code of the local backup; *made when the host's set is part
 * of a finished cluster set. */
static int
run_backup (Agent *agent, VssClusterRun *run, gboolean *made)
{
  VssBackupCmd cmd = { 0 };
  cmd.to = g_strdup (vss_cluster_run_get_host_dir (run));
  cmd.paths = g_strdupv (agent->paths);
  cmd.provider = g_strdup (agent->provider);
  /* a cluster set is one instant: every tree inside the writers' window */
  cmd.path_consistency = g_strdup ("freeze");
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  int code = vss_backup_cmd_check_options (agent->cli, &cmd);
  if (code < 0) {
    *made = vss_backup_cmd_plan (agent->cli, &cmd, &error) && snapshot (agent, &cmd, run, &error) &&
            copy_into_set (agent, &cmd, &error) &&
            report_done (&cmd, run, &error) &&
            vss_cluster_run_wait_go (run, "complete", g_get_monotonic_time () + (gint64) 3600 * G_USEC_PER_SEC,
                                     &error);
    if (*made) {
      code = vss_backup_cmd_finish (agent->cli, &cmd, TRUE, start, NULL);
      vss_cluster_run_report (run, "completed", NULL, NULL);
    } else {
      code = vss_cli_fail (agent->cli, error);
      report_failure (run, "failed", error->message);
      if (cmd.job != NULL && vss_backup_job_get_backup_components (cmd.job) != NULL)
        vss_backup_components_abort_backup (vss_backup_job_get_backup_components (cmd.job), NULL);
    }
  }
  vss_backup_cmd_clear (&cmd);    /* frees the components: writers shut down, snapshots gone */
  if (!*made) {
    remove_unfinished_set (vss_cluster_run_get_destination (run), vss_cluster_run_get_host_dir (run));
    report_failure (run, "aborted", "aborted and thawed");
  }
  return code;
}

static void
serve (Agent *agent)
{
  /* Bounded waits, so a signal is noticed within a second. */
  while (!agent_stop) {
    g_autoptr(GError) error = NULL;
    g_autoptr(VssClusterRun) run = vss_cluster_member_next_run (agent->member, g_get_monotonic_time () + G_USEC_PER_SEC,
                                                                &error);
    if (run == NULL) {
      if (error != NULL) {
        g_message ("cluster agent %s: %s", agent->name, error->message);
        g_usleep (200 * 1000);
      }
      continue;
    }
    vss_cli_print (agent->cli, "run %s: backing up to %s\n", vss_cluster_run_get_id (run),
                   vss_cluster_run_get_host_dir (run));
    remember_run (agent, run);
    gboolean made = FALSE;
    int code = run_backup (agent, run, &made);
    g_unlink (agent->state_file);
    vss_cli_print (agent->cli, "run %s: %s (exit %d)\n", vss_cluster_run_get_id (run), made ? "done" : "aborted", code);
    if (agent->once)
      break;
  }
}

static int
start (Agent *agent)
{
  g_autoptr(GError) error = NULL;
  agent->config = vss_cli_cluster_config (agent->config_path, agent->urls, &error);
  if (agent->config == NULL)
    return vss_cli_usage (agent->cli, "agent", "%s", error->message);
  if (agent->name == NULL)
    agent->name = g_strdup (g_get_host_name ());
  g_autofree char *dir = state_dir ();
  g_mkdir_with_parents (dir, 0700);
  g_autofree char *file = g_strdup_printf ("cluster-agent-%s.json", agent->name);
  agent->state_file = g_build_filename (dir, file, NULL);
  agent->member = vss_cluster_member_join (agent->config, agent->name, &error);
  if (agent->member == NULL)
    return vss_cli_fail (agent->cli, error);
  vss_cli_print (agent->cli, "agent %s registered under %s\n", agent->name, agent->config->prefix);
  clean_up_last_run (agent);
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  serve (agent);
  return VSS_EXIT_OK;
}

int
vss_cmd_agent (VssCli *cli, int argc, char **argv)
{
  Agent agent = { .cli = cli };
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &agent.name, "This host's name in the cluster (default: the host name)", "NAME" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &agent.config_path, "Cluster configuration: endpoints, prefix, TLS, credentials (default: cluster.conf in the configuration directory)", "FILE" },
    { "cluster", 0, 0, G_OPTION_ARG_STRING, &agent.urls, "etcd endpoints, replacing the configuration's", "URL[,URL…]" },
    { "path", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &agent.paths, "Also back up this directory in every run (repeatable)", "PATH" },
    { "provider", 0, 0, G_OPTION_ARG_STRING, &agent.provider, "Snapshot provider (default: the cheapest that works)", "NAME" },
    { "once", 0, 0, G_OPTION_ARG_NONE, &agent.once, "Serve one run, then exit", NULL },
    { NULL },
  };
  int done = vss_cli_parse (cli, "agent", NULL,
                            "Take part in cluster snapshot sets: register this host in etcd and run "
                            "the local side of each request (docs/cluster.md).", entries, &argc, &argv);
  if (done < 0)
    done = vss_cli_no_arguments (cli, "agent", argc, argv);
  if (done < 0)
    done = start (&agent);
  g_clear_pointer (&agent.member, vss_cluster_member_leave);
  g_clear_pointer (&agent.config, vss_cluster_config_free);
  g_free (agent.name);
  g_free (agent.config_path);
  g_free (agent.urls);
  g_strfreev (agent.paths);
  g_free (agent.provider);
  g_free (agent.state_file);
  return done;
}
