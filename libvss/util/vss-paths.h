/* vss-paths.h — where libvss keeps things on a machine.
 *
 *            root           other users                 override
 * config     /etc/vss       $XDG_CONFIG_HOME/vss        VSS_CONFIG_DIR
 * state      /var/lib/vss   $XDG_STATE_HOME/vss         VSS_STATE_DIR
 *                           (~/.local/state/vss)
 * runtime    /run/vss       $XDG_RUNTIME_DIR/vss        VSS_RUNTIME_DIR
 *                           (else the state dir)
 * Strings are cached per process after the first call; the *_ensure
 * forms create the directory (0700 when not root, 0755 as root). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *vss_paths_config_dir (void);
const char *vss_paths_state_dir (void);
const char *vss_paths_runtime_dir (void);
gboolean    vss_paths_ensure_dir (const char *dir, GError **error);

/* For tests: forget the cached values so a changed environment counts. */
void vss_paths_reset_cache (void);

G_END_DECLS
