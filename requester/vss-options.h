/* vss-options.h — parsing a subcommand's options with GOption, the same
 * way for every command (--json and --help included). */
#pragma once

#include "vss-cli.h"

/* Parses @argv (argv[0] is the command name) with @entries plus --json;
 * leaves the remaining arguments in @argv/@argc.  Returns -1 when the
 * command should go on, or the exit code to return (help shown: 0, bad
 * usage: 2). */
int vss_cli_parse (VssCli *cli, const char *command, const char *parameter,
                   const char *summary, const GOptionEntry *entries, int *argc, char ***argv);

/* For a command that takes no positional argument: -1 when @argc (after
 * vss_cli_parse) holds only the command name, else bad usage (2) naming
 * the first extra argument. */
int vss_cli_no_arguments (VssCli *cli, const char *command, int argc, char **argv);
