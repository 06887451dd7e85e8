/* dir-config.c — directory.conf, and the mdb databases of a slapd config. */
#include "dir-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vss/vss.h>

void
dir_config_free (DirConfig *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_ptr_array_unref (self->environments);
  g_free (self->slapd_config);
  g_free (self->service);
  g_free (self);
}

/* slapd.conf: `database mdb` opens a section whose `directory` line names
 * its environment; the next `database` line closes it. */
static void
parse_slapd_conf (const char *text, GPtrArray *out)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean in_mdb = FALSE;
  for (char **line = lines; *line != NULL; line++) {
    g_auto(GStrv) words = NULL;
    if (!g_shell_parse_argv (*line, NULL, &words, NULL) || words[0] == NULL || words[0][0] == '#')
      continue;
    if (g_ascii_strcasecmp (words[0], "database") == 0)
      in_mdb = words[1] != NULL && g_ascii_strcasecmp (words[1], "mdb") == 0;
    else if (in_mdb && g_ascii_strcasecmp (words[0], "directory") == 0 && words[1] != NULL)
      g_ptr_array_add (out, g_strdup (words[1]));
  }
}

/* slapd.d: cn=config/olcDatabase={N}mdb.ldif holds `olcDbDirectory: DIR`. */
static gboolean
parse_slapd_d (const char *dir, GPtrArray *out, GError **error)
{
  g_autofree char *config = g_build_filename (dir, "cn=config", NULL);
  g_autoptr(GDir) listing = g_dir_open (config, 0, error);
  if (listing == NULL)
    return FALSE;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (const char *name; (name = g_dir_read_name (listing)) != NULL;)
    if (g_str_has_prefix (name, "olcDatabase=") && g_str_has_suffix (name, "mdb.ldif"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);   /* {1}mdb before {2}mdb … */
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename (config, g_ptr_array_index (names, i), NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents (path, &text, NULL, error))
      return FALSE;
    g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
    for (char **line = lines; *line != NULL; line++)
      if (g_str_has_prefix (*line, "olcDbDirectory:"))
        g_ptr_array_add (out, g_strstrip (g_strdup (*line + strlen ("olcDbDirectory:"))));
  }
  return TRUE;
}

GPtrArray *
dir_config_slapd_directories (const char *slapd_config, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  if (g_file_test (slapd_config, G_FILE_TEST_IS_DIR)) {
    if (!parse_slapd_d (slapd_config, out, error))
      return NULL;
  } else {
    g_autofree char *text = NULL;
    if (!g_file_get_contents (slapd_config, &text, NULL, error))
      return NULL;
    parse_slapd_conf (text, out);
  }
  return g_steal_pointer (&out);
}

/* Canonical paths, once each: snapshot paths and restore targets compare
 * against them. */
static gboolean
add_environment (DirConfig *self, const char *dir, const char *from, GError **error)
{
  char *real = realpath (dir, NULL);
  if (real == NULL && errno == ENOENT && g_path_is_absolute (dir)) {
    /* a lost environment is still one to restore: its parent must exist */
    g_autofree char *parent = g_path_get_dirname (dir);
    g_autofree char *base = g_path_get_basename (dir);
    char *real_parent = realpath (parent, NULL);
    if (real_parent != NULL) {
      g_autofree char *joined = g_build_filename (real_parent, base, NULL);
      real = strdup (joined);
    }
    free (real_parent);
  }
  if (real == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s: environment %s (from %s): %s; fix the path or create the directory",
                 self->path, dir, from, g_strerror (errno));
    return FALSE;
  }
  for (guint i = 0; i < self->environments->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->environments, i), real) == 0) {
      free (real);
      return TRUE;
    }
  g_ptr_array_add (self->environments, g_strdup (real));
  free (real);
  return TRUE;
}

static gboolean
load_numbers (DirConfig *self, GKeyFile *file, GError **error)
{
  g_autoptr(GError) local = NULL;
  const struct { const char *key; double min, max; } keys[] = {
    { "tombstone_lifetime_days", 1e-6, 36500 },
    { "freeze_timeout_ms", 1, 3600000 },
    { "lock_timeout_ms", 1, 3600000 },
  };
  double *targets[3];
  double values[3] = { DIR_DEFAULT_TOMBSTONE_DAYS, 0, DIR_DEFAULT_LOCK_TIMEOUT_MS };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    targets[i] = &values[i];
    if (!g_key_file_has_key (file, "directory", keys[i].key, NULL))
      continue;
    double v = g_key_file_get_double (file, "directory", keys[i].key, &local);
    if (local != NULL || v < keys[i].min || v > keys[i].max) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                   "%s: [directory] %s must be a number from %g to %g", self->path,
                   keys[i].key, keys[i].min, keys[i].max);
      return FALSE;
    }
    *targets[i] = v;
  }
  self->tombstone_days = values[0];
  self->freeze_timeout_ms = (guint) values[1];
  self->lock_timeout_ms = (guint) values[2];
  return TRUE;
}

static gboolean
load_environments (DirConfig *self, GKeyFile *file, GError **error)
{
  g_auto(GStrv) envs = g_key_file_get_string_list (file, "directory", "environments", NULL, NULL);
  for (char **env = envs; env != NULL && *env != NULL; env++)
    if (*g_strstrip (*env) != '\0' && !add_environment (self, *env, "environments=", error))
      return FALSE;
  self->slapd_config = g_key_file_get_string (file, "directory", "slapd_config", NULL);
  if (self->slapd_config != NULL) {
    g_strstrip (self->slapd_config);
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) dirs = dir_config_slapd_directories (self->slapd_config, &local);
    if (dirs == NULL) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                   "%s: slapd_config=%s: %s", self->path, self->slapd_config, local->message);
      return FALSE;
    }
    for (guint i = 0; i < dirs->len; i++)
      if (!add_environment (self, g_ptr_array_index (dirs, i), self->slapd_config, error))
        return FALSE;
  }
  if (self->environments->len == 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s: no LMDB environment to protect: set [directory] environments= "
                 "or slapd_config=", self->path);
    return FALSE;
  }
  return TRUE;
}

DirConfig *
dir_config_load (const char *config_dir, GError **error)
{
  g_autoptr(DirConfig) self = g_new0 (DirConfig, 1);
  self->path = g_build_filename (config_dir, DIR_CONFIG_FILE, NULL);
  self->environments = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file (file, self->path, G_KEY_FILE_NONE, &local) &&
      g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NOT_CONFIGURED,
                 "%s does not exist; to protect LMDB environments write a [directory] group "
                 "with environments=DIR;… there (see the directory writer's README)", self->path);
    return NULL;
  }
  if (local != NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_NOT_FOUND,
                 "%s: %s; write a [directory] group with environments=DIR;… "
                 "(see the directory writer's README)", self->path, local->message);
    return NULL;
  }
  if (!load_environments (self, file, error) || !load_numbers (self, file, error))
    return NULL;
  self->service = g_key_file_get_string (file, "directory", "service", NULL);
  if (self->service == NULL)
    self->service = g_strdup ("slapd");
  return g_steal_pointer (&self);
}
