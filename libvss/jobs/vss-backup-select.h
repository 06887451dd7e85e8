/* vss-select.h — which components a command works on: every selectable
 * one by default, or those named by --component WRITER[:LOGICAL/PATH]. */
#pragma once

#include "vss-cli.h"

typedef struct {
  const VssWriterMetadata *metadata;  /* borrowed from the VssBackupComponents */
  const VssWmComponent *component;    /* borrowed */
  char *key;                          /* "writer/logical path/name": the backup set's name */
} VssSelected;

void vss_selected_free (VssSelected *selected);

/* "recorder/dbs/db" from the writer name, logical path and name. */
char *vss_cli_component_key (const char *writer_name, const char *logical_path, const char *name);

/* Does @spec ("WRITER" or "WRITER:LOGICAL/PATH/NAME" or "WRITER:NAME")
 * name this component? */
gboolean vss_cli_spec_matches (const char *spec, const char *writer_name,
                               const char *logical_path, const char *name);

/* The selectable components of the gathered writers that @specs name (all
 * of them when @specs is NULL or empty).  A spec that matches nothing is
 * an error (VSS_ERROR_OBJECT_NOT_FOUND naming it and what exists). */
GPtrArray *vss_cli_select_components (VssBackupComponents *bc, char **specs, GError **error);
