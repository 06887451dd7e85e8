/* vss-restic-restore.h — a restic snapshot made by `vss backup --repo`
 * turned back into a native backup set (cmd-restore-restic.c). */
#pragma once

#include <vss/vss.h>

/* Restores @from ("restic:REPO[:SNAPSHOT]"; no snapshot: the newest vss
 * one) into a new staging directory under the state directory
 * (*@staging_out) and assembles a backup set there; the set's path.  A
 * snapshot tagged vss-incomplete is refused. */
char *vss_restic_stage_set (const char *from, char **staging_out, GError **error);
/* Removes the staging directory and everything in it. */
void  vss_restic_staging_remove (const char *staging);
