/* dir-hold-main.c — vss-lmdb-hold: the process that holds the directory
 * writer's freeze (dir-hold.h).
 *
 *   vss-lmdb-hold FREEZE_TIMEOUT_MS DIR…
 *
 * It opens every LMDB environment, then takes commands on stdin, one
 * byte each, and answers on stdout:
 *   F  take every environment's writer lock (waits while the directory
 *      server writes); answers H, or E and a message line
 *   R  release them; answers D, or T when its own deadline had released
 *      them already
 * The locks are held at most FREEZE_TIMEOUT_MS after F: the deadline is
 * kept by this process, so it holds even while the process that asked is
 * stopped (SIGSTOP, a debugger, a cgroup freezer).  End of file on stdin
 * (the writer's process died) releases them at once and ends it. */
#include <errno.h>
#include <lmdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_DBS 256

static MDB_env **envs;
static MDB_txn **txns;
static int n_envs;

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
answer (const char *text)
{
  if (write (STDOUT_FILENO, text, strlen (text)) < 0)
    exit (1);
}

static int
open_all (char **dirs)
{
  for (int i = 0; i < n_envs; i++) {
    int rc = mdb_env_create (&envs[i]);
    if (rc == 0)
      rc = mdb_env_set_maxdbs (envs[i], MAX_DBS);
    if (rc == 0)
      rc = mdb_env_open (envs[i], dirs[i], 0, 0600);
    if (rc != 0) {
      fprintf (stderr, "cannot open the LMDB environment %s: %s\n", dirs[i], mdb_strerror (rc));
      return rc;
    }
  }
  return 0;
}

static void
release_all (int count)
{
  for (int i = count; i-- > 0;)
    mdb_txn_abort (txns[i]);    /* an abort writes nothing */
}

/* F: every lock, in order; on a failure those taken are let go. */
static int
take_all (char **dirs)
{
  for (int i = 0; i < n_envs; i++) {
    int rc = mdb_txn_begin (envs[i], NULL, 0, &txns[i]);
    if (rc != 0) {
      release_all (i);
      char line[512];
      snprintf (line, sizeof line, "Ecannot take the LMDB writer lock of %s: %s\n", dirs[i],
                mdb_strerror (rc));
      answer (line);
      return rc;
    }
  }
  answer ("H");
  return 0;
}

/* Held: until R, end of file, or the deadline. */
static void
hold (long long deadline)
{
  for (;;) {
    long long left = deadline - now_ms ();
    struct pollfd in = { STDIN_FILENO, POLLIN, 0 };
    int ready = left > 0 ? poll (&in, 1, (int) left) : 0;
    if (ready < 0 && errno == EINTR)
      continue;
    char cmd = 0;
    ssize_t n = ready > 0 ? read (STDIN_FILENO, &cmd, 1) : -1;
    release_all (n_envs);
    if (ready == 0) {
      answer ("T");             /* the asker learns at its release */
      return;
    }
    if (n <= 0)
      exit (0);                 /* the writer's process is gone */
    answer ("D");
    return;
  }
}

int
main (int argc, char **argv)
{
  if (argc < 3) {
    fprintf (stderr, "usage: %s FREEZE_TIMEOUT_MS DIR… (started by the directory writer)\n",
             argv[0]);
    return 2;
  }
  long long timeout_ms = atoll (argv[1]);
  n_envs = argc - 2;
  envs = calloc ((size_t) n_envs, sizeof *envs);
  txns = calloc ((size_t) n_envs, sizeof *txns);
  if (envs == NULL || txns == NULL || timeout_ms <= 0 || open_all (argv + 2) != 0)
    return 1;
  char cmd;
  ssize_t n;
  while ((n = read (STDIN_FILENO, &cmd, 1)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    if (cmd == 'F' && take_all (argv + 2) == 0)
      hold (now_ms () + timeout_ms);
    /* an R with nothing held is the late release after a T: the asker
     * reads that T as its answer */
  }
  return 0;
}
