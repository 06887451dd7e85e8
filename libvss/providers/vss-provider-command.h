/* vss-provider-command.h — running a provider's external command (the
 * fsfreeze provider's snapshot tool) under a deadline.
 *
 * The command runs in its own process group with stdin from /dev/null,
 * its working directory at "/", and stdout and stderr read into memory:
 * while a filesystem is frozen nothing of ours may write to a file (a
 * redirected stderr could be on that filesystem).  It is over when the
 * command exits — not when its pipes close: something it started in the
 * background may hold them — or when the deadline passes, and then its
 * whole process group is killed. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct {
  int wait_status;    /* as from waitpid, valid when !timed_out */
  gboolean timed_out; /* killed at the deadline */
  char *out;          /* stdout (at most 64 KiB) */
  char *err_tail;     /* the last lines of stderr, " | "-joined */
} VssCommandResult;

void vss_command_result_clear (VssCommandResult *self);

/* Called with the command's process group as soon as it runs (the fsfreeze
 * provider hands it to its thaw watchdog). */
typedef void (*VssCommandStarted) (pid_t pgid, gpointer data);

/* Runs @argv with @envp (NULL: ours) until it exits or @deadline_usec
 * (monotonic) passes.  FALSE only when it could not be started. */
gboolean vss_command_run (const char *const *argv, const char *const *envp, gint64 deadline_usec,
                          VssCommandStarted started, gpointer started_data,
                          VssCommandResult *result, GError **error);

/* "exited with status 3", "was killed by signal 9" … of @result. */
char *vss_command_describe_status (const VssCommandResult *result);

G_END_DECLS
