/* vss-provider-fsfreeze.c — the "fsfreeze" provider: a block-level
 * snapshot tool (LVM `lvcreate -s`, a dm snapshot, a cloud disk snapshot,
 * a copy of the device) run while the filesystem is frozen.
 *
 * The tool is a command the user configures ($VSS_FSFREEZE_COMMAND, or
 * `vss backup --snapshot-command`), run as
 *   CMD create   inside the window: FIFREEZE, CMD create, FITHAW.  It
 *                snapshots $VSS_DEVICE, exposes the snapshot read-only
 *                and prints that directory (the snapshot of the
 *                filesystem's root) as the last line of its stdout;
 *   CMD delete   when the snapshot ends, or a failed set is undone (also
 *                when create never ran or died half-way: nothing to
 *                delete is success).
 * The command line is kept in the set record, so a later process (a
 * clean-up after a crash, `vss shadows --delete`) deletes with the tool
 * that created.  A forked watchdog thaws the filesystem if we die or
 * overstay the hold limit (vss-thaw-watchdog.h); if the watchdog dies too
 * (systemd kills a unit's whole cgroup), the freeze recorded before it was
 * made is thawed by the next run's clean-up, which removes the snapshot
 * (fsfreeze_remove).  Never auto-selected: it
 * does nothing useful until configured.  ext4 and xfs only: btrfs
 * snapshots itself (and a btrfs or reflink snapshot would block on the
 * freeze: the coordinator refuses to mix them on one filesystem). */
#include "vss-provider-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/vss-fs.h"
#include "util/vss-paths.h"
#include "vss-provider-command.h"
#include "vss-thaw-watchdog.h"

#define COMMAND_ENV "VSS_FSFREEZE_COMMAND"
/* delete runs outside any window, but must not hang a backup for ever. */
#define DELETE_LIMIT_USEC (120 * G_USEC_PER_SEC)
#define CAP_SYS_ADMIN_BIT 21

static const char *const freezable_filesystems[] = { "ext4", "xfs", NULL };

static gboolean
fsfreeze_supports (const char *path, GError **error)
{
  g_autofree char *fs = vss_fs_type_name (path);
  if (!g_strv_contains (freezable_filesystems, fs)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
                 "fsfreeze: %s is on %s; fsfreeze works on ext4 and xfs%s", path, fs,
                 g_str_equal (fs, "btrfs") ? " (btrfs snapshots itself: use the btrfs provider)" : "");
    return FALSE;
  }
  return TRUE;
}

/* FIFREEZE needs CAP_SYS_ADMIN: told before anything is frozen. */
static gboolean
can_freeze (void)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return geteuid () == 0;
  const char *line = strstr (status, "\nCapEff:");
  if (line == NULL)
    return geteuid () == 0;
  guint64 caps = g_ascii_strtoull (line + strlen ("\nCapEff:"), NULL, 16);
  return (caps >> CAP_SYS_ADMIN_BIT) & 1;
}

static char **
parse_command (const char *command, const char *verb, GError **error)
{
  g_autoptr(GError) local = NULL;
  int argc = 0;
  char **argv = NULL;
  if (!g_shell_parse_argv (command, &argc, &argv, &local)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_PROVIDER_VETO,
                 "fsfreeze: cannot parse the snapshot command \"%s\": %s", command, local->message);
    return NULL;
  }
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_strv_builder_addv (builder, (const char **) argv);
  g_strv_builder_add (builder, verb);
  g_strfreev (argv);
  return g_strv_builder_end (builder);
}

/* Veto before anything freezes: no command, a bad one, or no privilege. */
static gboolean
fsfreeze_prepare (VssSnapshot *snapshot, guint hold_budget_ms, GError **error)
{
  const char *command = g_getenv (COMMAND_ENV);
  if (command == NULL || *command == '\0') {
    g_set_error (error, VSS_ERROR, VSS_ERROR_PROVIDER_VETO,
                 "fsfreeze: no snapshot command for %s: set " COMMAND_ENV " (or vss backup "
                 "--snapshot-command CMD) to the program that snapshots the block device",
                 snapshot->original_path);
    return FALSE;
  }
  g_auto(GStrv) argv = parse_command (command, "create", error);
  if (argv == NULL)
    return FALSE;
  g_autofree char *program = g_find_program_in_path (argv[0]);
  if (program == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_PROVIDER_VETO,
                 "fsfreeze: the snapshot command %s is not an executable file (nor one in PATH)",
                 argv[0]);
    return FALSE;
  }
  if (!can_freeze ()) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
                 "fsfreeze: freezing the filesystem of %s needs root (CAP_SYS_ADMIN)",
                 snapshot->original_path);
    return FALSE;
  }
  g_free (snapshot->provider_data);
  snapshot->provider_data = g_strdup (command);
  return TRUE;
}

/* Where the filesystem of a path is mounted, and from what. */
typedef struct {
  char *mount_point;
  char *device;
  char *type;
} FsFacts;

static void
fs_facts_clear (FsFacts *facts)
{
  g_clear_pointer (&facts->mount_point, g_free);
  g_clear_pointer (&facts->device, g_free);
  g_clear_pointer (&facts->type, g_free);
}

static gboolean
fs_facts_of (const char *path, FsFacts *facts, GError **error)
{
  struct stat st;
  facts->mount_point = vss_provider_fs_root (path, error);
  if (facts->mount_point == NULL)
    return FALSE;
  if (stat (facts->mount_point, &st) != 0 ||
      !vss_provider_fs_mount_source (st.st_dev, facts->mount_point, &facts->device, &facts->type)) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: cannot find the device mounted on %s in /proc/self/mountinfo",
                 facts->mount_point);
    return FALSE;
  }
  return TRUE;
}

/* Our environment plus what the command needs to know (documented in
 * docs/architecture.md, Providers). */
static char **
command_env (const VssSnapshot *snapshot, const FsFacts *facts, gint64 deadline_usec)
{
  char **env = g_get_environ ();
  env = g_environ_setenv (env, "VSS_SNAPSHOT_ID", snapshot->snapshot_id, TRUE);
  env = g_environ_setenv (env, "VSS_SNAPSHOT_SET_ID", snapshot->snapshot_set_id, TRUE);
  env = g_environ_setenv (env, "VSS_ORIGINAL_PATH", snapshot->original_path, TRUE);
  env = g_environ_setenv (env, "VSS_MOUNT_POINT", facts->mount_point ? facts->mount_point : "", TRUE);
  env = g_environ_setenv (env, "VSS_DEVICE", facts->device ? facts->device : "", TRUE);
  env = g_environ_setenv (env, "VSS_FS_TYPE", facts->type ? facts->type : "", TRUE);
  env = g_environ_setenv (env, "VSS_SNAPSHOT_ROOT",
                          snapshot->storage_path ? snapshot->storage_path : "", TRUE);
  if (deadline_usec > 0) {
    gint64 left_ms = MAX (deadline_usec - g_get_monotonic_time (), (gint64) 0) / 1000;
    g_autofree char *hold = g_strdup_printf ("%" G_GINT64_FORMAT, left_ms);
    env = g_environ_setenv (env, "VSS_HOLD_MS", hold, TRUE);
  }
  return env;
}

static void
watch_command (pid_t pgid, gpointer data)
{
  vss_thaw_watchdog_watch_group (data, pgid);
}

static gboolean
freeze_error (GError **error, const char *mount_point, int saved)
{
  VssError code = saved == EPERM || saved == EACCES ? VSS_ERROR_ACCESS_DENIED
                                                    : VSS_ERROR_UNEXPECTED_PROVIDER_ERROR;
  g_set_error (error, VSS_ERROR, code, "fsfreeze: cannot freeze %s: %s%s", mount_point,
               g_strerror (saved),
               saved == EBUSY ? " (it is already frozen: another program froze it, thaw it "
                                "with fsfreeze -u once that is finished)" : "");
  return FALSE;
}

/* ---- the record of a freeze we made ----
 * <state dir>/fsfreeze/<snapshot id> names the mount point, written before
 * FIFREEZE and removed once it is thawed: when it outlives every process
 * of the backup, it proves the freeze is ours to end. */

static char *
freeze_record_path (const VssSnapshot *snapshot)
{
  return g_build_filename (vss_paths_state_dir (), "fsfreeze", snapshot->snapshot_id, NULL);
}

static gboolean
record_freeze (const VssSnapshot *snapshot, const char *mount_point, GError **error)
{
  g_autofree char *dir = g_build_filename (vss_paths_state_dir (), "fsfreeze", NULL);
  g_autofree char *path = freeze_record_path (snapshot);
  return vss_paths_ensure_dir (dir, error) &&
         vss_fs_write_atomic (path, mount_point, strlen (mount_point), 0600, error);
}

static void
forget_freeze (const VssSnapshot *snapshot)
{
  g_autofree char *path = freeze_record_path (snapshot);
  unlink (path);
}

/* A freeze a dead backup left: thawed (EINVAL: it was not frozen). */
static gboolean
thaw_recorded (const VssSnapshot *snapshot, GError **error)
{
  g_autofree char *path = freeze_record_path (snapshot);
  g_autofree char *mount_point = NULL;
  if (!g_file_get_contents (path, &mount_point, NULL, NULL))
    return TRUE;
  int fd = open (mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean thawed = fd >= 0 && (ioctl (fd, FITHAW, 0) == 0 || errno == EINVAL);
  int saved = errno;
  if (fd >= 0)
    close (fd);
  if (!thawed && fd >= 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: cannot thaw %s, frozen by a backup that died: %s; thaw it with "
                 "fsfreeze -u %s", mount_point, g_strerror (saved), mount_point);
    return FALSE;
  }
  if (fd >= 0 && saved != EINVAL)
    g_message ("fsfreeze: thawed %s, left frozen by a backup that died", mount_point);
  unlink (path);
  return TRUE;
}

/* FIFREEZE, CMD create, FITHAW under the watchdog: the heart of commit.
 * FALSE when the filesystem could not be frozen or the command could not
 * be started; TRUE when it ran (its outcome is in @result). */
static gboolean
run_frozen (const VssSnapshot *snapshot, int fs_fd, const FsFacts *facts, char **argv, char **env,
            gint64 deadline_usec, VssCommandResult *result, GError **error)
{
  VssThawWatchdog watchdog;
  if (!record_freeze (snapshot, facts->mount_point, error))
    return FALSE;
  if (!vss_thaw_watchdog_start (&watchdog, fs_fd, deadline_usec, error)) {
    forget_freeze (snapshot);
    return FALSE;
  }
  gint64 start = g_get_monotonic_time ();
  if (ioctl (fs_fd, FIFREEZE, 0) != 0) {
    int saved = errno;
    forget_freeze (snapshot);   /* not ours: someone else's freeze is never ended */
    vss_thaw_watchdog_stop (&watchdog, TRUE);
    return freeze_error (error, facts->mount_point, saved);
  }
  gint64 frozen = g_get_monotonic_time ();
  g_autoptr(GError) spawn_error = NULL;
  gboolean ran = vss_command_run ((const char *const *) argv, (const char *const *) env,
                                  deadline_usec, watch_command, &watchdog, result, &spawn_error);
  gint64 command_done = g_get_monotonic_time ();
  /* EINVAL: the watchdog thawed it already (the deadline passed). */
  gboolean thawed = ioctl (fs_fd, FITHAW, 0) == 0 || errno == EINVAL;
  if (!thawed)
    g_warning ("fsfreeze: cannot thaw %s: %s; the watchdog will", facts->mount_point,
               g_strerror (errno));
  gint64 thaw_done = g_get_monotonic_time ();
  vss_thaw_watchdog_stop (&watchdog, thawed);
  if (thawed)
    forget_freeze (snapshot);
  g_debug ("fsfreeze: %s frozen for %.1f ms (freeze %.1f ms, %s create %.1f ms, thaw %.1f ms)",
           facts->mount_point, (thaw_done - start) / 1000.0, (frozen - start) / 1000.0, argv[0],
           (command_done - frozen) / 1000.0, (thaw_done - command_done) / 1000.0);
  if (!ran) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: cannot run the snapshot command: %s", spawn_error->message);
    return FALSE;
  }
  return TRUE;
}

/* The snapshot's root from the command's output, checked, and the added
 * path inside it. */
static gboolean
expose (VssSnapshot *snapshot, const FsFacts *facts, const char *out, const char *command,
        GError **error)
{
  g_autofree char *text = g_strstrip (g_strdup (out));
  const char *last = strrchr (text, '\n');
  g_autofree char *root = g_strstrip (g_strdup (last != NULL ? last + 1 : text));
  struct stat st;
  struct statvfs vfs;
  if (!g_path_is_absolute (root) || stat (root, &st) != 0 || !S_ISDIR (st.st_mode) ||
      statvfs (root, &vfs) != 0 || (vfs.f_flag & ST_RDONLY) == 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: `%s create` must print, as the last line of its output, the "
                 "directory where the snapshot of %s is mounted read-only; it printed \"%s\"%s",
                 command, facts->mount_point, root,
                 *root != '\0' && stat (root, &st) == 0 ? " (not a read-only mount)" : "");
    if (g_path_is_absolute (root))
      snapshot->storage_path = g_steal_pointer (&root);   /* for delete */
    return FALSE;
  }
  const char *inside = snapshot->original_path + (g_str_equal (facts->mount_point, "/") ? 0
                                                  : strlen (facts->mount_point));
  g_autofree char *path = g_build_filename (root, inside, NULL);
  snapshot->storage_path = g_steal_pointer (&root);
  if (lstat (path, &st) != 0) {
    int saved = errno;
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: the snapshot at %s lacks %s: %s", snapshot->storage_path, inside,
                 g_strerror (saved));
    return FALSE;
  }
  g_free (snapshot->snapshot_path);
  snapshot->snapshot_path = g_steal_pointer (&path);
  snapshot->committed = TRUE;
  snapshot->created_usec = g_get_real_time ();
  return TRUE;
}

static gboolean
check_result (const VssCommandResult *result, const VssSnapshot *snapshot, const char *command,
              gint64 deadline_usec, gint64 start, GError **error)
{
  if (result->timed_out || (deadline_usec > 0 && g_get_monotonic_time () > deadline_usec)) {
    g_autofree char *what = g_strdup_printf ("fsfreeze: `%s create` for %s", command,
                                             snapshot->original_path);
    vss_provider_set_timeout_error (error, what, deadline_usec, start);
    return FALSE;
  }
  if (!WIFEXITED (result->wait_status) || WEXITSTATUS (result->wait_status) != 0) {
    g_autofree char *how = vss_command_describe_status (result);
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: `%s create` for %s %s: %s", command, snapshot->original_path, how,
                 *result->err_tail != '\0' ? result->err_tail : "(no error output)");
    return FALSE;
  }
  return TRUE;
}

static gboolean
fsfreeze_commit (VssSnapshot *snapshot, gint64 deadline_usec, GError **error)
{
  if (snapshot->provider_data == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: commit of %s before prepare", snapshot->original_path);
    return FALSE;
  }
  gint64 start = g_get_monotonic_time ();
  g_auto(GStrv) argv = parse_command (snapshot->provider_data, "create", error);
  FsFacts facts = { 0 };
  if (argv == NULL || !fs_facts_of (snapshot->original_path, &facts, error))
    return fs_facts_clear (&facts), FALSE;
  int fd = open (facts.mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    freeze_error (error, facts.mount_point, errno);
    return fs_facts_clear (&facts), FALSE;
  }
  g_auto(GStrv) env = command_env (snapshot, &facts, deadline_usec);
  VssCommandResult result = { 0 };
  gboolean ok = run_frozen (snapshot, fd, &facts, argv, env, deadline_usec, &result, error) &&
                check_result (&result, snapshot, argv[0], deadline_usec, start, error) &&
                expose (snapshot, &facts, result.out, argv[0], error);
  close (fd);
  vss_command_result_clear (&result);
  fs_facts_clear (&facts);
  return ok;
}

static gboolean
fsfreeze_remove (VssSnapshot *snapshot, GError **error)
{
  if (snapshot->provider_data == NULL)
    return TRUE;   /* never prepared: the command never ran */
  if (!thaw_recorded (snapshot, error))
    return FALSE;
  g_auto(GStrv) argv = parse_command (snapshot->provider_data, "delete", error);
  if (argv == NULL)
    return FALSE;
  FsFacts facts = { 0 };
  fs_facts_of (snapshot->original_path, &facts, NULL);   /* best effort: may be unmounted */
  g_auto(GStrv) env = command_env (snapshot, &facts, 0);
  fs_facts_clear (&facts);
  VssCommandResult result = { 0 };
  if (!vss_command_run ((const char *const *) argv, (const char *const *) env,
                        g_get_monotonic_time () + DELETE_LIMIT_USEC, NULL, NULL, &result, error)) {
    g_prefix_error (error, "fsfreeze: cannot delete the snapshot of %s: ", snapshot->original_path);
    return FALSE;
  }
  gboolean ok = !result.timed_out && WIFEXITED (result.wait_status) &&
                WEXITSTATUS (result.wait_status) == 0;
  if (!ok) {
    g_autofree char *how = vss_command_describe_status (&result);
    g_set_error (error, VSS_ERROR, VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,
                 "fsfreeze: `%s delete` for %s %s: %s", argv[0], snapshot->original_path, how,
                 *result.err_tail != '\0' ? result.err_tail : "(no error output)");
  }
  vss_command_result_clear (&result);
  return ok;
}

const VssProvider vss_provider_fsfreeze = {
  .name = "fsfreeze",
  .atomic = TRUE,
  .cost = 1000,
  .by_name_only = TRUE,
  .freezes_filesystem = TRUE,
  .supports = fsfreeze_supports,
  .prepare = fsfreeze_prepare,
  .commit = fsfreeze_commit,
  .remove = fsfreeze_remove,
};
