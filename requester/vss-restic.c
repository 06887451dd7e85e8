/* vss-restic.c — restic's command line and JSON (vss-restic.h). */
#include "vss-restic.h"

#include <vss/vss-error.h>

#include <string.h>

gboolean
vss_restic_is_repo (const char *arg)
{
  return arg != NULL && g_str_has_prefix (arg, VSS_RESTIC_PREFIX);
}

static gboolean
is_snapshot_word (const char *word)
{
  if (g_str_equal (word, "latest"))
    return TRUE;
  gsize n = strlen (word);
  if (n < 8 || n > 64)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isxdigit (word[i]))
      return FALSE;
  return TRUE;
}

void
vss_restic_parse (const char *arg, char **repo, char **snapshot)
{
  const char *rest = arg + strlen (VSS_RESTIC_PREFIX);
  const char *colon = strrchr (rest, ':');
  if (colon != NULL && is_snapshot_word (colon + 1)) {
    *repo = g_strndup (rest, (gsize) (colon - rest));
    *snapshot = g_strdup (colon + 1);
  } else {
    *repo = g_strdup (rest);
    *snapshot = NULL;
  }
}

GPtrArray *
vss_restic_argv (const char *repo)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  const char *restic = g_getenv ("VSS_RESTIC");
  g_ptr_array_add (argv, g_strdup (restic != NULL && *restic ? restic : "restic"));
  g_ptr_array_add (argv, g_strdup ("-r"));
  g_ptr_array_add (argv, g_strdup (repo));
  return argv;
}

gboolean
vss_restic_run (const char *const *argv, char **out, GError **error)
{
  g_autofree char *err = NULL, *ignored = NULL;
  int status = 0;
  /* its chatter would end up in our NDJSON: captured, even when unwanted */
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     out != NULL ? out : &ignored, &err, &status, error))
    return FALSE;
  if (g_spawn_check_wait_status (status, NULL))
    return TRUE;
  g_strstrip (err);
  g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "restic %s failed: %s", argv[3],
               *err ? err : "no message");
  if (out != NULL)
    g_clear_pointer (out, g_free);
  return FALSE;
}

gint64
vss_restic_get_int (json_object *obj, const char *member)
{
  json_object *value = NULL;
  return json_object_object_get_ex (obj, member, &value) ? json_object_get_int64 (value) : 0;
}

const char *
vss_restic_tag_value (json_object *snapshot, const char *prefix)
{
  json_object *tags = json_object_object_get (snapshot, "tags");
  gsize n = strlen (prefix);
  for (size_t i = 0; tags != NULL && i < json_object_array_length (tags); i++) {
    const char *tag = json_object_get_string (json_object_array_get_idx (tags, i));
    if (tag != NULL && strncmp (tag, prefix, n) == 0 && tag[n] == '=')
      return tag + n + 1;
  }
  return NULL;
}

json_object *
vss_restic_list_snapshots (const char *repo, GError **error)
{
  g_autoptr(GPtrArray) argv = vss_restic_argv (repo);
  const char *words[] = { "snapshots", "--json", "--tag", VSS_RESTIC_TAG };
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_ptr_array_add (argv, g_strdup (words[i]));
  g_ptr_array_add (argv, NULL);
  g_autofree char *out = NULL;
  if (!vss_restic_run ((const char *const *) argv->pdata, &out, error))
    return NULL;
  json_object *list = json_tokener_parse (out);
  if (list == NULL || !json_object_is_type (list, json_type_array)) {
    json_object_put (list);
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                 "restic snapshots --json printed no JSON list for %s", repo);
    return NULL;
  }
  return list;
}
