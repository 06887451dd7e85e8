/* cmd-shadows.c — `vss shadows list|delete`: snapshots across processes. */
#include "vss-options.h"

#include <glib/gprintf.h>

static void
show (VssCli *cli, const VssSnapshotProp *prop)
{
  g_autoptr(GDateTime) when = prop->created_usec > 0
      ? g_date_time_new_from_unix_local (prop->created_usec / G_USEC_PER_SEC) : NULL;
  g_autofree char *date = when != NULL ? g_date_time_format (when, "%F %T") : g_strdup ("-");
  vss_cli_print (cli, "%s  set %s  %s  %-8s %s -> %s\n", prop->snapshot_id, prop->snapshot_set_id,
                 date, prop->provider, prop->original_path,
                 prop->snapshot_path != NULL ? prop->snapshot_path : "(not committed)");
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "snapshot_id", json_object_new_string (prop->snapshot_id));
  json_object_object_add (obj, "snapshot_set_id", json_object_new_string (prop->snapshot_set_id));
  json_object_object_add (obj, "original_path", json_object_new_string (prop->original_path));
  if (prop->snapshot_path != NULL)
    json_object_object_add (obj, "snapshot_path", json_object_new_string (prop->snapshot_path));
  json_object_object_add (obj, "provider", json_object_new_string (prop->provider));
  json_object_object_add (obj, "context", json_object_new_string (vss_snapshot_context_to_string (prop->context)));
  json_object_object_add (obj, "created_usec", json_object_new_int64 (prop->created_usec));
  vss_cli_emit (cli, "shadow", obj);
}

static int
list (VssCli *cli)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = vss_snapshots_list (&error);
  if (all == NULL)
    return vss_cli_fail (cli, error);
  for (guint i = 0; i < all->len; i++)
    show (cli, g_ptr_array_index (all, i));
  if (all->len == 0)
    vss_cli_print (cli, "no snapshots\n");
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "count", json_object_new_int ((int) all->len));
  vss_cli_emit (cli, "summary", obj);
  return VSS_EXIT_OK;
}

static int
delete (VssCli *cli, const char *id, gboolean all)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  if (all) {
    g_autoptr(GPtrArray) every = vss_snapshots_list (&error);
    if (every == NULL)
      return vss_cli_fail (cli, error);
    for (guint i = 0; i < every->len; i++)
      g_ptr_array_add (ids, g_strdup (((VssSnapshotProp *) g_ptr_array_index (every, i))->snapshot_id));
  } else {
    g_ptr_array_add (ids, g_strdup (id));
  }
  for (guint i = 0; i < ids->len; i++) {
    if (!vss_snapshots_delete (g_ptr_array_index (ids, i), &error))
      return vss_cli_fail (cli, error);
    vss_cli_print (cli, "deleted %s\n", (char *) g_ptr_array_index (ids, i));
  }
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "deleted", json_object_new_int ((int) ids->len));
  vss_cli_emit (cli, "summary", obj);
  return VSS_EXIT_OK;
}

int
vss_cmd_shadows (VssCli *cli, int argc, char **argv)
{
  gboolean all = FALSE;
  const GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "With delete: every snapshot", NULL },
    { NULL },
  };
  int done = vss_cli_parse (cli, "shadows", "list | delete [ID | --all]",
                            "List the snapshots libvss keeps (persistent ones, and sets being made), or "
                            "delete one\n(by snapshot or snapshot set id) or all.", entries, &argc, &argv);
  if (done >= 0)
    return done;
  if (argc == 2 && g_str_equal (argv[1], "list") && !all)
    return list (cli);
  if (argc == 3 && g_str_equal (argv[1], "delete") && !all)
    return delete (cli, argv[2], FALSE);
  if (argc == 2 && g_str_equal (argv[1], "delete") && all)
    return delete (cli, NULL, TRUE);
  return vss_cli_usage (cli, "shadows", "use 'list', 'delete ID' or 'delete --all'");
}
