/* test-directory-online-handles.c — several vss_ds_* backup handles in one
 * process while slapd writes: each copy is the instant of its own
 * prepare, whatever the other handles do (end early, stream at once). */
#include <fcntl.h>
#include <unistd.h>

#include "dir-test.h"

TestSuite (directory_handles, .fini = dfx_teardown, .timeout = 240);

typedef struct {
  VssDsHandle *handle;
  int before, after;            /* people served just before / after the prepare */
  char *copy;
  gulong pause_usec;            /* between pieces of the stream */
  VssHResult hr;                /* of the stream */
  char *message;
} Backup;

static void
prepare (Backup *b)
{
  void *token = NULL;
  guint32 size = 0;
  b->before = slapd_count_people (dfx.slapd);
  cr_assert_eq (vss_ds_backup_prepare (NULL, 0, VSS_DS_BACKUP_TYPE_FULL, &token, &size,
                                       &b->handle), VSS_S_OK, "%s",
                vss_ds_get_last_error_message ());
  b->after = slapd_count_people (dfx.slapd);
  vss_ds_backup_free (token);
}

/* Streams the handle's one database into b->copy/data.mdb; no asserts
 * (it runs on a thread): b->hr is EOF when it arrived whole. */
static gpointer
stream (gpointer data)
{
  Backup *b = data;
  char *names = NULL;
  guint32 size = 0;
  guint64 expected = 0, total = 0, written = 0;
  g_autofree char *path = g_build_filename (b->copy, "data.mdb", NULL);
  if ((b->hr = vss_ds_backup_get_database_names (b->handle, &names, &size)) != VSS_S_OK ||
      (b->hr = vss_ds_backup_open_file (b->handle, names + 1, 0, &expected)) != VSS_S_OK)
    goto out;
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  /* small pieces, so the server writes on while the copy is made */
  while ((b->hr = vss_ds_backup_read_to_fd (b->handle, fd, 65536, &written)) == VSS_S_OK) {
    total += written;
    g_usleep (b->pause_usec);
  }
  close (fd);
  if (b->hr == VSS_WIN32_ERROR_HANDLE_EOF && total != expected)
    b->hr = VSS_DS_HR_ERROR;
  vss_ds_backup_close (b->handle);
out:
  b->message = g_strdup (vss_ds_get_last_error_message ());
  vss_ds_backup_free (names);
  return NULL;
}

static void
assert_own_instant (Backup *b, const char *what)
{
  cr_assert_eq (b->hr, VSS_WIN32_ERROR_HANDLE_EOF, "%s: 0x%08X %s", what, b->hr, b->message);
  guint n = dfx_assert_prefix (b->copy, 1);
  cr_assert (n >= (guint) b->before && n <= (guint) b->after,
             "%s holds people 1..%u, but the server had %d..%d at its prepare: not its instant",
             what, n, b->before, b->after);
  g_free (b->message);
  g_free (b->copy);
}

static GPid
start_writes (guint first, guint count)
{
  g_autofree char *more = slapd_people_ldif (first, count, 600);
  return slapd_add_async (dfx.slapd, more);
}

Test (directory_handles, ending_one_handle_keeps_the_others_instant)
{
  dfx_setup (1000, NULL);
  GPid writer = start_writes (1001, 6000);
  Backup first = { .copy = dfx_path ("first") }, second = { .copy = dfx_path ("second") };
  g_usleep (200000);
  prepare (&first);
  g_usleep (200000);
  prepare (&second);
  g_usleep (200000);
  /* the later handle ends first: LMDB clears every reader slot of the
   * process up to its own when an environment handle closes */
  cr_assert_eq (vss_ds_backup_end (second.handle), VSS_S_OK);
  g_usleep (1500000);                        /* the server reuses every page it may */
  stream (&first);
  cr_assert_eq (vss_ds_backup_end (first.handle), VSS_S_OK);
  cr_assert_eq (slapd_wait (writer, 120000), 0, "the concurrent ldapadd failed");
  assert_own_instant (&first, "the first handle's copy");
  g_free (second.copy);
}

#define N_HANDLES 4

Test (directory_handles, four_handles_stream_at_once_each_its_own_instant)
{
  dfx_setup (1000, NULL);
  GPid writer = start_writes (1001, 6000);
  Backup backups[N_HANDLES];
  GThread *threads[N_HANDLES];
  for (int i = 0; i < N_HANDLES; i++) {
    g_usleep (150000);
    /* the later a handle, the sooner its copy is done */
    backups[i] = (Backup) { .copy = g_strdup_printf ("%s/copy-%d", dfx.tmpdir, i),
                            .pause_usec = (N_HANDLES - 1 - i) * 3000 };
    g_mkdir_with_parents (backups[i].copy, 0700);
    prepare (&backups[i]);
  }
  for (int i = 0; i < N_HANDLES; i++)
    threads[i] = g_thread_new ("stream", stream, &backups[i]);
  /* each ends as soon as its copy is done, while the others still stream */
  for (int i = N_HANDLES - 1; i >= 0; i--) {
    g_thread_join (threads[i]);
    cr_assert_eq (vss_ds_backup_end (backups[i].handle), VSS_S_OK);
  }
  cr_assert_eq (slapd_wait (writer, 120000), 0, "the concurrent ldapadd failed");
  for (int i = 0; i < N_HANDLES; i++) {
    g_autofree char *what = g_strdup_printf ("handle %d's copy", i);
    assert_own_instant (&backups[i], what);
  }
}
