/* vss-ds-interlock.c — the directory restore interlock: a file in each
 * restore target that keeps the server (ExecStartPre=vss restore-gate),
 * a second restore and an online backup away from a half-restored store.
 * It names its owner, a token only the restore that placed it knows:
 * only that restore lifts it.  One whose process is gone (an interrupted
 * restore) may be taken over by the next restore of the target. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <vss/vss.h>

#include "util/vss-process.h"

static char *
interlock_path (const char *dir)
{
  return g_build_filename (dir, VSS_DS_RESTORE_INTERLOCK_NAME, NULL);
}

static GKeyFile *
load (const char *path)
{
  GKeyFile *file = g_key_file_new ();
  g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL);
  return file;
}

/* The contents written to @temp, then linked into place: the interlock
 * appears whole, and only where none was. */
static gboolean
write_temp (const char *temp, const char *owner, const char *by, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format_iso8601 (now);
  g_autofree char *text = g_strdup_printf ("[restore]\nregistered=%s\npid=%d\nby=%s\nowner=%s\n",
                                           when, (int) getpid (), by, owner);
  return g_file_set_contents (temp, text, -1, error);
}

/* An interlock is at @path: may it be taken over (its process is gone)? */
static gboolean
check_takeover (const char *path, GError **error)
{
  g_autoptr(GKeyFile) held = load (path);
  int pid = g_key_file_get_integer (held, "restore", "pid", NULL);
  /* a zombie is gone too: a killed requester's helper is reparented to a
   * pid 1 that may never reap it (a container's) */
  if (!vss_process_is_alive (pid, 0))
    return TRUE;
  g_autofree char *when = g_key_file_get_string (held, "restore", "registered", NULL);
  g_autofree char *by = g_key_file_get_string (held, "restore", "by", NULL);
  g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
               "%s: a restore (%s, pid %d, registered at %s) is in progress there: let it "
               "complete first", path, by != NULL ? by : "?", pid, when != NULL ? when : "?");
  return FALSE;
}

gboolean
vss_ds_restore_interlock_place (const char *dir, const char *owner, const char *by,
                                GError **error)
{
  g_return_val_if_fail (dir != NULL && owner != NULL && by != NULL, FALSE);
  g_autofree char *path = interlock_path (dir);
  g_autofree char *temp = g_strdup_printf ("%s.%d.tmp", path, (int) getpid ());
  if (!write_temp (temp, owner, by, error))
    return FALSE;
  gboolean ok = link (temp, path) == 0;
  int saved = ok ? 0 : errno;
  if (saved == EEXIST) {
    if (check_takeover (path, error))
      ok = rename (temp, path) == 0;        /* the interrupted restore's is replaced */
    saved = ok ? 0 : errno;
  }
  if (!ok && error != NULL && *error == NULL)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                 "cannot place the restore interlock %s: %s", path, g_strerror (saved));
  g_remove (temp);
  return ok;
}

gboolean
vss_ds_restore_interlock_lift (const char *dir, const char *owner, GError **error)
{
  g_return_val_if_fail (dir != NULL && owner != NULL, FALSE);
  g_autofree char *path = interlock_path (dir);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autoptr(GKeyFile) held = load (path);
  g_autofree char *holder = g_key_file_get_string (held, "restore", "owner", NULL);
  if (g_strcmp0 (holder, owner) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "%s belongs to another restore: only the restore that placed it lifts it",
                 path);
    return FALSE;
  }
  if (g_remove (path) != 0 && errno != ENOENT) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot remove %s: %s",
                 path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

gboolean
vss_ds_restore_gate_check (const char *dir, GError **error)
{
  g_return_val_if_fail (dir != NULL, FALSE);
  g_autofree char *path = interlock_path (dir);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autoptr(GKeyFile) file = load (path);
  g_autofree char *when = g_key_file_get_string (file, "restore", "registered", NULL);
  g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
               "%s: a directory restore registered at %s has not completed: finish it "
               "(vss_ds_restore_register_complete with success) or restore a good database; "
               "only then remove %s", dir, when != NULL ? when : "an unknown time", path);
  return FALSE;
}
