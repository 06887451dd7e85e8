/* vss-snapshot-view.c — a command in private mount and PID namespaces
 * with the snapshot bind-mounted over the original paths (see the
 * header for the process layout and why it dies with vss). */
#include "vss-snapshot-view.h"

#include <vss/vss-error.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  char path[32];
} FdPath;

struct _VssSnapshotView {
  GPtrArray *sources;   /* char*, parallel to targets */
  GPtrArray *targets;
  char *metadata_dir;
  FdPath *fd_paths;     /* the keeper's "/proc/self/fd/N" of each source (and the metadata) */
  char uid_map[64];     /* not root: "UID UID 1", the identity map of a user namespace */
  char gid_map[64];
  pid_t keeper;         /* 0: not running */
};

/* The running command's keeper, for the signal handler: one at a time. */
static volatile pid_t running_keeper;

static const int handled_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
/* vss's own dispositions, put back once the command has ended */
static struct sigaction saved_actions[G_N_ELEMENTS (handled_signals)];

/* What failed in the child before exec, sent up a CLOEXEC pipe. */
typedef struct {
  int err;
  char what[120];
} ChildFailure;

VssSnapshotView *
vss_snapshot_view_new (void)
{
  VssSnapshotView *self = g_new0 (VssSnapshotView, 1);
  self->sources = g_ptr_array_new_with_free_func (g_free);
  self->targets = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
vss_snapshot_view_free (VssSnapshotView *self)
{
  if (self == NULL)
    return;
  vss_snapshot_view_kill (self);
  vss_snapshot_view_wait (self);
  g_ptr_array_unref (self->sources);
  g_ptr_array_unref (self->targets);
  g_free (self->metadata_dir);
  g_free (self->fd_paths);
  g_free (self);
}

void
vss_snapshot_view_add (VssSnapshotView *self, const char *snapshot, const char *original)
{
  g_ptr_array_add (self->sources, g_strdup (snapshot));
  g_ptr_array_add (self->targets, g_strdup (original));
}

void
vss_snapshot_view_set_metadata_dir (VssSnapshotView *self, const char *dir)
{
  g_free (self->metadata_dir);
  self->metadata_dir = g_strdup (dir);
}

/* ---- in the child: async-signal-safe calls only ---- */

static G_GNUC_NORETURN void
child_fail (int pipe_fd, const char *what, const char *path)
{
  ChildFailure f = { .err = errno };
  g_strlcpy (f.what, what, sizeof f.what);
  if (path != NULL) {
    g_strlcat (f.what, " ", sizeof f.what);
    g_strlcat (f.what, path, sizeof f.what);
  }
  if (write (pipe_fd, &f, sizeof f) < 0) {
    /* nothing more can be said */
  }
  _exit (127);
}

static void
bind_read_only (int pipe_fd, const char *source, const char *target)
{
  if (mount (source, target, NULL, MS_BIND | MS_REC, NULL) != 0)
    child_fail (pipe_fd, "bind-mount over", target);
  if (mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0)
    child_fail (pipe_fd, "make read-only", target);
}

/* "/proc/self/fd/N" into @out, without stdio (after fork). */
static void
fd_path (int fd, FdPath *fd_path)
{
  char *out = fd_path->path;
  char digits[12];
  int n = 0;
  do
    digits[n++] = (char) ('0' + fd % 10);
  while ((fd /= 10) > 0 && n < 11);
  gsize len = g_strlcpy (out, "/proc/self/fd/", sizeof fd_path->path);
  while (n > 0)
    out[len++] = digits[--n];
  out[len] = '\0';
}

/* Every source opened (O_PATH) in the new namespace before any mount: a
 * snapshot stored under another tree's original path is still found once
 * that path is covered. */
static void
open_sources (VssSnapshotView *self, int pipe_fd)
{
  guint n = self->sources->len;
  for (guint i = 0; i <= n; i++) {
    const char *path = i < n ? self->sources->pdata[i] : self->metadata_dir;
    if (path == NULL)
      continue;
    int fd = open (path, O_PATH | O_CLOEXEC);
    if (fd < 0)
      child_fail (pipe_fd, "open the snapshot", path);
    fd_path (fd, &self->fd_paths[i]);
  }
}

static void
make_mounts (VssSnapshotView *self, int pipe_fd)
{
  /* private first: no mount made here may propagate to the host */
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    child_fail (pipe_fd, "make / private", NULL);
  open_sources (self, pipe_fd);
  for (guint i = 0; i < self->sources->len; i++)
    bind_read_only (pipe_fd, self->fd_paths[i].path, self->targets->pdata[i]);
  if (self->metadata_dir != NULL)
    bind_read_only (pipe_fd, self->fd_paths[self->sources->len].path, VSS_VIEW_SET_DIR);
}

static G_GNUC_NORETURN void
run_command (int pipe_fd, const char *const *argv, const char *const *envp, int stdout_fd)
{
  signal (SIGTERM, SIG_DFL);
  /* PID 1 of the namespace: its death kills everything the command started */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* a /proc of this PID namespace, so ps and /proc/self tell the truth */
  mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  if (stdout_fd >= 0 && dup2 (stdout_fd, STDOUT_FILENO) < 0)
    child_fail (pipe_fd, "redirect stdout", NULL);
  execvpe (argv[0], (char *const *) argv, (char *const *) envp);
  child_fail (pipe_fd, "run", argv[0]);
}

/* In the keeper: the command to end when vss says so (SIGTERM). */
static volatile pid_t keeper_command;
static volatile sig_atomic_t keeper_stopping;

static void
on_stop (int sig)
{
  (void) sig;
  keeper_stopping = 1;
  if (keeper_command > 0)
    kill (keeper_command, SIGKILL);   /* the namespace's init: all of it goes */
}

/* The keeper waits for the command and exits as it did.  The wait ends
 * only once the PID namespace is empty: its init is reaped last. */
static G_GNUC_NORETURN void
keep (pid_t command)
{
  keeper_command = command;
  if (keeper_stopping)
    kill (command, SIGKILL);
  int status;
  while (waitpid (command, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED (status)) {
    signal (WTERMSIG (status), SIG_DFL);
    kill (getpid (), WTERMSIG (status));
  }
  _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 127);
}

static void
write_map (int pipe_fd, const char *file, const char *map)
{
  int fd = open (file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, map, strlen (map)) < 0)
    child_fail (pipe_fd, "write", file);
  close (fd);
}

/* Root: mount and PID namespaces.  Anyone else: inside a user namespace
 * that maps only their own ids to themselves, so the command runs as
 * they are and restic records the true owners; the mounts are made
 * before the command's exec drops the namespace's capabilities. */
static void
enter_namespaces (VssSnapshotView *self, int pipe_fd)
{
  gboolean as_user = self->uid_map[0] != '\0';
  if (unshare (CLONE_NEWNS | CLONE_NEWPID | (as_user ? CLONE_NEWUSER : 0)) != 0)
    child_fail (pipe_fd, as_user ? "make the user, mount and PID namespaces"
                                 : "make the mount and PID namespaces", NULL);
  if (as_user) {
    write_map (pipe_fd, "/proc/self/setgroups", "deny");
    write_map (pipe_fd, "/proc/self/uid_map", self->uid_map);
    write_map (pipe_fd, "/proc/self/gid_map", self->gid_map);
  }
}

static G_GNUC_NORETURN void
start_keeper (VssSnapshotView *self, pid_t vss, int pipe_fd, const char *const *argv,
              const char *const *envp, int stdout_fd)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != vss)
    _exit (127);   /* vss died before the line above */
  for (guint i = 0; i < G_N_ELEMENTS (handled_signals); i++)
    signal (handled_signals[i], SIG_DFL);
  struct sigaction stop = { .sa_handler = on_stop };
  sigemptyset (&stop.sa_mask);
  sigaction (SIGTERM, &stop, NULL);
  enter_namespaces (self, pipe_fd);
  make_mounts (self, pipe_fd);
  pid_t command = fork ();
  if (command < 0)
    child_fail (pipe_fd, "fork", NULL);
  if (command == 0)
    run_command (pipe_fd, argv, envp, stdout_fd);
  close (pipe_fd);
  if (stdout_fd >= 0)
    close (stdout_fd);
  keep (command);
}

/* ---- in vss ---- */

/* The keeper ends the command and exits once all of it is gone, so vss's
 * wait returns only then; vss itself goes on (the command failed, the
 * writers hear so, the snapshots go). */
static void
on_fatal_signal (int sig)
{
  (void) sig;
  pid_t keeper = running_keeper;
  if (keeper > 0)
    kill (keeper, SIGTERM);
}

static void
kill_at_exit (void)
{
  pid_t keeper = running_keeper;
  if (keeper > 0) {
    kill (keeper, SIGTERM);
    waitpid (keeper, NULL, 0);
  }
}

/* While the command runs, a signal that would end vss ends the command
 * instead; vss then winds down (writers told, snapshots deleted). */
static void
install_handlers (void)
{
  static gboolean registered;
  if (!registered)
    atexit (kill_at_exit);
  registered = TRUE;
  struct sigaction sa = { .sa_handler = on_fatal_signal };
  sigemptyset (&sa.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (handled_signals); i++)
    sigaction (handled_signals[i], &sa, &saved_actions[i]);
}

static void
restore_handlers (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (handled_signals); i++)
    sigaction (handled_signals[i], &saved_actions[i], NULL);
}

static gboolean
read_child_failure (int pipe_fd, GError **error)
{
  ChildFailure f;
  ssize_t n;
  while ((n = read (pipe_fd, &f, sizeof f)) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) sizeof f)
    return TRUE;   /* EOF: the command was exec'd */
  f.what[sizeof f.what - 1] = '\0';
  g_set_error (error, VSS_ERROR, f.err == EPERM ? VSS_ERROR_ACCESS_DENIED : VSS_ERROR_UNEXPECTED,
               "cannot show the snapshot at its original paths: %s: %s%s", f.what, g_strerror (f.err),
               f.err == EPERM ? " (this needs root, or unprivileged user namespaces)" : "");
  return FALSE;
}

gboolean
vss_snapshot_view_spawn (VssSnapshotView *self, const char *const *argv, const char *const *envp,
                         int stdout_fd, GError **error)
{
  g_return_val_if_fail (self->keeper == 0, FALSE);
  /* the mount point must exist before the namespace copies the tree */
  if (self->metadata_dir != NULL && g_mkdir_with_parents (VSS_VIEW_SET_DIR, 0755) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "cannot create %s: %s", VSS_VIEW_SET_DIR,
                 g_strerror (errno));
    return FALSE;
  }
  int pipe_fds[2];
  g_free (self->fd_paths);
  self->fd_paths = g_new0 (FdPath, self->sources->len + 1);   /* filled in the keeper */
  self->uid_map[0] = self->gid_map[0] = '\0';
  if (geteuid () != 0) {
    g_snprintf (self->uid_map, sizeof self->uid_map, "%u %u 1\n", geteuid (), geteuid ());
    g_snprintf (self->gid_map, sizeof self->gid_map, "%u %u 1\n", getegid (), getegid ());
  }
  if (pipe2 (pipe_fds, O_CLOEXEC) != 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "pipe: %s", g_strerror (errno));
    return FALSE;
  }
  install_handlers ();
  pid_t vss = getpid ();
  pid_t keeper = fork ();
  if (keeper == 0) {
    close (pipe_fds[0]);
    start_keeper (self, vss, pipe_fds[1], argv, envp, stdout_fd);
  }
  close (pipe_fds[1]);
  if (keeper < 0) {
    restore_handlers ();
    close (pipe_fds[0]);
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED, "fork: %s", g_strerror (errno));
    return FALSE;
  }
  setpgid (keeper, keeper);   /* also here: no window where a kill misses it */
  self->keeper = running_keeper = keeper;
  gboolean started = read_child_failure (pipe_fds[0], error);
  close (pipe_fds[0]);
  if (!started)
    vss_snapshot_view_wait (self);
  return started;
}

int
vss_snapshot_view_wait (VssSnapshotView *self)
{
  if (self->keeper == 0)
    return -1;
  int status = -1;
  while (waitpid (self->keeper, &status, 0) < 0 && errno == EINTR)
    ;
  self->keeper = running_keeper = 0;
  restore_handlers ();
  return status;
}

void
vss_snapshot_view_kill (VssSnapshotView *self)
{
  if (self->keeper > 0)
    kill (self->keeper, SIGTERM);   /* then wait: the keeper ends all of it first */
}
