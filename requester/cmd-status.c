/* cmd-status.c — `vss status`: is a snapshot set being made, by whom. */
#include "vss-options.h"

int
vss_cmd_status (VssCli *cli, int argc, char **argv)
{
  int done = vss_cli_parse (cli, "status", NULL,
                            "Say whether a snapshot set is being made on this machine, and by which "
                            "process.\nExit code 4 while one is.", NULL, &argc, &argv);
  if (done >= 0)
    return done;
  if ((done = vss_cli_no_arguments (cli, "status", argc, argv)) >= 0)
    return done;
  gint64 pid = 0;
  g_autofree char *program = NULL, *set_id = NULL;
  gboolean busy = vss_snapshots_get_set_in_progress (&pid, &program, &set_id);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "in_progress", json_object_new_boolean (busy));
  if (busy) {
    json_object_object_add (obj, "pid", json_object_new_int64 (pid));
    json_object_object_add (obj, "program", json_object_new_string (program ? program : ""));
    json_object_object_add (obj, "snapshot_set_id", json_object_new_string (set_id ? set_id : ""));
    vss_cli_print (cli, "snapshot set %s is being made by %s (pid %" G_GINT64_FORMAT ")\n",
                   set_id ? set_id : "?", program ? program : "?", pid);
  } else {
    vss_cli_print (cli, "no snapshot set is being made\n");
  }
  vss_cli_emit (cli, "status", obj);
  return busy ? VSS_EXIT_BUSY : VSS_EXIT_OK;
}
