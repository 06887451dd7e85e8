/* vss-catalog.h — the sets of one store, native or restic, as one list:
 * `vss sets` shows it, `vss forget` chooses from it. */
#pragma once

#include "vss-cli.h"

typedef struct {
  char *location;        /* the set's directory, or the restic snapshot id */
  char *short_name;      /* directory name, or restic's short id */
  char *set_id;          /* the set's UUID */
  char *base_id;         /* native incremental/differential/log: the set it builds on */
  char *type;            /* full, incremental, … */
  char *host;            /* restic: the snapshot's host; native: NULL */
  gint64 time_usec;
  GPtrArray *components; /* char* */
  gboolean incomplete;   /* restic exit 3 (vss-incomplete) */
} VssCatalogSet;

/* The sets in @store (a directory of native sets, or restic:REPO),
 * oldest first.  Native: every subdirectory vss_backup_set_open accepts
 * (the others are skipped with a note on stderr).  restic: every
 * snapshot tagged vss; @with_components reads each one's
 * components.json (a restic dump per snapshot). */
GPtrArray *vss_catalog_list (const char *store, gboolean with_components, GError **error);
void       vss_catalog_set_free (VssCatalogSet *set);
/* "2026-12-04 06:00:41" in local time. */
char      *vss_catalog_format_time (gint64 usec);
