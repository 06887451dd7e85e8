/* test-ds-api.c — the vss_ds_* API without a directory server: expiry
 * tokens, argument rules and result codes, streaming a plain LMDB
 * environment, the restore interlock and its gate. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <lmdb.h>
#include <string.h>
#include <unistd.h>

#include <vss/vss.h>

#include "online/directory/vss-ds-token.h"
#include "util/vss-paths.h"
#include "vss-test.h"

static char *tmpdir, *envdir;

/* An LMDB environment with @count keys k000000… = "value…". */
static void
make_env (const char *dir, guint count)
{
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  g_mkdir_with_parents (dir, 0700);
  cr_assert_eq (mdb_env_create (&env), 0);
  mdb_env_set_maxdbs (env, 4);
  mdb_env_set_mapsize (env, 64 << 20);
  cr_assert_eq (mdb_env_open (env, dir, 0, 0600), 0);
  cr_assert_eq (mdb_txn_begin (env, NULL, 0, &txn), 0);
  cr_assert_eq (mdb_dbi_open (txn, "people", MDB_CREATE, &dbi), 0);
  for (guint i = 0; i < count; i++) {
    char key[16], value[200];
    g_snprintf (key, sizeof key, "k%06u", i);
    memset (value, 'a' + i % 26, sizeof value);
    MDB_val k = { strlen (key), key }, v = { sizeof value, value };
    cr_assert_eq (mdb_put (txn, dbi, &k, &v, 0), 0);
  }
  cr_assert_eq (mdb_txn_commit (txn), 0);
  mdb_env_close (env);
}

static void
setup (void)
{
  tmpdir = vss_test_setup_env ();
  envdir = g_build_filename (tmpdir, "env", NULL);
  make_env (envdir, 3000);
  g_autofree char *conf = g_build_filename (vss_paths_config_dir (), "directory.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[directory]\nenvironments=%s\n", envdir);
  cr_assert (g_file_set_contents (conf, text, -1, NULL));
  g_setenv ("VSS_WRITER_PATH", g_getenv ("VSS_DIRECTORY_WRITER_DIR"), TRUE);
}

static void
teardown (void)
{
  g_clear_pointer (&envdir, g_free);
  vss_test_teardown_env (g_steal_pointer (&tmpdir));
}

TestSuite (ds_api, .init = setup, .fini = teardown, .timeout = 60);

static void *
good_token (guint32 *size, gint64 age_usec, guint64 lifetime)
{
  VssDsToken token = { .backup_time_usec = g_get_real_time () - age_usec,
                       .tombstone_seconds = lifetime, .identity = (char *) "id-1,id-2" };
  return vss_ds_token_encode (&token, size);
}

Test (ds_api, token_round_trip_and_damage)
{
  guint32 size = 0;
  g_autofree guint8 *blob = good_token (&size, 0, 86400);
  VssDsToken out = { 0 };
  g_autofree char *msg = NULL;
  cr_assert_eq (vss_ds_token_decode (blob, size, g_get_real_time (), &out, &msg), VSS_S_OK);
  cr_assert (vss_ds_token_names (&out, "id-2"));
  cr_assert_not (vss_ds_token_names (&out, "id-3"));
  vss_ds_token_clear (&out);
  for (guint32 i = 0; i < size; i += 7) {    /* any flipped byte is caught */
    blob[i] ^= 0x20;
    g_clear_pointer (&msg, g_free);
    cr_assert_eq (vss_ds_token_decode (blob, size, g_get_real_time (), &out, &msg),
                  VSS_DS_HR_UNKNOWN_EXPIRY_TOKEN_FORMAT, "byte %u", i);
    blob[i] ^= 0x20;
  }
  g_clear_pointer (&msg, g_free);
  cr_assert_eq (vss_ds_token_decode (blob, size - 1, g_get_real_time (), &out, &msg),
                VSS_DS_HR_UNKNOWN_EXPIRY_TOKEN_FORMAT);
  g_clear_pointer (&msg, g_free);
  cr_assert_eq (vss_ds_token_decode (NULL, 0, g_get_real_time (), &out, &msg),
                VSS_DS_HR_MISSING_EXPIRY_TOKEN);
}

/* An invalid token is taken by restore_prepare and refused by
 * restore_register with hrMissingExpiryToken, the reason in the message. */
static void
assert_register_refuses_token (const void *token, guint32 size, const char *reason)
{
  VssDsHandle *handle = NULL;
  VssHResult hr = vss_ds_restore_prepare (NULL, 0, token, size, &handle);
  cr_assert_eq (hr, VSS_S_OK, "0x%08X: %s", hr, vss_ds_get_last_error_message ());
  hr = vss_ds_restore_register (handle, envdir, envdir, NULL, 0, envdir, 0, 0);
  cr_assert_eq (hr, VSS_DS_HR_MISSING_EXPIRY_TOKEN, "0x%08X: %s", hr,
                vss_ds_get_last_error_message ());
  cr_assert (strstr (vss_ds_get_last_error_message (), reason), "%s",
             vss_ds_get_last_error_message ());
  cr_assert (vss_ds_restore_gate_check (envdir, NULL), "an interlock was placed");
  cr_assert_eq (vss_ds_restore_end (handle), VSS_S_OK);
}

Test (ds_api, expired_token_is_refused_and_touches_nothing)
{
  guint32 size = 0;
  g_autofree void *old = good_token (&size, G_GINT64_CONSTANT (3) * 86400 * G_USEC_PER_SEC, 2 * 86400);
  assert_register_refuses_token (old, size, "tombstone lifetime");
  g_autofree char *id = g_build_filename (envdir, "vss-directory.id", NULL);
  cr_assert_not (g_file_test (id, G_FILE_TEST_EXISTS), "the restore touched the target");
}

Test (ds_api, caller_and_argument_rules)
{
  void *token = NULL;
  guint32 size = 0;
  VssDsHandle *h = NULL;
  cr_assert_eq (vss_ds_backup_prepare ("bad_name", 0, 1, &token, &size, &h),
                VSS_DS_HR_COULD_NOT_CONNECT);
  cr_assert_eq (vss_ds_backup_prepare ("other-host.example.org", 0, 1, &token, &size, &h),
                VSS_DS_HR_COULD_NOT_CONNECT);
  cr_assert_eq (vss_ds_backup_prepare (NULL, 1, 1, &token, &size, &h),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_INCREMENTAL, &token, &size, &h),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_LOGS_ONLY, &token, &size, &h),
                VSS_WIN32_ERROR_NOT_SUPPORTED);
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, 1, NULL, &size, &h), VSS_DS_HR_INVALID_PARAM);
  cr_assert_eq (vss_ds_backup_close (NULL), VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_restore_prepare (NULL, 8, NULL, 0, &h), VSS_WIN32_ERROR_INVALID_PARAMETER);
  g_autofree char *backslashed = g_strconcat ("\\\\", g_get_host_name (), NULL);
  gboolean online = TRUE;
  cr_assert_eq (vss_ds_is_ntds_online (backslashed, &online), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  cr_assert_not (online, "nobody has the environment open");
  g_setenv ("VSS_WRITER_PATH", tmpdir, TRUE);
  cr_assert_eq (vss_ds_is_ntds_online (NULL, &online), VSS_DS_HR_COULD_NOT_CONNECT);
}

Test (ds_api, needs_the_backup_privilege)
{
  if (geteuid () != 0)
    cr_skip_test ("needs root: drops to nobody to check the refusal");
  cr_assert_eq (seteuid (65534), 0);
  gboolean online;
  cr_assert_eq (vss_ds_is_ntds_online (NULL, &online), VSS_WIN32_ERROR_ACCESS_DENIED);
  cr_assert (strstr (vss_ds_get_last_error_message (), "CAP_DAC_OVERRIDE"), "%s",
             vss_ds_get_last_error_message ());
}

/* Streams the one database with reads of @chunk into DIR/data.mdb. */
static void
stream_to (VssDsHandle *h, const char *dir, guint32 chunk)
{
  char *names = NULL;
  guint32 size = 0;
  guint64 total = 0, expected = 0;
  cr_assert_eq (vss_ds_backup_get_database_names (h, &names, &size), VSS_S_OK);
  g_autofree char *want = g_build_filename (envdir, "data.mdb", NULL);
  cr_assert_eq ((guint8) names[0], VSS_BFT_NTDS_DATABASE);
  cr_assert_str_eq (names + 1, want);
  cr_assert_eq (size, strlen (want) + 3, "one name, NUL, final NUL");
  cr_assert_eq (vss_ds_backup_read (h, &total, 8, (guint32 *) &size), VSS_DS_HR_INVALID_HANDLE);
  cr_assert_eq (vss_ds_backup_open_file (h, names, 0, &expected), VSS_S_OK);  /* type byte on */
  g_mkdir_with_parents (dir, 0700);
  g_autofree char *out = g_build_filename (dir, "data.mdb", NULL);
  GByteArray *bytes = g_byte_array_new ();
  g_autofree guint8 *buffer = g_malloc (chunk);
  guint32 got;
  VssHResult hr;
  while ((hr = vss_ds_backup_read (h, buffer, chunk, &got)) == VSS_S_OK)
    g_byte_array_append (bytes, buffer, got), total += got;
  cr_assert_eq (hr, VSS_WIN32_ERROR_HANDLE_EOF);
  cr_assert_eq (total, expected);
  cr_assert (g_file_set_contents (out, (char *) bytes->data, bytes->len, NULL));
  g_byte_array_unref (bytes);
  cr_assert_eq (vss_ds_backup_close (h), VSS_S_OK);
  vss_ds_backup_free (names);
}

static guint
count_keys (const char *dir)
{
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_stat st;
  cr_assert_eq (mdb_env_create (&env), 0);
  mdb_env_set_maxdbs (env, 4);
  cr_assert_eq (mdb_env_open (env, dir, MDB_RDONLY, 0600), 0, "%s does not open", dir);
  cr_assert_eq (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn), 0);
  cr_assert_eq (mdb_dbi_open (txn, "people", 0, &dbi), 0);
  cr_assert_eq (mdb_stat (txn, dbi, &st), 0);
  mdb_txn_abort (txn);
  mdb_env_close (env);
  return (guint) st.ms_entries;
}

Test (ds_api, stream_in_odd_sizes_then_restore_through_the_gate)
{
  void *token = NULL;
  guint32 token_size = 0;
  VssDsHandle *h = NULL;
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, 1, &token, &token_size, &h), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  make_env (envdir, 4000);                    /* written after the instant: not in the stream */
  g_autofree char *a = g_build_filename (tmpdir, "a", NULL), *b = g_build_filename (tmpdir, "b", NULL);
  stream_to (h, a, 7);
  stream_to (h, b, 1 << 20);
  cr_assert_eq (vss_ds_backup_end (h), VSS_S_OK);
  cr_assert_eq (count_keys (a), 3000);
  cr_assert_eq (count_keys (b), 3000);

  VssDsHandle *r = NULL;
  cr_assert_eq (vss_ds_restore_prepare (NULL, 0, NULL, 0, &r), VSS_S_OK);
  cr_assert_eq (vss_ds_restore_register (r, "/", "/", NULL, 0, "/", 0, 0),
                VSS_DS_HR_MISSING_EXPIRY_TOKEN, "no token, no restore");
  char *where = NULL;
  guint32 size = 0;
  cr_assert_eq (vss_ds_restore_get_database_locations (r, &where, &size), VSS_S_OK);
  cr_assert_eq ((guint8) where[0], VSS_BFT_NTDS_DATABASE);
  vss_ds_backup_free (where);
  cr_assert_eq (vss_ds_restore_end (r), VSS_S_OK);

  cr_assert_eq (vss_ds_restore_prepare (NULL, 0, token, token_size, &r), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  VssDsRestoreMap bad[] = { { "data.mdb", "relative/data.mdb" } };
  g_autofree char *to = g_build_filename (b, "data.mdb", NULL);
  VssDsRestoreMap good[] = { { "data.mdb", to } };
  cr_assert_eq (vss_ds_restore_register (r, NULL, "/", NULL, 0, "/", 0, 0),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_restore_register (r, "/", "/", NULL, 0, "/", 5, 4),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_restore_register (r, "/", "/", NULL, 0, "/", 0, 0x100000),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_restore_register (r, "/", "/", NULL, 1, "/", 0, 0),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert_eq (vss_ds_restore_register (r, "/", "/", bad, 1, "/", 0, 0),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  cr_assert (vss_ds_restore_gate_check (b, NULL), "a refused register left an interlock");
  cr_assert_eq (vss_ds_restore_register_complete (r, VSS_S_OK), VSS_DS_HR_INVALID_PARAM);
  cr_assert_eq (vss_ds_restore_register (r, "/", "/", good, 1, "/", 0, 0xFFFFF), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  cr_assert_not (vss_ds_restore_gate_check (b, NULL));
  /* damage the restored file: completion is refused and the gate stays shut */
  g_autofree char *saved = NULL;
  gsize len = 0;
  cr_assert (g_file_get_contents (to, &saved, &len, NULL));
  g_autofree char *zeros = g_malloc0 (len);
  cr_assert (g_file_set_contents (to, zeros, len, NULL));
  cr_assert_eq (vss_ds_restore_register_complete (r, VSS_S_OK), VSS_DS_HR_ERROR);
  cr_assert_not (vss_ds_restore_gate_check (b, NULL));
  cr_assert (g_file_set_contents (to, saved, len, NULL));
  cr_assert_eq (vss_ds_restore_register_complete (r, VSS_S_OK), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  cr_assert (vss_ds_restore_gate_check (b, NULL));
  cr_assert_eq (vss_ds_restore_end (r), VSS_S_OK);
  vss_ds_backup_free (token);
}

Test (ds_api, token_for_another_directory_is_refused)
{
  g_autofree char *id = g_build_filename (envdir, "vss-directory.id", NULL);
  cr_assert (g_file_set_contents (id, "0b7c8f6e-1d2a-4b3c-9e4f-5a6b7c8d9e0f\n", -1, NULL));
  guint32 size = 0;
  g_autofree void *token = good_token (&size, 0, 86400);
  assert_register_refuses_token (token, size, "not for");
}

/* A backup handle with the one database open; its size in *out_size. */
static VssDsHandle *
open_database (guint64 *out_size)
{
  void *token = NULL;
  guint32 token_size = 0;
  VssDsHandle *h = NULL;
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, 1, &token, &token_size, &h), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  vss_ds_backup_free (token);
  g_autofree char *name = g_build_filename (envdir, "data.mdb", NULL);
  cr_assert_eq (vss_ds_backup_open_file (h, name, 0, out_size), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  return h;
}

Test (ds_api, read_to_fd_argument_rules)
{
  guint64 written = 7, size = 0;
  g_autofree char *path = g_build_filename (tmpdir, "out", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert_eq (vss_ds_backup_read_to_fd (NULL, fd, 0, &written),
                VSS_WIN32_ERROR_INVALID_PARAMETER);
  VssDsHandle *h = open_database (&size);
  cr_assert_eq (vss_ds_backup_read_to_fd (h, fd, 0, NULL), VSS_DS_HR_INVALID_PARAM);
  cr_assert_eq (vss_ds_backup_read_to_fd (h, -1, 0, &written), VSS_DS_HR_INVALID_PARAM);
  cr_assert_eq (written, 0, "*out_written is 0 after a refusal");
  int readonly = open (path, O_RDONLY);
  cr_assert_eq (vss_ds_backup_read_to_fd (h, readonly, 0, &written), VSS_DS_HR_INVALID_PARAM);
  cr_assert (strstr (vss_ds_get_last_error_message (), "not open for writing"), "%s",
             vss_ds_get_last_error_message ());
  close (readonly);
  cr_assert_eq (vss_ds_backup_read_to_fd (h, readonly, 0, &written), VSS_DS_HR_INVALID_PARAM,
                "a closed fd");
  int pipefd[2];
  cr_assert_eq (pipe2 (pipefd, O_NONBLOCK), 0);
  cr_assert_eq (vss_ds_backup_read_to_fd (h, pipefd[1], 0, &written), VSS_DS_HR_INVALID_PARAM);
  cr_assert (strstr (vss_ds_get_last_error_message (), "non-blocking"), "%s",
             vss_ds_get_last_error_message ());
  close (pipefd[0]);
  close (pipefd[1]);
  /* a failing fd: the reason, and nothing counted */
  int full = open ("/dev/full", O_WRONLY);
  cr_assert_eq (vss_ds_backup_read_to_fd (h, full, 0, &written), VSS_DS_HR_ERROR);
  cr_assert_eq (written, 0);
  cr_assert (strstr (vss_ds_get_last_error_message (), g_strerror (ENOSPC)), "%s",
             vss_ds_get_last_error_message ());
  close (full);
  cr_assert_eq (vss_ds_backup_close (h), VSS_S_OK);
  cr_assert_eq (vss_ds_backup_read_to_fd (h, fd, 0, &written), VSS_DS_HR_INVALID_HANDLE,
                "no file open");
  cr_assert_eq (vss_ds_backup_end (h), VSS_S_OK);
  cr_assert_eq (vss_ds_backup_read_to_fd (h, fd, 0, &written), VSS_WIN32_ERROR_INVALID_PARAMETER,
                "an ended handle");
  close (fd);
}

/* Reads a pipe to its end: a GBytes. */
static gpointer
drain_pipe (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);
  GByteArray *bytes = g_byte_array_new ();
  guint8 buffer[65536];
  ssize_t n;
  while ((n = read (fd, buffer, sizeof buffer)) > 0)
    g_byte_array_append (bytes, buffer, n);
  close (fd);
  return g_byte_array_free_to_bytes (bytes);
}

/* Reads of odd sizes mixed with writes to @fd of at most odd @max, to the
 * end; then both EOF codes. */
static void
mixed_to_end (VssDsHandle *h, int fd, guint64 max, guint64 size)
{
  guint64 total = 0, written = 0;
  guint32 got = 0;
  guint8 buffer[4099];
  for (guint round = 0; total < size; round++) {
    if (round % 2 == 0) {
      cr_assert_eq (vss_ds_backup_read (h, buffer, 1 + round % sizeof buffer, &got), VSS_S_OK);
      cr_assert_eq (write (fd, buffer, got), (ssize_t) got);
      total += got;
      continue;
    }
    cr_assert_eq (vss_ds_backup_read_to_fd (h, fd, max, &written), VSS_S_OK, "%s",
                  vss_ds_get_last_error_message ());
    cr_assert (written > 0 && written <= max, "wrote %lu, max %lu", (gulong) written,
               (gulong) max);
    total += written;
  }
  cr_assert_eq (total, size);
  cr_assert_eq (vss_ds_backup_read_to_fd (h, fd, max, &written), VSS_WIN32_ERROR_HANDLE_EOF);
  cr_assert_eq (written, 0);
  cr_assert_eq (vss_ds_backup_read (h, buffer, sizeof buffer, &got), VSS_WIN32_ERROR_HANDLE_EOF);
  cr_assert_eq (got, 0);
}

Test (ds_api, read_to_fd_mixed_with_reads_is_the_instant)
{
  guint64 size = 0, written = 0;
  VssDsHandle *h = open_database (&size);
  make_env (envdir, 4000);                    /* written after the instant: not in the copy */
  g_autofree char *a = g_build_filename (tmpdir, "a", NULL);
  g_mkdir_with_parents (a, 0700);
  g_autofree char *path = g_build_filename (a, "data.mdb", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  mixed_to_end (h, fd, 4093, size);
  close (fd);
  cr_assert_eq (vss_ds_backup_close (h), VSS_S_OK);
  cr_assert_eq (count_keys (a), 3000);
  /* the whole file in one call, to a pipe drained by a thread */
  g_autofree char *name = g_build_filename (envdir, "data.mdb", NULL);
  cr_assert_eq (vss_ds_backup_open_file (h, name, 0, &size), VSS_S_OK);
  int pipefd[2];
  cr_assert_eq (pipe (pipefd), 0);
  GThread *drain = g_thread_new ("drain", drain_pipe, GINT_TO_POINTER (pipefd[0]));
  cr_assert_eq (vss_ds_backup_read_to_fd (h, pipefd[1], 0, &written), VSS_S_OK);
  cr_assert_eq (written, size);
  close (pipefd[1]);
  g_autoptr(GBytes) piped = g_thread_join (drain);
  g_autofree char *file = NULL;
  gsize length = 0;
  cr_assert (g_file_get_contents (path, &file, &length, NULL));
  cr_assert (length == g_bytes_get_size (piped) && memcmp (file, g_bytes_get_data (piped, NULL),
                                                           length) == 0,
             "the pipe did not get the same bytes as the file");
  cr_assert_eq (vss_ds_backup_end (h), VSS_S_OK);
}
