/* test-directory-online.c — the vss_ds_* streaming API against a real
 * slapd: a consistent stream while a client writes, a restore through the
 * interlock, served by a fresh slapd. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dir-test.h"

TestSuite (directory_online, .fini = dfx_teardown, .timeout = 120);

/* The next piece of the open file into @fd: a read of @chunk bytes, or
 * with @fd_max a vss_ds_backup_read_to_fd of at most @fd_max; bytes. */
static guint64
next_piece (VssDsHandle *handle, int fd, guint8 *buffer, guint32 chunk, guint64 fd_max,
            VssHResult *out_hr)
{
  if (fd_max > 0) {
    guint64 written = 0;
    *out_hr = vss_ds_backup_read_to_fd (handle, fd, fd_max, &written);
    cr_assert (written <= fd_max);
    return written;
  }
  guint32 got = 0;
  *out_hr = vss_ds_backup_read (handle, buffer, chunk, &got);
  cr_assert_eq (write (fd, buffer, got), (ssize_t) got);
  return got;
}

/* Streams every database of @handle into @dir (reads of @chunk bytes,
 * every other piece through vss_ds_backup_read_to_fd of @fd_max if not 0). */
static void
stream_all (VssDsHandle *handle, const char *dir, guint32 chunk, guint64 fd_max)
{
  char *names = NULL;
  guint32 size = 0;
  cr_assert_eq (vss_ds_backup_get_database_names (handle, &names, &size), VSS_S_OK);
  cr_assert_eq ((guint8) names[0], VSS_BFT_NTDS_DATABASE, "no BFT_NTDS_DATABASE prefix");
  const char *name = names + 1;
  guint64 expected = 0, total = 0, got = 0;
  cr_assert_eq (vss_ds_backup_open_file (handle, name, 65536, &expected), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  cr_assert_eq (vss_ds_backup_open_file (handle, name, 65536, &expected),
                VSS_DS_HR_ALREADY_OPEN);
  g_autofree char *path = g_build_filename (dir, "data.mdb", NULL);
  int out = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert_geq (out, 0);
  g_autofree guint8 *buffer = g_malloc (chunk);
  VssHResult hr;
  for (guint i = 0; (got = next_piece (handle, out, buffer, chunk, i % 2 ? fd_max : 0, &hr)),
       hr == VSS_S_OK; i++)
    total += got;
  close (out);
  cr_assert_eq (hr, VSS_WIN32_ERROR_HANDLE_EOF, "the stream ended with 0x%08X: %s", hr,
                vss_ds_get_last_error_message ());
  cr_assert_eq (got, 0);
  cr_assert_eq (total, expected, "streamed %lu of %lu bytes", (gulong) total, (gulong) expected);
  cr_assert_eq (vss_ds_backup_close (handle), VSS_S_OK);
  cr_assert_eq (vss_ds_backup_close (handle), VSS_DS_HR_INVALID_HANDLE);
  vss_ds_backup_free (names);
}

/* While an ldapadd adds people 2001..5000: prepare, let the server write
 * on, stream into a new dir @name (as stream_all); the dir.  Asserts the
 * copy is the prepare instant: people 1..*out_n, 2000 <= *out_n < 5000. */
static char *
stream_while_writing (const char *name, guint32 chunk, guint64 fd_max, void **out_token,
                      guint32 *out_token_size, guint *out_n)
{
  g_autofree char *more = slapd_people_ldif (2001, 3000, 100);
  GPid writer = slapd_add_async (dfx.slapd, more);
  g_usleep (100000);
  VssDsHandle *handle = NULL;
  cr_assert_eq (vss_ds_backup_prepare (g_get_host_name (), 0, VSS_DS_BACKUP_TYPE_FULL, out_token,
                                       out_token_size, &handle), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  g_usleep (200000);                        /* the server keeps writing after the instant */
  char *copy = dfx_path (name);
  stream_all (handle, copy, chunk, fd_max);
  char *logs = NULL;
  guint32 logs_size = 0;
  cr_assert_eq (vss_ds_backup_get_backup_logs (handle, &logs, &logs_size), VSS_S_OK);
  cr_assert_eq (logs_size, 2, "LMDB has no logs: an empty list");
  vss_ds_backup_free (logs);
  cr_assert_eq (vss_ds_backup_truncate_logs (handle), VSS_S_OK);
  cr_assert_eq (vss_ds_backup_end (handle), VSS_S_OK);
  /* an ended handle is refused (under ASan: not read after its free) */
  guint64 written = 0;
  cr_assert_eq (vss_ds_backup_read_to_fd (handle, STDERR_FILENO, 1, &written),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_backup_end (handle), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (slapd_wait (writer, 60000), 0, "the concurrent ldapadd failed");
  *out_n = dfx_assert_prefix (copy, 2000);
  cr_assert_lt (*out_n, 5000, "the stream is not the prepare instant: it holds all %u people",
                *out_n);
  cr_log_info ("%s holds people 1..%u of 5000", name, *out_n);
  return copy;
}

Test (directory_online, stream_while_writing_then_restore_through_the_interlock)
{
  dfx_setup (2000, NULL);
  gboolean online = FALSE;
  cr_assert_eq (vss_ds_is_ntds_online (NULL, &online), VSS_S_OK);
  cr_assert (online, "slapd runs but the directory is reported offline");
  void *token = NULL;
  guint32 token_size = 0;
  guint n = 0;
  g_autofree char *copy = stream_while_writing ("stream", 12345, 0, &token, &token_size, &n);

  /* restore: refused while slapd serves the target, then through the interlock */
  slapd_stop (dfx.slapd);
  online = TRUE;
  cr_assert_eq (vss_ds_is_ntds_online (NULL, &online), VSS_S_OK);
  cr_assert_not (online);
  VssDsHandle *restore = NULL;
  cr_assert_eq (vss_ds_restore_prepare (NULL, 0, token, token_size, &restore), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  cr_assert_eq (vss_ds_restore_register (restore, dfx.slapd->db, dfx.slapd->db, NULL, 0,
                                         dfx.slapd->db, 0, 0), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  g_autoptr(GError) gate = NULL;
  cr_assert_not (vss_ds_restore_gate_check (dfx.slapd->db, &gate), "no interlock after register");
  cr_assert (strstr (gate->message, "has not completed"), "%s", gate->message);
  /* a failed completion keeps the interlock */
  cr_assert_eq (vss_ds_restore_register_complete (restore, VSS_DS_HR_ERROR), VSS_S_OK);
  cr_assert_not (vss_ds_restore_gate_check (dfx.slapd->db, NULL));
  g_autofree char *src = g_build_filename (copy, "data.mdb", NULL);
  g_autofree char *dst = g_build_filename (dfx.slapd->db, "data.mdb", NULL);
  g_autofree char *lock = g_build_filename (dfx.slapd->db, "lock.mdb", NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  cr_assert (g_file_get_contents (src, &contents, &length, NULL));
  cr_assert (g_file_set_contents (dst, contents, length, NULL));
  g_remove (lock);
  cr_assert_eq (vss_ds_restore_register_complete (restore, VSS_S_OK), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  cr_assert (vss_ds_restore_gate_check (dfx.slapd->db, NULL), "the interlock stayed");
  cr_assert_eq (vss_ds_restore_end (restore), VSS_S_OK);
  vss_ds_backup_free (token);
  dfx_assert_served (dfx.slapd->db, n);
}

Test (directory_online, restore_register_refused_while_served)
{
  dfx_setup (10, NULL);
  void *token = NULL;
  guint32 token_size = 0;
  VssDsHandle *handle = NULL;
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_FULL, &token, &token_size,
                                       &handle), VSS_S_OK);
  cr_assert_eq (vss_ds_backup_end (handle), VSS_S_OK);
  VssDsHandle *restore = NULL;
  cr_assert_eq (vss_ds_restore_prepare (NULL, 0, token, token_size, &restore), VSS_S_OK);
  VssHResult hr = vss_ds_restore_register (restore, "/", "/", NULL, 0, "/", 0, 0);
  cr_assert_eq (hr, VSS_DS_HR_ERROR);
  cr_assert (strstr (vss_ds_get_last_error_message (), "stop the directory server"), "%s",
             vss_ds_get_last_error_message ());
  cr_assert (vss_ds_restore_gate_check (dfx.slapd->db, NULL), "an interlock was left");
  cr_assert_eq (vss_ds_restore_end (restore), VSS_S_OK);
  vss_ds_backup_free (token);
}

Test (directory_online, read_to_fd_while_writing_is_the_prepare_instant)
{
  dfx_setup (2000, NULL);
  void *token = NULL;
  guint32 token_size = 0;
  guint n = 0;
  /* odd sizes on purpose: 12345-byte reads between writes of at most 100003 */
  g_autofree char *copy = stream_while_writing ("stream-fd", 12345, 100003, &token, &token_size,
                                                &n);
  vss_ds_backup_free (token);
  dfx_assert_served (copy, n);
}
