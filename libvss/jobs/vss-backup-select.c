/* vss-backup-select.c — component selection for a backup. */
#include "vss-backup-select.h"

#include <vss/vss-backup-set.h>
#include <vss/vss-error.h>

#include <string.h>

void
vss_selected_free (VssSelected *selected)
{
  g_free (selected->key);
  g_free (selected);
}

gboolean
vss_backup_spec_matches (const char *spec, const char *writer_name, const char *logical_path,
                      const char *name)
{
  const char *colon = strchr (spec, ':');
  gsize writer_len = colon != NULL ? (gsize) (colon - spec) : strlen (spec);
  if (strlen (writer_name) != writer_len || strncmp (spec, writer_name, writer_len) != 0)
    return FALSE;
  if (colon == NULL)
    return TRUE;
  g_autofree char *full = logical_path != NULL && *logical_path != '\0'
                              ? g_strdup_printf ("%s/%s", logical_path, name)
                              : g_strdup (name);
  return g_str_equal (colon + 1, full) || g_str_equal (colon + 1, name);
}

static gboolean
any_spec_matches (char **specs, const char *writer, const char *lp, const char *name, guint *hits)
{
  if (specs == NULL || specs[0] == NULL)
    return TRUE;
  gboolean matched = FALSE;
  for (guint i = 0; specs[i] != NULL; i++) {
    if (vss_backup_spec_matches (specs[i], writer, lp, name)) {
      hits[i]++;
      matched = TRUE;
    }
  }
  return matched;
}

static gboolean
check_every_spec_used (char **specs, const guint *hits, GPtrArray *known, GError **error)
{
  for (guint i = 0; specs != NULL && specs[i] != NULL; i++) {
    if (hits[i] > 0)
      continue;
    g_ptr_array_add (known, NULL);
    g_autofree char *list = g_strjoinv (", ", (char **) known->pdata);
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "no selectable component matches --component %s (there are: %s)", specs[i],
                 *list != '\0' ? list : "none; see 'vss writers'");
    return FALSE;
  }
  return TRUE;
}

/* ---- dependencies ---- */

static char *
spec_of (const char *writer, const char *logical_path, const char *name)
{
  return logical_path != NULL && *logical_path != '\0'
             ? g_strdup_printf ("%s:%s/%s", writer, logical_path, name)
             : g_strdup_printf ("%s:%s", writer, name);
}

static gboolean
is_selected (GPtrArray *selected, const VssWmDependency *d)
{
  for (guint i = 0; i < selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (selected, i);
    if (g_str_equal (vss_writer_metadata_get_writer_id (s->metadata), vss_wm_dependency_get_writer_id (d)) &&
        g_strcmp0 (vss_wm_component_get_logical_path (s->component) != NULL
                       ? vss_wm_component_get_logical_path (s->component) : "",
                   vss_wm_dependency_get_logical_path (d) != NULL
                       ? vss_wm_dependency_get_logical_path (d) : "") == 0 &&
        g_str_equal (vss_wm_component_get_name (s->component), vss_wm_dependency_get_name (d)))
      return TRUE;
  }
  return FALSE;
}

/* The name of the running writer @writer_id, or NULL. */
static const char *
writer_name_of (VssBackupComponents *bc, const char *writer_id)
{
  guint n = 0;
  vss_backup_components_get_writer_metadata_count (bc, &n, NULL);
  for (guint w = 0; w < n; w++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, w, NULL);
    if (md != NULL && g_str_equal (vss_writer_metadata_get_writer_id (md), writer_id))
      return vss_writer_metadata_get_writer_name (md);
  }
  return NULL;
}

/* A component is restorable only with what it depends on (a database's
 * data with its log): a selection that leaves a dependency out is refused
 * before anything is frozen, naming what to add. */
static gboolean
check_dependencies (VssBackupComponents *bc, GPtrArray *selected, GError **error)
{
  for (guint i = 0; i < selected->len; i++) {
    const VssSelected *s = g_ptr_array_index (selected, i);
    for (guint d = 0; d < vss_wm_component_get_dependency_count (s->component); d++) {
      const VssWmDependency *dep = vss_wm_component_get_dependency (s->component, d);
      if (is_selected (selected, dep))
        continue;
      const char *writer = writer_name_of (bc, vss_wm_dependency_get_writer_id (dep));
      g_autofree char *from = spec_of (vss_writer_metadata_get_writer_name (s->metadata),
                                       vss_wm_component_get_logical_path (s->component),
                                       vss_wm_component_get_name (s->component));
      g_autofree char *to = spec_of (writer != NULL ? writer : vss_wm_dependency_get_writer_id (dep),
                                     vss_wm_dependency_get_logical_path (dep),
                                     vss_wm_dependency_get_name (dep));
      if (writer == NULL)
        g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                     "component %s depends on %s, whose writer is not running (see 'vss writers'): "
                     "a set without it could not be restored", from, to);
      else
        g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                     "component %s depends on %s, which is not selected: a set without it could "
                     "not be restored; add --component %s (or select the whole writer with "
                     "--component %s)", from, to, to, writer);
      return FALSE;
    }
  }
  return TRUE;
}

GPtrArray *
vss_backup_select_components (VssBackupComponents *bc, char **specs, GError **error)
{
  guint n_writers = 0;
  if (!vss_backup_components_get_writer_metadata_count (bc, &n_writers, error))
    return NULL;
  g_autoptr(GPtrArray) selected = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_selected_free);
  g_autoptr(GPtrArray) known = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint *hits = g_new0 (guint, specs != NULL ? g_strv_length (specs) + 1 : 1);
  for (guint w = 0; w < n_writers; w++) {
    const VssWriterMetadata *md = vss_backup_components_get_writer_metadata (bc, w, error);
    if (md == NULL)
      return NULL;
    const char *writer = vss_writer_metadata_get_writer_name (md);
    for (guint c = 0; c < vss_writer_metadata_get_component_count (md); c++) {
      const VssWmComponent *wm = vss_writer_metadata_get_component (md, c);
      if (!vss_wm_component_is_selectable (wm))
        continue;
      const char *lp = vss_wm_component_get_logical_path (wm);
      const char *name = vss_wm_component_get_name (wm);
      g_ptr_array_add (known, vss_backup_set_component_key (writer, lp, name));
      if (!any_spec_matches (specs, writer, lp, name, hits))
        continue;
      VssSelected *one = g_new0 (VssSelected, 1);
      one->metadata = md;
      one->component = wm;
      one->key = vss_backup_set_component_key (writer, lp, name);
      g_ptr_array_add (selected, one);
    }
  }
  if (!check_every_spec_used (specs, hits, known, error) ||
      /* every writer asked for: all that can be selected is */
      (specs != NULL && specs[0] != NULL && !check_dependencies (bc, selected, error)))
    return NULL;
  return g_steal_pointer (&selected);
}
