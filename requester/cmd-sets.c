/* cmd-sets.c — `vss sets DIR|--repo restic:REPO`: one catalog of the
 * sets in a directory or a restic repository. */
#include "vss-catalog.h"
#include "vss-options.h"
#include "vss-restic.h"

/* The directory name of the set whose id is @id, or the id. */
static const char *
name_of (GPtrArray *sets, const char *id)
{
  for (guint i = 0; id != NULL && i < sets->len; i++) {
    VssCatalogSet *c = sets->pdata[i];
    if (g_strcmp0 (c->set_id, id) == 0)
      return c->short_name;
  }
  return id;
}

static void
show (VssCli *cli, GPtrArray *sets, VssCatalogSet *c)
{
  g_autofree char *when = vss_catalog_format_time (c->time_usec);
  const char *base = name_of (sets, c->base_id);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "name", json_object_new_string (c->short_name));
  json_object_object_add (obj, "location", json_object_new_string (c->location));
  if (c->set_id != NULL)
    json_object_object_add (obj, "set_id", json_object_new_string (c->set_id));
  json_object_object_add (obj, "time", json_object_new_string (when));
  json_object_object_add (obj, "backup_type", json_object_new_string (c->type ? c->type : "?"));
  if (c->host != NULL)
    json_object_object_add (obj, "host", json_object_new_string (c->host));
  if (c->base_id != NULL)
    json_object_object_add (obj, "base", json_object_new_string (base));
  json_object *comps = json_object_new_array ();
  for (guint i = 0; i < c->components->len; i++)
    json_object_array_add (comps, json_object_new_string (c->components->pdata[i]));
  json_object_object_add (obj, "components", comps);
  json_object_object_add (obj, "incomplete", json_object_new_boolean (c->incomplete));
  vss_cli_emit (cli, "set", obj);
  g_autoptr(GString) names = g_string_new (c->components->len > 0 ? NULL : "-");
  for (guint i = 0; i < c->components->len; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", (char *) c->components->pdata[i]);
  vss_cli_print (cli, "%-20s %s  %-12s %-10s %s%s%s%s\n", c->short_name, when, c->type ? c->type : "?",
                 c->host ? c->host : "-", names->str, base ? "  (base " : "", base ? base : "",
                 base ? ")" : "");
  if (c->incomplete)
    vss_cli_print (cli, "%-20s   incomplete: restic could not read some files\n", "");
}

int
vss_cmd_sets (VssCli *cli, int argc, char **argv)
{
  g_autofree char *repo = NULL;
  const GOptionEntry entries[] = {
    { "repo", 'r', 0, G_OPTION_ARG_STRING, &repo, "List the vss snapshots of a restic repository", "restic:REPO" },
    { NULL },
  };
  int done = vss_cli_parse (cli, "sets", "DIR | --repo restic:REPO",
                            "List the backup sets in DIR, or the vss snapshots in a restic "
                            "repository, oldest first:\ntime, type, host, components and the set "
                            "each builds on.", entries, &argc, &argv);
  if (done >= 0)
    return done;
  if ((repo != NULL) == (argc == 2) || argc > 2)
    return vss_cli_usage (cli, "sets", "give one directory of backup sets or --repo restic:REPO");
  if (repo != NULL && !vss_restic_is_repo (repo))
    return vss_cli_usage (cli, "sets", "--repo takes restic:REPO (a restic repository)");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sets = vss_catalog_list (repo != NULL ? repo : argv[1], TRUE, &error);
  if (sets == NULL)
    return vss_cli_fail (cli, error);
  for (guint i = 0; i < sets->len; i++)
    show (cli, sets, sets->pdata[i]);
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "sets", json_object_new_int ((int) sets->len));
  vss_cli_emit (cli, "summary", obj);
  return VSS_EXIT_OK;
}
