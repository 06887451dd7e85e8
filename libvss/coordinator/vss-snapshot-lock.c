/* vss-snapshot-lock.c — one snapshot set in creation per machine (see
 * vss-snapshot-lock.h).
 *
 * flock() rather than fcntl() locks: they belong to the open file
 * description, so a second acquire in the same process conflicts too (two
 * VssBackupComponents of one program must not overlap), and closing an
 * unrelated fd of the same file does not drop the lock. */
#include "vss-snapshot-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <vss/vss-error.h>
#include <vss/vss-snapshots.h>

#include "util/vss-paths.h"

struct _VssSnapshotLock {
  int fd;
};

/* The holder's info, as written by vss_snapshot_lock_acquire(). */
typedef struct {
  gint64 pid;
  char *program;
  char *set_id;
} Holder;

static char *
lock_path (void)
{
  return g_build_filename (vss_paths_runtime_dir (), "snapshot-set.lock", NULL);
}

static char *
program_name (void)
{
  g_autofree char *name = g_strdup (g_get_prgname ());
  if (name == NULL && g_file_get_contents ("/proc/self/comm", &name, NULL, NULL))
    g_strstrip (name);
  if (name == NULL || *name == '\0')
    return g_strdup ("unknown");
  /* One line per field: a newline in the name would forge the next field. */
  g_strdelimit (name, "\n\r", ' ');
  return g_steal_pointer (&name);
}

static void
replace_str (char **slot, const char *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

static void
read_holder (int fd, Holder *holder)
{
  char buf[1024];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
  buf[MAX (n, 0)] = '\0';
  g_auto(GStrv) lines = g_strsplit (buf, "\n", -1);
  for (char **line = lines; *line != NULL; line++) {
    if (g_str_has_prefix (*line, "pid="))
      holder->pid = g_ascii_strtoll (*line + 4, NULL, 10);
    else if (g_str_has_prefix (*line, "program="))
      replace_str (&holder->program, *line + 8);
    else if (g_str_has_prefix (*line, "snapshot_set_id="))
      replace_str (&holder->set_id, *line + 16);
  }
}

static void
holder_clear (Holder *holder)
{
  g_clear_pointer (&holder->program, g_free);
  g_clear_pointer (&holder->set_id, g_free);
}

static gboolean
write_info (int fd, const char *snapshot_set_id)
{
  g_autofree char *program = program_name ();
  g_autofree char *info = g_strdup_printf ("pid=%d\nprogram=%s\nsnapshot_set_id=%s\n",
                                           (int) getpid (), program, snapshot_set_id);
  gsize len = strlen (info);
  return ftruncate (fd, 0) == 0 && pwrite (fd, info, len, 0) == (ssize_t) len;
}

static void
set_in_progress_error (int fd, GError **error)
{
  Holder holder = { 0 };
  read_holder (fd, &holder);
  /* The holder may not have written its info yet (it locks first). */
  g_autofree char *pid = holder.pid > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, holder.pid)
                                        : g_strdup ("unknown");
  g_set_error (error, VSS_ERROR, VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS,
               "another snapshot set is being created (set %s by %s, pid %s); "
               "wait for it to finish and try again",
               holder.set_id != NULL ? holder.set_id : "unknown",
               holder.program != NULL ? holder.program : "unknown", pid);
  holder_clear (&holder);
}

VssSnapshotLock *
vss_snapshot_lock_acquire (const char *snapshot_set_id, GError **error)
{
  g_return_val_if_fail (snapshot_set_id != NULL, NULL);
  if (!vss_paths_ensure_dir (vss_paths_runtime_dir (), error))
    return NULL;
  g_autofree char *path = lock_path ();
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, saved == EACCES ? VSS_ERROR_ACCESS_DENIED : VSS_ERROR_UNEXPECTED,
                 "cannot open the snapshot set lock %s: %s", path, g_strerror (saved));
    return NULL;
  }
  int rc;
  do
    rc = flock (fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int saved = errno;
    if (saved == EWOULDBLOCK)
      set_in_progress_error (fd, error);
    else
      g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED,
                   "cannot lock %s: %s", path, g_strerror (saved));
    close (fd);
    return NULL;
  }
  /* The lock is what counts; the info is only for messages and status. */
  if (!write_info (fd, snapshot_set_id))
    g_warning ("cannot record the holder in %s: %s", path, g_strerror (errno));
  VssSnapshotLock *self = g_new0 (VssSnapshotLock, 1);
  self->fd = fd;
  return self;
}

void
vss_snapshot_lock_release (VssSnapshotLock *self)
{
  if (self == NULL)
    return;
  /* Empty the info while still holding the lock, so nobody reads a stale
   * holder between the unlock and the truncate. */
  if (ftruncate (self->fd, 0) != 0)
    g_debug ("cannot clear the snapshot set lock: %s", g_strerror (errno));
  flock (self->fd, LOCK_UN);
  close (self->fd);
  g_free (self);
}

gboolean
vss_snapshot_lock_query (gint64 *out_pid, char **out_program, char **out_set_id)
{
  g_autofree char *path = lock_path ();
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;   /* never created: nobody holds it */
  if (flock (fd, LOCK_SH | LOCK_NB) == 0) {
    close (fd);     /* closing drops our shared lock */
    return FALSE;
  }
  Holder holder = { 0 };
  read_holder (fd, &holder);
  close (fd);
  if (out_pid != NULL)
    *out_pid = holder.pid;
  if (out_program != NULL)
    *out_program = g_steal_pointer (&holder.program);
  if (out_set_id != NULL)
    *out_set_id = g_steal_pointer (&holder.set_id);
  holder_clear (&holder);
  return TRUE;
}

gboolean
vss_snapshots_get_set_in_progress (gint64 *out_pid, char **out_program, char **out_set_id)
{
  return vss_snapshot_lock_query (out_pid, out_program, out_set_id);
}
