/* vss-options.c — GOption parsing shared by the subcommands. */
#include "vss-options.h"

#include <stdio.h>

int
vss_cli_parse (VssCli *cli, const char *command, const char *parameter, const char *summary,
               const GOptionEntry *entries, int *argc, char ***argv)
{
  gboolean json = cli->json;
  const GOptionEntry common[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line on stdout (NDJSON)", NULL },
    { NULL },
  };
  g_autofree char *title = g_strdup_printf ("%s%s%s", command, parameter ? " " : "",
                                            parameter ? parameter : "");
  g_autoptr(GOptionContext) context = g_option_context_new (title);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, common, NULL);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (context, argc, argv, &error))
    return vss_cli_usage (cli, command, "%s", error->message);
  *cli = vss_cli_init (json);
  return -1;
}
