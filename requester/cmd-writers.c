/* cmd-writers.c — `vss writers`: every writer, its state and components. */
#include "vss-options.h"

static void
print_files (VssCli *cli, const char *kind, const VssWmFile *file)
{
  vss_cli_print (cli, "      %-8s %s/%s%s%s%s\n", kind, vss_wm_file_get_path (file),
                 vss_wm_file_get_filespec (file), vss_wm_file_get_recursive (file) ? " (recursive)" : "",
                 vss_wm_file_get_alternate_location (file) ? " -> " : "",
                 vss_wm_file_get_alternate_location (file) ? vss_wm_file_get_alternate_location (file) : "");
}

static void
show_component (VssCli *cli, const VssWmComponent *c, gboolean verbose)
{
  const char *lp = vss_wm_component_get_logical_path (c);
  vss_cli_print (cli, "    %-9s %s%s%s%s%s\n", vss_component_type_to_string (vss_wm_component_get_type (c)),
                 lp != NULL ? lp : "", lp != NULL ? "/" : "", vss_wm_component_get_name (c),
                 vss_wm_component_is_selectable (c) ? "" : " (not selectable)",
                 vss_wm_component_get_caption (c) != NULL ? "" : "");
  if (vss_wm_component_get_caption (c) != NULL)
    vss_cli_print (cli, "              %s\n", vss_wm_component_get_caption (c));
  if (!verbose)
    return;
  for (guint i = 0; i < vss_wm_component_get_file_count (c); i++)
    print_files (cli, "files", vss_wm_component_get_file (c, i));
  for (guint i = 0; i < vss_wm_component_get_database_file_count (c); i++)
    print_files (cli, "database", vss_wm_component_get_database_file (c, i));
  for (guint i = 0; i < vss_wm_component_get_log_file_count (c); i++)
    print_files (cli, "logs", vss_wm_component_get_log_file (c, i));
}

static void
show_writer (VssCli *cli, const VssWriterMetadata *md, gboolean verbose)
{
  vss_cli_print (cli, "%s  %s\n  instance %s, restore method %s\n",
                 vss_writer_metadata_get_writer_name (md), vss_writer_metadata_get_writer_id (md),
                 vss_writer_metadata_get_instance_id (md),
                 vss_restore_method_to_string (vss_writer_metadata_get_restore_method (md, NULL, NULL, NULL, NULL)));
  for (guint c = 0; c < vss_writer_metadata_get_component_count (md); c++)
    show_component (cli, vss_writer_metadata_get_component (md, c), verbose);
  g_autofree char *text = vss_writer_metadata_to_json (md);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "metadata", json_tokener_parse (text));
  vss_cli_emit (cli, "writer-metadata", obj);
}

int
vss_cmd_writers (VssCli *cli, int argc, char **argv)
{
  gboolean verbose = FALSE;
  const GOptionEntry entries[] = {
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Show every component's file sets", NULL },
    { NULL },
  };
  int done = vss_cli_parse (cli, "writers", NULL, "List the writers, their state and components.",
                            entries, &argc, &argv);
  if (done >= 0)
    return done;
  if ((done = vss_cli_no_arguments (cli, "writers", argc, argv)) >= 0)
    return done;
  g_autoptr(GError) error = NULL;
  g_autoptr(VssBackupComponents) bc = vss_cli_gather (cli, VSS_BT_FULL, NULL, 0, &error);
  guint count = 0;
  if (bc == NULL || !vss_backup_components_get_writer_metadata_count (bc, &count, &error))
    return vss_cli_fail (cli, error);
  for (guint i = 0; i < count; i++)
    show_writer (cli, vss_backup_components_get_writer_metadata (bc, i, NULL), verbose);
  if (count == 0)
    vss_cli_print (cli, "no configured writer (looked in $VSS_WRITER_PATH or the writer directory)\n");
  vss_cli_print (cli, "\n");
  guint failed = vss_cli_report_writers (cli, bc, FALSE, &error);
  if (error != NULL)
    return vss_cli_fail (cli, error);
  json_object *summary = json_object_new_object ();
  json_object_object_add (summary, "writers", json_object_new_int ((int) count));
  json_object_object_add (summary, "failed", json_object_new_int ((int) failed));
  vss_cli_emit (cli, "summary", summary);
  /* monitoring reads this: a configured writer that fails is a problem;
   * one installed but not configured is not */
  return failed > 0 ? VSS_EXIT_FAILED : VSS_EXIT_OK;
}
