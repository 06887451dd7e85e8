/* vss-process.c — process identity by pid and start time. */
#include "vss-process.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

/* The fields after the command name (field 2, which may hold spaces and
 * parentheses: they start after its last ')'), or NULL. */
static char **
stat_fields (gint64 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/stat", pid);
  g_autofree char *stat = NULL;
  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return NULL;
  const char *p = strrchr (stat, ')');
  if (p == NULL || p[1] == '\0')
    return NULL;
  return g_strsplit (p + 2, " ", 21);
}

guint64
vss_process_start_time (gint64 pid)
{
  g_auto(GStrv) fields = stat_fields (pid);
  /* field 22 is the 20th after the command name */
  return fields != NULL && g_strv_length (fields) >= 20 ? g_ascii_strtoull (fields[19], NULL, 10) : 0;
}

gboolean
vss_process_is_alive (gint64 pid, guint64 start_time)
{
  if (pid <= 0 || (kill ((pid_t) pid, 0) != 0 && errno != EPERM))
    return FALSE;
  g_auto(GStrv) fields = stat_fields (pid);
  if (fields == NULL)
    return TRUE;                              /* no /proc: the signal's answer */
  if (g_str_equal (fields[0], "Z"))
    return FALSE;                             /* dead, not reaped */
  return start_time == 0 || (g_strv_length (fields) >= 20 &&
                             g_ascii_strtoull (fields[19], NULL, 10) == start_time);
}
