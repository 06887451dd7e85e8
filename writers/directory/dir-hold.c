/* dir-hold.c — the freeze held by a process of its own (see dir-hold.h). */
#include "dir-hold.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vss/vss.h>

struct _DirHold {
  GPtrArray *envs;              /* DirEnv*, borrowed: their paths */
  GPid pid;                     /* vss-lmdb-hold, 0 when none runs */
  int to_hold, from_hold;       /* its stdin, its stdout */
  guint timeout_ms;             /* the freeze timeout it was started with */
  gboolean held;
};

/* $VSS_LMDB_HOLD, else the one built beside this module when this is a
 * build tree's module, else the installed one. */
static char *
hold_program (void)
{
  const char *env = g_getenv ("VSS_LMDB_HOLD");
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  g_autofree char *built = g_build_filename (DIR_HOLD_BUILD_DIR, "vss-lmdb-hold", NULL);
  if (g_file_test (built, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&built);
  return g_strdup (DIR_HOLD_PROGRAM);
}

static void
stop_process (DirHold *self)
{
  if (self->pid == 0)
    return;
  close (self->to_hold);        /* end of file: it lets go and exits */
  close (self->from_hold);
  int status;
  for (int i = 0; i < 500 && waitpid (self->pid, &status, WNOHANG) == 0; i++)
    g_usleep (2000);            /* bounded: 1 s */
  if (kill (self->pid, SIGKILL) == 0)
    waitpid (self->pid, &status, 0);
  g_spawn_close_pid (self->pid);
  self->pid = 0;
  self->held = FALSE;
}

gboolean
dir_hold_start (DirHold *self, guint timeout_ms, GError **error)
{
  if (self->pid != 0 && self->timeout_ms == timeout_ms)
    return TRUE;
  stop_process (self);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, hold_program ());
  g_ptr_array_add (argv, g_strdup_printf ("%u", timeout_ms));
  for (guint i = 0; i < self->envs->len; i++)
    g_ptr_array_add (argv, g_strdup (((DirEnv *) g_ptr_array_index (self->envs, i))->path));
  g_ptr_array_add (argv, NULL);
  g_autoptr(GError) local = NULL;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &self->pid, &self->to_hold, &self->from_hold, NULL,
                                 &local)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NONRETRYABLE,
                 "cannot start %s, which holds the freeze: %s; check the installation or set "
                 "VSS_LMDB_HOLD", (char *) g_ptr_array_index (argv, 0), local->message);
    self->pid = 0;
    return FALSE;
  }
  self->timeout_ms = timeout_ms;
  return TRUE;
}

/* The next answer byte within @wait_ms; 0 on end of file, -1 on time out. */
static int
read_answer (DirHold *self, int wait_ms)
{
  struct pollfd out = { self->from_hold, POLLIN, 0 };
  int ready;
  do
    ready = poll (&out, 1, wait_ms);
  while (ready < 0 && errno == EINTR);
  if (ready <= 0)
    return -1;
  char c = 0;
  ssize_t n;
  do
    n = read (self->from_hold, &c, 1);
  while (n < 0 && errno == EINTR);
  return n == 1 ? (unsigned char) c : 0;
}

static char *
read_line (DirHold *self)
{
  GString *line = g_string_new (NULL);
  int c;
  while (line->len < 1024 && (c = read_answer (self, 1000)) > 0 && c != '\n')
    g_string_append_c (line, (char) c);
  return g_string_free (line, FALSE);
}

static gboolean
send_command (DirHold *self, char cmd)
{
  ssize_t n;
  do
    n = write (self->to_hold, &cmd, 1);
  while (n < 0 && errno == EINTR);
  return n == 1;
}

DirHold *
dir_hold_new (GPtrArray *envs)
{
  DirHold *self = g_new0 (DirHold, 1);
  self->envs = envs;
  return self;
}

void
dir_hold_free (DirHold *self)
{
  if (self == NULL)
    return;
  stop_process (self);
  g_free (self);
}

static void
set_busy_error (DirHold *self, guint lock_timeout_ms, GError **error)
{
  DirEnv *env = g_ptr_array_index (self->envs, 0);
  g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_RETRYABLE,
               "LMDB write lock busy for %.1f s (%s%s): the directory server is in a long "
               "write; retry the backup", lock_timeout_ms / 1000.0, env->path,
               self->envs->len > 1 ? " and others" : "");
}

gboolean
dir_hold_freeze (DirHold *self, guint lock_timeout_ms, guint freeze_timeout_ms, GError **error)
{
  if (self->held) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE, "already frozen");
    return FALSE;
  }
  if (!dir_hold_start (self, freeze_timeout_ms, error))
    return FALSE;
  guint wait_ms = MIN (lock_timeout_ms, freeze_timeout_ms);
  int answer = send_command (self, 'F') ? read_answer (self, (int) wait_ms) : 0;
  if (answer == 'H') {
    self->held = TRUE;
    return TRUE;
  }
  if (answer == 'E') {
    g_autofree char *why = read_line (self);
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_RETRYABLE, "%s", why);
  } else if (answer == -1) {
    set_busy_error (self, wait_ms, error);
  } else {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_NONRETRYABLE,
                 "the process holding the freeze ended (it could not open the LMDB "
                 "environments: see the log)");
  }
  /* a process still waiting for a lock, or in an unknown state, goes */
  stop_process (self);
  return FALSE;
}

void
dir_hold_release (DirHold *self, gboolean *out_timed_out)
{
  gboolean timed_out = FALSE;
  if (self->held) {
    int answer = send_command (self, 'R') ? read_answer (self, 5000) : 0;
    timed_out = answer != 'D';
    if (answer != 'D' && answer != 'T')
      stop_process (self);      /* gone, or silent: it lets go when it ends */
    if (timed_out)
      g_warning ("directory: the freeze outlived its timeout: LMDB writer locks were released "
                 "before the thaw");
  }
  self->held = FALSE;
  if (out_timed_out != NULL)
    *out_timed_out = timed_out;
}

gboolean
dir_hold_is_held (DirHold *self)
{
  return self->held;
}
