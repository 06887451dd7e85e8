/* vss-commands.c — the subcommands, in the order `vss --help` lists them. */
#include "vss-cli.h"

int vss_cmd_backup (VssCli *cli, int argc, char **argv);
int vss_cmd_restore (VssCli *cli, int argc, char **argv);
int vss_cmd_verify (VssCli *cli, int argc, char **argv);
int vss_cmd_sets (VssCli *cli, int argc, char **argv);
int vss_cmd_ls (VssCli *cli, int argc, char **argv);
int vss_cmd_forget (VssCli *cli, int argc, char **argv);
int vss_cmd_mount (VssCli *cli, int argc, char **argv);
int vss_cmd_writers (VssCli *cli, int argc, char **argv);
int vss_cmd_shadows (VssCli *cli, int argc, char **argv);
int vss_cmd_status (VssCli *cli, int argc, char **argv);
int vss_cmd_daemon (VssCli *cli, int argc, char **argv);
int vss_cmd_restore_gate (VssCli *cli, int argc, char **argv);
int vss_cmd_agent (VssCli *cli, int argc, char **argv);

const VssCommand vss_commands[] = {
  { "backup", "snapshot the writers' data and copy it into a backup set (or hand it to --exec)", vss_cmd_backup },
  { "restore", "put a backup set (or restic snapshot) back, with the writers' pre- and post-restore", vss_cmd_restore },
  { "verify", "re-check a backup set against its manifest", vss_cmd_verify },
  { "sets", "list the backup sets of a directory or a restic repository", vss_cmd_sets },
  { "ls", "list the files of a backup set as of its backup", vss_cmd_ls },
  { "forget", "remove the sets no --keep rule keeps (chains kept whole)", vss_cmd_forget },
  { "mount", "show a backup set read-only as a filesystem (FUSE)", vss_cmd_mount },
  { "writers", "list the writers, their state and components", vss_cmd_writers },
  { "shadows", "list or delete snapshots (shadow copies)", vss_cmd_shadows },
  { "status", "say whether a snapshot set is being made, and by whom", vss_cmd_status },
  { "restore-gate", "exit 0 unless a registered online restore of PATH is pending", vss_cmd_restore_gate },
  { "agent", "take part in cluster snapshot sets coordinated through etcd", vss_cmd_agent },
  { "daemon", "serve the writer socket for application-hosted writers", vss_cmd_daemon },
  { NULL, NULL, NULL },
};
