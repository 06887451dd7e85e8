/* vss-main.c — `vss`: finds the subcommand and runs it. */
#include "vss-cli.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static void
print_help (FILE *out)
{
  fprintf (out, "Usage: vss [--json] COMMAND [OPTIONS…]\n\n"
                "Application-consistent backups: writers freeze, a provider snapshots, "
                "the data go into a backup set.\n\nCommands:\n");
  for (const VssCommand *cmd = vss_commands; cmd->name != NULL; cmd++)
    fprintf (out, "  %-14s %s\n", cmd->name, cmd->summary);
  fprintf (out, "\n'vss COMMAND --help' describes a command.  Exit codes: 0 success, 1 failed,\n"
                "2 bad usage, 3 partial (made, but some component failed), 4 another snapshot\n"
                "set is in progress.  See vss(1).\n");
}

static const VssCommand *
find_command (const char *name)
{
  for (const VssCommand *cmd = vss_commands; cmd->name != NULL; cmd++)
    if (g_str_equal (cmd->name, name))
      return cmd;
  return NULL;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  gboolean json = FALSE;
  int first = 1;
  for (; first < argc && argv[first][0] == '-'; first++) {
    if (g_str_equal (argv[first], "--json")) {
      json = TRUE;
    } else if (g_str_equal (argv[first], "--help") || g_str_equal (argv[first], "-h")) {
      print_help (stdout);
      return VSS_EXIT_OK;
    } else if (g_str_equal (argv[first], "--version")) {
      printf ("vss %s\n", VSS_VERSION_STRING);
      return VSS_EXIT_OK;
    } else {
      fprintf (stderr, "vss: unknown option %s\nTry 'vss --help'.\n", argv[first]);
      return VSS_EXIT_USAGE;
    }
  }
  if (first >= argc) {
    print_help (stderr);
    return VSS_EXIT_USAGE;
  }
  const VssCommand *cmd = find_command (argv[first]);
  if (cmd == NULL) {
    fprintf (stderr, "vss: unknown command '%s'\nTry 'vss --help'.\n", argv[first]);
    return VSS_EXIT_USAGE;
  }
  g_autofree char *prgname = g_strdup_printf ("vss-%s", cmd->name);
  g_set_prgname (prgname);
  VssCli cli = vss_cli_init (json);
  return cmd->run (&cli, argc - first, argv + first);
}
