/* cmd-verify.c — `vss verify DIR`: can the set be restored?  Its chain, the
 * checks a restore's plan makes, every file against its manifest. */
#include <vss/vss-backup-set.h>

#include "vss-options.h"
#include "vss-backup-cmd.h"

typedef struct {
  VssCli *cli;
  guint problems;
} Verify;

static const char *
problem_name (VssVerifyProblem problem)
{
  switch (problem) {
  case VSS_VERIFY_MISSING: return "missing";
  case VSS_VERIFY_CHANGED: return "changed";
  case VSS_VERIFY_EXTRA: return "extra";
  case VSS_VERIFY_CHAIN: return "chain";
  default: return "refused";
  }
}

static void
on_problem (VssVerifyProblem problem, const char *stored_path, const char *detail, gpointer user_data)
{
  Verify *v = user_data;
  v->problems++;
  vss_cli_progress_clear (v->cli);
  vss_cli_print (v->cli, "%-8s %s%s%s\n", problem_name (problem), stored_path,
                 detail != NULL ? ": " : "", detail != NULL ? detail : "");
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "problem", json_object_new_string (problem_name (problem)));
  json_object_object_add (obj, "path", json_object_new_string (stored_path));
  if (detail != NULL)
    json_object_object_add (obj, "detail", json_object_new_string (detail));
  vss_cli_emit (v->cli, "problem", obj);
}

static void
on_progress (guint64 done, guint64 total, const char *path, gpointer user_data)
{
  vss_cli_progress (user_data, "verify", done, total, path);
}

int
vss_cmd_verify (VssCli *cli, int argc, char **argv)
{
  int done = vss_cli_parse (cli, "verify", "DIR",
                            "Check that a backup set can be restored: every base set of its chain "
                            "present and unchanged, every entry one a restore would accept, every "
                            "file re-read against the manifest; report each problem (exit 1).", NULL, &argc, &argv);
  if (done >= 0)
    return done;
  if (argc != 2)
    return vss_cli_usage (cli, "verify", "give one backup set directory");
  if (vss_cluster_set_is_cluster (argv[1]))
    return vss_cli_verify_cluster_set (cli, argv[1]);   /* cmd-backup-cluster.c */
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (argv[1], &error);
  if (set == NULL)
    return vss_cli_fail (cli, error);
  Verify v = { cli, 0 };
  gboolean clean = vss_backup_set_verify (set, on_problem, &v, on_progress, cli, &error);
  vss_cli_progress_clear (cli);
  if (!clean && error != NULL)
    return vss_cli_fail (cli, error);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "status", json_object_new_string (v.problems == 0 ? "success" : "failed"));
  json_object_object_add (obj, "problems", json_object_new_int ((int) v.problems));
  json_object_object_add (obj, "set_id", json_object_new_string (vss_backup_set_get_id (set)));
  vss_cli_emit (cli, "summary", obj);
  vss_cli_print (cli, "%s: %s\n", argv[1], v.problems == 0 ? "ok, restorable: the chain is complete and every file matches the manifest"
                                                           : "problems found (see above)");
  return v.problems == 0 ? VSS_EXIT_OK : VSS_EXIT_FAILED;
}
