/* vss-catalog.c — listing the sets of a directory or a restic
 * repository (vss-catalog.h). */
#include "vss-catalog.h"
#include "vss-restic.h"
#include "vss-snapshot-view.h"

#include <string.h>

void
vss_catalog_set_free (VssCatalogSet *set)
{
  if (set == NULL)
    return;
  g_free (set->location);
  g_free (set->short_name);
  g_free (set->set_id);
  g_free (set->base_id);
  g_free (set->type);
  g_free (set->host);
  g_ptr_array_unref (set->components);
  g_free (set);
}

char *
vss_catalog_format_time (gint64 usec)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);
  return t != NULL ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

static int
by_time (gconstpointer a, gconstpointer b)
{
  const VssCatalogSet *x = *(VssCatalogSet *const *) a, *y = *(VssCatalogSet *const *) b;
  return x->time_usec < y->time_usec ? -1 : x->time_usec > y->time_usec;
}

/* ---- native ---- */

static VssCatalogSet *
native_set (const char *dir, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_str_has_suffix (name, ".partial"))
    return NULL;
  g_autoptr(VssBackupSet) set = vss_backup_set_open (path, &error);
  if (set == NULL) {
    g_printerr ("vss: skipping %s: %s\n", path, error->message);
    return NULL;
  }
  VssCatalogSet *c = g_new0 (VssCatalogSet, 1);
  c->location = g_steal_pointer (&path);
  c->short_name = g_strdup (name);
  c->set_id = g_strdup (vss_backup_set_get_id (set));
  c->base_id = g_strdup (vss_backup_set_get_base_id (set));
  c->type = g_strdup (vss_backup_type_to_string (vss_backup_set_get_backup_type (set)));
  c->time_usec = vss_backup_set_get_created_usec (set);
  c->components = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = vss_backup_set_list_components (set);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (c->components, g_strdup (names->pdata[i]));
  return c;
}

static GPtrArray *
list_native (const char *dir, GError **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  GPtrArray *sets = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_catalog_set_free);
  for (const char *name; (name = g_dir_read_name (d)) != NULL;) {
    VssCatalogSet *c = native_set (dir, name);
    if (c != NULL)
      g_ptr_array_add (sets, c);
  }
  return sets;
}

/* ---- restic ---- */

static void
add_restic_components (VssCatalogSet *c, const char *repo)
{
  g_autoptr(GPtrArray) argv = vss_restic_argv (repo);
  const char *words[] = { "dump", c->location, VSS_VIEW_SET_DIR "/components.json", NULL };
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_ptr_array_add (argv, g_strdup (words[i]));
  g_autofree char *out = NULL;
  if (!vss_restic_run ((const char *const *) argv->pdata, &out, NULL))
    return;
  json_object *index = json_tokener_parse (out);
  json_object *comps = index != NULL ? json_object_object_get (index, "components") : NULL;
  for (size_t i = 0; comps != NULL && i < json_object_array_length (comps); i++) {
    json_object *comp = json_object_array_get_idx (comps, i);
    if (!json_object_get_boolean (json_object_object_get (comp, "failed")))
      g_ptr_array_add (c->components, g_strdup (json_object_get_string (json_object_object_get (comp, "key"))));
  }
  json_object *paths = index != NULL ? json_object_object_get (index, "paths") : NULL;
  for (size_t i = 0; paths != NULL && i < json_object_array_length (paths); i++)
    g_ptr_array_add (c->components, g_strdup_printf ("path:%s", json_object_get_string (
        json_object_array_get_idx (paths, i))));
  json_object_put (index);
}

static VssCatalogSet *
restic_set (json_object *snap)
{
  VssCatalogSet *c = g_new0 (VssCatalogSet, 1);
  c->location = g_strdup (json_object_get_string (json_object_object_get (snap, "id")));
  c->short_name = g_strdup (json_object_get_string (json_object_object_get (snap, "short_id")));
  c->set_id = g_strdup (vss_restic_tag_value (snap, "vss-set"));
  c->type = g_strdup (vss_restic_tag_value (snap, "vss-type"));
  c->host = g_strdup (json_object_get_string (json_object_object_get (snap, "hostname")));
  g_autoptr(GDateTime) t = g_date_time_new_from_iso8601 (
      json_object_get_string (json_object_object_get (snap, "time")), NULL);
  c->time_usec = t != NULL ? g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t) : 0;
  c->components = g_ptr_array_new_with_free_func (g_free);
  json_object *tags = json_object_object_get (snap, "tags");
  for (size_t i = 0; tags != NULL && i < json_object_array_length (tags); i++)
    c->incomplete |= g_str_equal (json_object_get_string (json_object_array_get_idx (tags, i)),
                                  VSS_RESTIC_TAG_INCOMPLETE);
  return c;
}

static GPtrArray *
list_restic (const char *repo, gboolean with_components, GError **error)
{
  json_object *list = vss_restic_list_snapshots (repo, error);
  if (list == NULL)
    return NULL;
  GPtrArray *sets = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_catalog_set_free);
  for (size_t i = 0; list != NULL && i < json_object_array_length (list); i++) {
    VssCatalogSet *c = restic_set (json_object_array_get_idx (list, i));
    if (with_components)
      add_restic_components (c, repo);
    g_ptr_array_add (sets, c);
  }
  json_object_put (list);
  return sets;
}

GPtrArray *
vss_catalog_list (const char *store, gboolean with_components, GError **error)
{
  g_autofree char *repo = NULL, *snapshot = NULL;
  GPtrArray *sets;
  if (vss_restic_is_repo (store)) {
    vss_restic_parse (store, &repo, &snapshot);
    sets = list_restic (repo, with_components, error);
  } else {
    sets = list_native (store, error);
  }
  if (sets != NULL)
    g_ptr_array_sort (sets, by_time);
  return sets;
}
