/* root-backup.c — see root-backup.h. */
#include "root-backup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every filesystem of the running test: a failed assertion leaves the
 * test function at once, so the fixture's teardown frees them. */
static GPtrArray *filesystems;

LoopFs *
rb_loopfs (const char *type, guint size_mib)
{
  g_autoptr(GError) error = NULL;
  LoopFs *fs = loopfs_new (type, size_mib, &error);
  cr_assert_not_null (fs, "cannot make a %s filesystem: %s", type, error ? error->message : "");
  if (filesystems == NULL)
    filesystems = g_ptr_array_new_with_free_func ((GDestroyNotify) loopfs_free);
  g_ptr_array_add (filesystems, fs);
  return fs;
}

void
rb_unmount_under (const char *dir)
{
  g_autofree char *mounts = NULL;
  if (dir == NULL || !g_file_get_contents ("/proc/self/mounts", &mounts, NULL, NULL))
    return;
  g_auto(GStrv) lines = g_strsplit (mounts, "\n", -1);
  /* Deepest first: later lines are mounted on top of earlier ones. */
  for (gint i = (gint) g_strv_length (lines) - 1; i >= 0; i--) {
    g_auto(GStrv) fields = g_strsplit (lines[i], " ", 3);
    if (g_strv_length (fields) >= 2 && g_str_has_prefix (fields[1], dir))
      umount2 (fields[1], MNT_DETACH);
  }
}

void
rb_cleanup (const char *tmpdir)
{
  rb_unmount_under (tmpdir);
  g_clear_pointer (&filesystems, g_ptr_array_unref);
}

char *
rb_setup_env (void)
{
  char *tmpdir = vss_test_setup_env ();
  g_setenv ("VSS_TEST_RECORD_DIR", tmpdir, TRUE);
  return tmpdir;
}

void
rb_teardown_env (char *tmpdir)
{
  rb_cleanup (tmpdir);
  vss_test_teardown_env (tmpdir);
}

char *
rb_make_dir (const char *parent, const char *name)
{
  char *dir = g_build_filename (parent, name, NULL);
  cr_assert_eq (g_mkdir_with_parents (dir, 0755), 0, "cannot make %s", dir);
  return dir;
}

char *
rb_writer_dir (const char *tmpdir, gboolean with_pause)
{
  char *dir = g_build_filename (tmpdir, with_pause ? "writers-pause" : "writers-none", NULL);
  g_mkdir_with_parents (dir, 0755);
  if (with_pause) {
    const char *module = g_getenv ("VSS_TEST_PAUSE_WRITER");
    cr_assert_not_null (module, "VSS_TEST_PAUSE_WRITER is not set (run through meson test)");
    g_autofree char *contents = NULL;
    gsize len = 0;
    cr_assert (g_file_get_contents (module, &contents, &len, NULL), "cannot read %s", module);
    g_autofree char *copy = g_build_filename (dir, "libvss-test-pause.so", NULL);
    cr_assert (g_file_set_contents_full (copy, contents, len, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
  }
  return dir;
}

static gboolean
finish (VssAsync *async, GError **error)
{
  VssAsyncStatus status = vss_async_wait (async, 60000, error);
  vss_async_unref (async);
  return status == VSS_ASYNC_FINISHED;
}

VssBackupComponents *
rb_snapshot (const char *writer_dir, const char *path, const char *provider,
             VssSnapshotContext context, guint hold_ms, VssSnapshotProp **out_prop, GError **error)
{
  g_autoptr(VssBackupComponents) bc = vss_backup_components_new ();
  VssAsync *async = NULL;
  g_autofree char *snapshot_id = NULL;
  gboolean ok = vss_backup_components_set_writer_path (bc, writer_dir, error) &&
                (hold_ms == 0 || vss_backup_components_set_hold_timeout (bc, hold_ms, error)) &&
                vss_backup_components_initialize_for_backup (bc, NULL, error) &&
                vss_backup_components_set_context (bc, context, error) &&
                vss_backup_components_set_backup_state (bc, FALSE, FALSE, VSS_BT_FULL, FALSE, error) &&
                vss_backup_components_gather_writer_metadata (bc, &async, error) &&
                finish (async, error) &&
                vss_backup_components_start_snapshot_set (bc, NULL, error) &&
                vss_backup_components_add_to_snapshot_set (bc, path, provider, &snapshot_id, error) &&
                vss_backup_components_prepare_for_backup (bc, &async, error) &&
                finish (async, error) &&
                vss_backup_components_do_snapshot_set (bc, &async, error) &&
                finish (async, error);
  if (!ok)
    return NULL;
  *out_prop = vss_backup_components_get_snapshot_properties (bc, snapshot_id, error);
  return *out_prop != NULL ? g_steal_pointer (&bc) : NULL;
}

pid_t
rb_start_appender (const char *file)
{
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0) {
    int fd = open (file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
      _exit (1);
    char line[16];
    for (unsigned n = 0;; n++) {
      int len = snprintf (line, sizeof line, "%08u\n", n);
      if (write (fd, line, (size_t) len) != len)
        _exit (2);
      if (n % 100 == 99)
        usleep (1000);   /* about 1 MB/s: keeps the small test filesystems from filling */
    }
  }
  /* Some records before the backup starts. */
  for (int i = 0; i < 200; i++) {
    struct stat st;
    if (stat (file, &st) == 0 && st.st_size > 90000)
      break;
    g_usleep (1000);
  }
  return pid;
}

void
rb_stop_appender (pid_t pid)
{
  if (pid <= 0)
    return;
  kill (pid, SIGCONT);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

void
rb_assert_prefix (const char *snap, const char *live, gsize size)
{
  g_autofree char *a = NULL, *b = NULL;
  gsize alen = 0, blen = 0;
  cr_assert (g_file_get_contents (snap, &a, &alen, NULL), "cannot read %s", snap);
  cr_assert (g_file_get_contents (live, &b, &blen, NULL), "cannot read %s", live);
  cr_assert_gt (size, 0, "the writer froze before any record");
  cr_assert_eq (alen, size, "snapshot holds %zu bytes, the file had %zu at the freeze", alen, size);
  cr_assert_geq (blen, size);
  cr_assert_eq (memcmp (a, b, size), 0, "snapshot differs from the file as it was at the freeze");
  cr_assert_eq (size % 9, 0, "snapshot does not end at a record boundary");
  for (gsize n = 0; n < size / 9; n++) {
    char want[32];
    snprintf (want, sizeof want, "%08zu\n", n);
    cr_assert_eq (memcmp (a + n * 9, want, 9), 0, "record %zu is wrong", n);
  }
}

void
rb_assert_read_only (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "new-file", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  int saved = errno;
  if (fd >= 0)
    close (fd);
  cr_assert_lt (fd, 0, "created %s inside the snapshot", path);
  cr_assert (saved == EROFS || saved == EACCES, "write failed with %s, not EROFS/EACCES",
             g_strerror (saved));
}
