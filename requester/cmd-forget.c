/* cmd-forget.c — `vss forget`: retention for native sets and restic
 * repositories.  Native sets are kept by the policy and then by their
 * chains: a kept set keeps every set it builds on, so no kept set loses
 * its base; an incremental whose base goes is not kept by anything and
 * goes with it.  For restic the policy becomes `restic forget --tag vss
 * --group-by host` (restic snapshots are whole: no chains). */
#include "vss-catalog.h"
#include "vss-options.h"
#include "vss-restic.h"

#include <errno.h>
#include <ftw.h>
#include <glib/gstdio.h>

typedef struct {
  int last, daily, weekly, monthly;
  gboolean prune, dry_run;
  char *repo;
} Policy;

/* ---- native ---- */

/* Keeps the newest set of each of the @count newest periods (@format
 * names a set's period). */
static void
keep_periods (GPtrArray *sets, GHashTable *kept, int count, const char *format, const char *why)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = sets->len; i-- > 0 && (int) g_hash_table_size (seen) < count;) {
    VssCatalogSet *c = sets->pdata[i];
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (c->time_usec / G_USEC_PER_SEC);
    char *period = g_date_time_format (t, format);
    if (g_hash_table_contains (seen, period)) {
      g_free (period);
      continue;
    }
    g_hash_table_add (seen, period);
    if (!g_hash_table_contains (kept, c))
      g_hash_table_insert (kept, c, (gpointer) why);
  }
}

static VssCatalogSet *
find_by_id (GPtrArray *sets, const char *id)
{
  for (guint i = 0; id != NULL && i < sets->len; i++)
    if (g_strcmp0 (((VssCatalogSet *) sets->pdata[i])->set_id, id) == 0)
      return sets->pdata[i];
  return NULL;
}

/* Every set a kept set builds on is kept (bounded by the number of sets:
 * a chain cannot be longer). */
static void
keep_bases (GPtrArray *sets, GHashTable *kept)
{
  for (guint i = 0; i < sets->len; i++) {
    VssCatalogSet *c = sets->pdata[i];
    if (!g_hash_table_contains (kept, c))
      continue;
    VssCatalogSet *base = find_by_id (sets, c->base_id);
    for (guint hops = 0; base != NULL && hops < sets->len; hops++) {
      if (!g_hash_table_contains (kept, base))
        g_hash_table_insert (kept, base, (gpointer) "base of a kept set");
      base = find_by_id (sets, base->base_id);
    }
  }
}

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st; (void) ftw;
  return flag == FTW_DP ? g_rmdir (path) : g_unlink (path);
}

/* Renamed to DIR.partial first: a crash half-way leaves what every
 * reader already takes for an unfinished set, never a damaged one. */
static gboolean
remove_set (const char *dir, GError **error)
{
  g_autofree char *doomed = g_strconcat (dir, ".partial", NULL);
  if (g_rename (dir, doomed) != 0 || nftw (doomed, remove_entry, 32, FTW_DEPTH | FTW_PHYS) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED, "cannot remove %s: %s", dir,
                 g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static void
emit (VssCli *cli, const VssCatalogSet *c, const char *action, const char *why, gboolean dry_run)
{
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "name", json_object_new_string (c->short_name));
  json_object_object_add (obj, "location", json_object_new_string (c->location));
  json_object_object_add (obj, "action", json_object_new_string (action));
  if (why != NULL)
    json_object_object_add (obj, "reason", json_object_new_string (why));
  json_object_object_add (obj, "dry_run", json_object_new_boolean (dry_run));
  vss_cli_emit (cli, "forget", obj);
  vss_cli_print (cli, "%s%-6s %s%s%s%s\n", dry_run ? "would " : "", action, c->short_name,
                 why ? " (" : "", why ? why : "", why ? ")" : "");
}

static int
forget_native (VssCli *cli, const char *dir, Policy *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sets = vss_catalog_list (dir, FALSE, &error);
  if (sets == NULL)
    return vss_cli_fail (cli, error);
  g_autoptr(GHashTable) kept = g_hash_table_new (NULL, NULL);
  for (guint i = sets->len; i-- > 0 && (int) (sets->len - 1 - i) < p->last;)
    g_hash_table_insert (kept, sets->pdata[i], (gpointer) "last");
  keep_periods (sets, kept, p->daily, "%Y-%m-%d", "daily");
  keep_periods (sets, kept, p->weekly, "%G-%V", "weekly");
  keep_periods (sets, kept, p->monthly, "%Y-%m", "monthly");
  keep_bases (sets, kept);
  guint removed = 0, failed = 0;
  for (guint i = 0; i < sets->len; i++) {
    VssCatalogSet *c = sets->pdata[i];
    const char *why = g_hash_table_lookup (kept, c);
    emit (cli, c, why != NULL ? "keep" : "remove", why, p->dry_run);
    g_autoptr(GError) failure = NULL;
    if (why == NULL && !p->dry_run && !remove_set (c->location, &failure)) {
      vss_cli_fail (cli, failure);
      failed++;
    }
    removed += why == NULL;
  }
  json_object *obj = json_object_new_object ();
  json_object_object_add (obj, "kept", json_object_new_int ((int) (sets->len - removed)));
  json_object_object_add (obj, "removed", json_object_new_int ((int) (removed - failed)));
  json_object_object_add (obj, "dry_run", json_object_new_boolean (p->dry_run));
  vss_cli_emit (cli, "summary", obj);
  return failed > 0 ? VSS_EXIT_FAILED : VSS_EXIT_OK;
}

/* ---- restic ---- */

static void
add_keep (GPtrArray *argv, const char *option, int count)
{
  if (count > 0) {
    g_ptr_array_add (argv, g_strdup (option));
    g_ptr_array_add (argv, g_strdup_printf ("%d", count));
  }
}

static void
emit_restic_groups (VssCli *cli, json_object *groups, gboolean dry_run)
{
  const char *actions[] = { "keep", "remove" };
  for (size_t g = 0; groups != NULL && g < json_object_array_length (groups); g++)
    for (guint a = 0; a < G_N_ELEMENTS (actions); a++) {
      json_object *list = json_object_object_get (json_object_array_get_idx (groups, g), actions[a]);
      for (size_t i = 0; list != NULL && i < json_object_array_length (list); i++) {
        json_object *snap = json_object_array_get_idx (list, i);
        VssCatalogSet c = {
          .short_name = (char *) json_object_get_string (json_object_object_get (snap, "short_id")),
          .location = (char *) json_object_get_string (json_object_object_get (snap, "id")),
        };
        emit (cli, &c, actions[a], NULL, dry_run);
      }
    }
}

static int
forget_restic (VssCli *cli, Policy *p)
{
  g_autofree char *repo = NULL, *snapshot = NULL;
  vss_restic_parse (p->repo, &repo, &snapshot);
  g_autoptr(GPtrArray) argv = vss_restic_argv (repo);
  const char *words[] = { "forget", "--json", "--tag", VSS_RESTIC_TAG, "--group-by", "host" };
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_ptr_array_add (argv, g_strdup (words[i]));
  add_keep (argv, "--keep-last", p->last);
  add_keep (argv, "--keep-daily", p->daily);
  add_keep (argv, "--keep-weekly", p->weekly);
  add_keep (argv, "--keep-monthly", p->monthly);
  if (p->dry_run)
    g_ptr_array_add (argv, g_strdup ("--dry-run"));
  g_ptr_array_add (argv, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  if (!vss_restic_run ((const char *const *) argv->pdata, &out, &error))
    return vss_cli_fail (cli, error);
  json_object *groups = json_tokener_parse (out);
  emit_restic_groups (cli, groups, p->dry_run);
  json_object_put (groups);
  if (p->prune && !p->dry_run) {
    g_autoptr(GPtrArray) prune = vss_restic_argv (repo);
    g_ptr_array_add (prune, g_strdup ("prune"));
    g_ptr_array_add (prune, NULL);
    if (!vss_restic_run ((const char *const *) prune->pdata, NULL, &error))
      return vss_cli_fail (cli, error);
    vss_cli_print (cli, "pruned: the data only forgotten snapshots used are gone\n");
  }
  return VSS_EXIT_OK;
}

int
vss_cmd_forget (VssCli *cli, int argc, char **argv)
{
  Policy p = { 0 };
  const GOptionEntry entries[] = {
    { "keep-last", 'l', 0, G_OPTION_ARG_INT, &p.last, "Keep the N newest sets", "N" },
    { "keep-daily", 'd', 0, G_OPTION_ARG_INT, &p.daily, "Keep the newest set of each of the N newest days with one", "N" },
    { "keep-weekly", 'w', 0, G_OPTION_ARG_INT, &p.weekly, "The same for weeks", "N" },
    { "keep-monthly", 'm', 0, G_OPTION_ARG_INT, &p.monthly, "The same for months", "N" },
    { "prune", 0, 0, G_OPTION_ARG_NONE, &p.prune, "restic: also remove the data no snapshot uses (restic prune)", NULL },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &p.dry_run, "Say what would be kept and removed; remove nothing", NULL },
    { "repo", 'r', 0, G_OPTION_ARG_STRING, &p.repo, "Forget vss snapshots of a restic repository", "restic:REPO" },
    { NULL },
  };
  int done = vss_cli_parse (cli, "forget", "DIR | --repo restic:REPO",
                            "Remove the backup sets in DIR (or vss snapshots in a restic "
                            "repository) that no --keep rule keeps.\nA kept set keeps the sets "
                            "it builds on: no incremental is left without its base.", entries,
                            &argc, &argv);
  if (done < 0 && ((p.repo != NULL) == (argc == 2) || argc > 2))
    done = vss_cli_usage (cli, "forget", "give one directory of backup sets or --repo restic:REPO");
  if (done < 0 && p.repo != NULL && !vss_restic_is_repo (p.repo))
    done = vss_cli_usage (cli, "forget", "--repo takes restic:REPO (a restic repository)");
  if (done < 0 && (p.last < 0 || p.daily < 0 || p.weekly < 0 || p.monthly < 0))
    done = vss_cli_usage (cli, "forget", "a --keep count cannot be negative");
  if (done < 0 && p.last + p.daily + p.weekly + p.monthly == 0)
    done = vss_cli_usage (cli, "forget", "give at least one --keep-… rule (nothing would be kept)");
  if (done < 0)
    done = p.repo != NULL ? forget_restic (cli, &p) : forget_native (cli, argv[1], &p);
  g_free (p.repo);
  return done;
}
