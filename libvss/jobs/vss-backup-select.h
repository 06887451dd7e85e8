/* vss-backup-select.h — which components a backup works on: every selectable
 * one by default, or those named by --component WRITER[:LOGICAL/PATH]. */
#pragma once

#include <vss/vss-backup-components.h>
#include <vss/vss-writer-metadata.h>

typedef struct {
  const VssWriterMetadata *metadata;  /* borrowed from the VssBackupComponents */
  const VssWmComponent *component;    /* borrowed */
  char *key;                          /* "writer/logical path/name": the backup set's name */
} VssSelected;

void vss_selected_free (VssSelected *selected);

/* Does @spec ("WRITER" or "WRITER:LOGICAL/PATH/NAME" or "WRITER:NAME")
 * name this component? */
gboolean vss_backup_spec_matches (const char *spec, const char *writer_name,
                              const char *logical_path, const char *name);

/* The selectable components of the gathered writers that @specs name (all
 * of them when @specs is NULL or empty).  A spec that matches nothing is
 * an error (VSS_ERROR_INVALID_ARG naming it and what exists), and so is a
 * selection that leaves out what a chosen component depends on. */
GPtrArray *vss_backup_select_components (VssBackupComponents *bc, char **specs, GError **error);
