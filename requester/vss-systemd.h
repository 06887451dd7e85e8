/* vss-systemd.h — socket activation and readiness for `vss daemon`
 * (systemd's protocol, spoken without libsystemd). */
#pragma once

#include <glib.h>

/* The first socket systemd passed to this process (fd 3), or -1 when it
 * passed none; *@out_count says how many it passed.  Unsets LISTEN_PID,
 * LISTEN_FDS and LISTEN_FDNAMES either way, so children never see them. */
int      vss_systemd_take_listen_fd (guint *out_count);
/* Sends @state ("READY=1\nSTATUS=…") to $NOTIFY_SOCKET; FALSE (and a
 * warning when it failed) if it was not sent, e.g. not run by systemd. */
gboolean vss_systemd_notify (const char *state);
