/* vss-paths.c — config, state and runtime directories (see vss-paths.h). */
#include "vss-paths.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <vss/vss-backup-components.h>
#include <vss/vss-error.h>

static GMutex cache_lock;
static char *cache[3];

enum { CONFIG, STATE, RUNTIME };

static char *
compute (int which)
{
  static const char *const overrides[] = { "VSS_CONFIG_DIR", "VSS_STATE_DIR", "VSS_RUNTIME_DIR" };
  static const char *const system_dirs[] = { "/etc/vss", "/var/lib/vss", "/run/vss" };
  const char *override = g_getenv (overrides[which]);
  if (override != NULL && *override != '\0')
    return g_strdup (override);
  if (geteuid () == 0)
    return g_strdup (system_dirs[which]);
  switch (which) {
  case CONFIG:
    return g_build_filename (g_get_user_config_dir (), "vss", NULL);
  case STATE:
    return g_build_filename (g_get_user_state_dir (), "vss", NULL);
  default: {
    const char *runtime = g_getenv ("XDG_RUNTIME_DIR");
    if (runtime != NULL && *runtime != '\0')
      return g_build_filename (runtime, "vss", NULL);
    return g_build_filename (g_get_user_state_dir (), "vss", "run", NULL);
  }
  }
}

static const char *
cached (int which)
{
  g_mutex_lock (&cache_lock);
  if (cache[which] == NULL)
    cache[which] = compute (which);
  const char *dir = cache[which];
  g_mutex_unlock (&cache_lock);
  return dir;
}

const char *
vss_paths_config_dir (void)
{
  return cached (CONFIG);
}

const char *
vss_paths_state_dir (void)
{
  return cached (STATE);
}

const char *
vss_paths_runtime_dir (void)
{
  return cached (RUNTIME);
}

gboolean
vss_paths_ensure_dir (const char *dir, GError **error)
{
  int mode = geteuid () == 0 ? 0755 : 0700;
  if (g_mkdir_with_parents (dir, mode) != 0) {
    int saved = errno;
    /* the privilege first: a non-root run is the usual cause */
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "%scannot create directory %s: %s; run vss as root, or set VSS_STATE_DIR and "
                 "VSS_RUNTIME_DIR to writable places",
                 geteuid () != 0 ? "not running as root: " : "", dir, g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}

void
vss_paths_reset_cache (void)
{
  g_mutex_lock (&cache_lock);
  for (gsize i = 0; i < G_N_ELEMENTS (cache); i++)
    g_clear_pointer (&cache[i], g_free);
  g_mutex_unlock (&cache_lock);
}

const char *
vss_get_config_dir (void)
{
  return vss_paths_config_dir ();
}
