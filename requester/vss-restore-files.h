/* vss-restore-files.h — `vss restore --include PATH --to DIR`: single
 * files and trees of a set copied under DIR at their original paths,
 * with no writer events (as VSS, a partial file-level restore to an
 * alternate location involves no writer). */
#pragma once

#include "vss-cli.h"

/* Copies what @includes (original absolute paths) name in the set at
 * @from (a directory, or restic:REPO[:SNAPSHOT]) under @to; every file's
 * content is checked against its SHA-256 before it is renamed into
 * place.  The exit code. */
int vss_restore_files (VssCli *cli, const char *from, char **includes, const char *to);
