/* cmd-restore-gate.c — `vss restore-gate PATH`: may this store be opened
 * for service?  No while a registered online restore has not completed
 * (the interlock of vss_ds_restore_register / vss_cs_restore_register).
 * Meant for ExecStartPre= of the service's unit. */
#include "vss-options.h"

int
vss_cmd_restore_gate (VssCli *cli, int argc, char **argv)
{
  int done = vss_cli_parse (cli, "restore-gate", "PATH",
                            "Exit 0 when the store at PATH (an LMDB directory or a certificate "
                            "database or its\ndirectory) may be opened for service, 1 while a "
                            "registered restore has not completed.\nFor ExecStartPre= in the "
                            "service's systemd unit.", NULL, &argc, &argv);
  if (done >= 0)
    return done;
  if (argc != 2)
    return vss_cli_usage (cli, "restore-gate", "give one path");
  g_autoptr(GError) error = NULL;
  gboolean open = vss_ds_restore_gate_check (argv[1], &error) &&
                  vss_cs_restore_gate_check (argv[1], &error);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "path", json_object_new_string (argv[1]));
  json_object_object_add (obj, "open", json_object_new_boolean (open));
  if (error != NULL)
    json_object_object_add (obj, "message", json_object_new_string (error->message));
  vss_cli_emit (cli, "restore-gate", obj);
  if (!open) {
    g_printerr ("vss restore-gate: %s\n", error->message);
    return VSS_EXIT_FAILED;
  }
  vss_cli_print (cli, "%s: no restore pending; the service may start\n", argv[1]);
  return VSS_EXIT_OK;
}
