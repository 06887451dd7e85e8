/* cert-restore.c — before and after the requester puts files back.
 *
 * Both act where the files go (vss_component_get_restore_path): the store
 * itself in place, the requester's target elsewhere.
 * pre_restore refuses while another process has a database open for
 * writing: replacing a file under an open SQLite connection corrupts it
 * (the process keeps its old inode and page cache, and may write back).
 * post_restore opens each database (which replays a restored WAL), checks
 * it, and for NSS lists the certificates with certutil, NSS's own reader:
 * that also proves the key database's metadata and password check parse,
 * which a SQL count of nssPublic would not. */
#include "cert-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert-wal.h"

/* A writable fd of another process on @path (or its -wal/-journal):
 * /proc/PID/fd links, with the access mode from /proc/PID/fdinfo. */
static gboolean
fd_is_writable (const char *pid, const char *fd)
{
  g_autofree char *info_path = g_strdup_printf ("/proc/%s/fdinfo/%s", pid, fd);
  g_autofree char *info = NULL;
  if (!g_file_get_contents (info_path, &info, NULL, NULL))
    return FALSE;
  const char *flags = strstr (info, "flags:");
  if (flags == NULL)
    return FALSE;
  guint64 value = g_ascii_strtoull (flags + strlen ("flags:"), NULL, 8);
  return (value & O_ACCMODE) != O_RDONLY;
}

static char *
find_writer_process (const char *path)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  g_autofree char *self_pid = g_strdup_printf ("%d", (int) getpid ());
  const char *pid;
  while (proc != NULL && (pid = g_dir_read_name (proc)) != NULL) {
    if (!g_ascii_isdigit (pid[0]) || g_str_equal (pid, self_pid))
      continue;
    g_autofree char *fd_dir = g_strdup_printf ("/proc/%s/fd", pid);
    g_autoptr(GDir) fds = g_dir_open (fd_dir, 0, NULL);
    const char *fd;
    while (fds != NULL && (fd = g_dir_read_name (fds)) != NULL) {
      g_autofree char *link = g_build_filename (fd_dir, fd, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      if (target != NULL && g_str_has_prefix (target, path) &&
          (target[strlen (path)] == '\0' || target[strlen (path)] == '-') &&
          fd_is_writable (pid, fd)) {
        g_autofree char *comm_path = g_strdup_printf ("/proc/%s/comm", pid);
        g_autofree char *comm = NULL;
        g_file_get_contents (comm_path, &comm, NULL, NULL);
        return g_strdup_printf ("process %s (%s)", pid, comm ? g_strstrip (comm) : "?");
      }
    }
  }
  return NULL;
}

/* A lock held right now also counts (a process of another user whose
 * /proc entries we cannot read). */
static gboolean
check_not_in_use (VssWriter *writer, const char *path)
{
  g_autofree char *who = find_writer_process (path);
  g_autoptr(GError) error = NULL;
  if (who == NULL && g_file_test (path, G_FILE_TEST_EXISTS)) {
    sqlite3 *db = cert_db_open (path, 100, &error);
    if (db != NULL && cert_db_exec (db, path, "BEGIN IMMEDIATE", &error))
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close (db);
    if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
      who = g_strdup ("a process holding its write lock");
  }
  if (who == NULL)
    return TRUE;
  vss_writer_set_failure (writer, VSS_WF_RETRYABLE,
                          "%s is open for writing by %s: replacing it under an open "
                          "connection would corrupt it; stop that program, then restore",
                          path, who);
  return FALSE;
}

/* Calls @func on every database of every store selected for restore,
 * with where it is restored; stops at the first FALSE. */
static gboolean
for_each_target (VssWriter *writer,
                 gboolean (*func) (VssWriter *writer, const char *path, const char *target))
{
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    CertStore *store = cert_writer_component_store (writer, i);
    VssComponent *component = vss_writer_get_component (writer, i);
    if (store == NULL || !vss_component_is_selected_for_restore (component))
      continue;
    for (guint d = 0; d < store->databases->len; d++) {
      const char *path = g_ptr_array_index (store->databases, d);
      g_autofree char *target = vss_component_get_restore_path (component, path);
      if (!func (writer, path, target))
        return FALSE;
    }
  }
  return TRUE;
}

static gboolean
target_not_in_use (VssWriter *writer, const char *path, const char *target)
{
  (void) path;
  return check_not_in_use (writer, target);
}

/* The gate stays closed until post_restore has checked the copy, so an
 * interrupted restore leaves a store `vss restore-gate` keeps closed. */
static gboolean
close_gate (VssWriter *writer, const char *path, const char *target)
{
  g_autoptr(GError) error = NULL;
  if (g_str_equal (target, path))
    cert_wal_forget_truncation (path);   /* a restore starts a new chain */
  if (vss_cs_restore_gate_close (target, &error))
    return TRUE;
  vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE, "restore interlock: %s", error->message);
  return FALSE;
}

gboolean
cert_writer_pre_restore (VssWriter *writer)
{
  /* every target checked before any gate closes: a refusal leaves nothing */
  return for_each_target (writer, target_not_in_use) && for_each_target (writer, close_gate);
}

/* certutil -L lists what NSS can read; missing certutil falls back to
 * counting the certificate objects (CKA_CLASS 1) in nssPublic. */
static gboolean
list_nss (const char *dir, GError **error)
{
  g_autofree char *certutil = g_find_program_in_path ("certutil");
  if (certutil == NULL)
    return TRUE;
  g_autofree char *db_arg = g_strconcat ("sql:", dir, NULL);
  const char *argv[] = { certutil, "-L", "-d", db_arg, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                     &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "certutil -L -d %s failed after the restore: %s", db_arg, g_strstrip (err));
    return FALSE;
  }
  return TRUE;
}

/* Moves a restored WAL into the database file, all of it: the next set
 * of a log chain brings its own WAL, which replaces this one. */
static gboolean
apply_wal (sqlite3 *db, const char *path, GError **error)
{
  int in_log = 0, applied = 0;
  int rc = sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &in_log, &applied);
  if (rc == SQLITE_OK && in_log == applied)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "%s: the restored WAL could not be applied (%s; %d of %d frames): is another "
               "program using the database?", path, rc == SQLITE_OK ? "incomplete" : sqlite3_errmsg (db),
               applied, in_log);
  return FALSE;
}

/* Opens @path and applies its WAL (the open reads the schema first). */
static gboolean
apply_restored_wal (const char *path, GError **error)
{
  sqlite3 *db = cert_db_open (path, 2000, error);
  gboolean ok = db != NULL && cert_db_exec (db, path, "SELECT count(*) FROM sqlite_master", error) &&
                apply_wal (db, path, error);
  sqlite3_close (db);
  return ok;
}

/* A log set brings the frames its truncation carried over (cert-wal.h):
 * they come before the set's own WAL.  Any other set is newer than the
 * frames it happened to carry: they are dropped. */
static gboolean
apply_carry (VssWriter *writer, const char *path, GError **error)
{
  g_autofree char *carry = cert_wal_carry_path (path);
  if (!g_file_test (carry, G_FILE_TEST_EXISTS))
    return TRUE;
  if (vss_writer_get_backup_type (writer) != VSS_BT_LOG) {
    unlink (carry);
    return TRUE;
  }
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *after = g_strconcat (path, "-wal.vss-after-carry", NULL);
  gboolean has_wal = g_file_test (wal, G_FILE_TEST_EXISTS);
  gboolean moved = has_wal && rename (wal, after) == 0;
  if (moved != has_wal || rename (carry, wal) != 0) {
    int saved = errno;
    if (moved)
      rename (after, wal);   /* the set's own WAL back where the next steps look */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: putting the carried frames in "
                 "place: %s", path, g_strerror (saved));
    return FALSE;
  }
  gboolean ok = apply_restored_wal (path, error);
  if (has_wal && rename (after, wal) != 0 && ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: putting the WAL back after the "
                 "carried frames: %s", path, g_strerror (errno));
    ok = FALSE;
  }
  return ok;
}

/* Checks the restored copy where the requester put it (the store itself
 * for a restore in place): a restore elsewhere never touches the live
 * store, its WAL or its carry file. */
static gboolean
check_store (VssWriter *writer, const CertStore *store, const VssComponent *component,
             GError **error)
{
  for (guint d = 0; d < store->databases->len; d++) {
    g_autofree char *path = vss_component_get_restore_path (component,
                                                            g_ptr_array_index (store->databases, d));
    if (!apply_carry (writer, path, error))
      return FALSE;
    sqlite3 *db = cert_db_open (path, 2000, error);
    /* integrity_check first: it reads the database, which opens the WAL
     * (a checkpoint on a connection that has read nothing does nothing) */
    gboolean ok = db != NULL && cert_db_integrity_check (db, path, error) &&
                  apply_wal (db, path, error);
    sqlite3_close (db);
    if (!ok)
      return FALSE;
  }
  g_autofree char *dir = vss_component_get_restore_path (component, store->path);
  return store->kind != CERT_STORE_NSS || list_nss (dir, error);
}

static void
open_gates (const CertStore *store, const VssComponent *component)
{
  for (guint d = 0; d < store->databases->len; d++) {
    g_autofree char *target = vss_component_get_restore_path (component,
                                                              g_ptr_array_index (store->databases, d));
    vss_cs_restore_gate_open (target);
  }
}

gboolean
cert_writer_post_restore (VssWriter *writer)
{
  gboolean ok = TRUE;
  for (guint i = 0; i < vss_writer_get_component_count (writer); i++) {
    VssComponent *component = vss_writer_get_component (writer, i);
    CertStore *store = cert_writer_component_store (writer, i);
    g_autoptr(GError) error = NULL;
    if (store == NULL || !vss_component_is_selected_for_restore (component))
      continue;
    if (check_store (writer, store, component, &error)) {
      open_gates (store, component);
      continue;
    }
    vss_component_set_post_restore_failure_msg (component, error->message, NULL);
    if (ok)
      vss_writer_set_failure (writer, VSS_WF_NONRETRYABLE,
                              "%s: the restored store does not open cleanly: %s; restore it "
                              "again from a full backup", store->path, error->message);
    ok = FALSE;
  }
  return ok;
}
