/* vss-options.c — GOption parsing shared by the subcommands. */
#include "vss-options.h"

#include <stdio.h>

/* GOption's usage line is "<prgname> [OPTION…] <parameter>"; while
 * parsing, the program is called "vss COMMAND" so that --help reads
 * "vss backup [OPTION…]" (the process keeps its "vss-COMMAND" name for
 * the snapshot lock and the logs). */
static gboolean
parse_as_command (GOptionContext *context, const char *command, int *argc, char ***argv,
                  GError **error)
{
  g_autofree char *saved = g_strdup (g_get_prgname ());
  g_autofree char *shown = g_strdup_printf ("vss %s", command);
  g_set_prgname (shown);
  gboolean ok = g_option_context_parse (context, argc, argv, error);
  g_set_prgname (saved);
  return ok;
}

int
vss_cli_parse (VssCli *cli, const char *command, const char *parameter, const char *summary,
               const GOptionEntry *entries, int *argc, char ***argv)
{
  gboolean json = cli->json;
  const GOptionEntry common[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line on stdout (NDJSON)", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (parameter);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, common, NULL);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!parse_as_command (context, command, argc, argv, &error))
    return vss_cli_usage (cli, command, "%s", error->message);
  *cli = vss_cli_init (json);
  return -1;
}

int
vss_cli_no_arguments (VssCli *cli, const char *command, int argc, char **argv)
{
  if (argc > 1)
    return vss_cli_usage (cli, command, "unexpected argument \"%s\"", argv[1]);
  return -1;
}
