/* dir-hold.c — the hold thread (see dir-hold.h). */
#include "dir-hold.h"

#include <vss/vss.h>

typedef enum { HOLD_IDLE, HOLD_TRYING, HOLD_HELD, HOLD_FAILED } HoldState;

struct _DirHold {
  GPtrArray *envs;              /* DirEnv*, borrowed */
  GThread *thread;
  GMutex lock;
  GCond cond;
  HoldState state;
  gboolean want_release;
  gboolean quit;
  gboolean abandoned;           /* freeze gave up waiting: drop the locks at once */
  gboolean timed_out;           /* the deadline released the locks */
  gint64 deadline;              /* monotonic µs */
  int rc;                       /* of the failed mdb_txn_begin */
  guint failed_index;
};

/* Begins a write transaction on every environment, in order; on a failure
 * aborts those already begun.  Blocks while the server is writing. */
static int
begin_all (DirHold *self, MDB_txn **txns, guint *out_failed)
{
  for (guint i = 0; i < self->envs->len; i++) {
    DirEnv *env = g_ptr_array_index (self->envs, i);
    int rc = mdb_txn_begin (env->env, NULL, 0, &txns[i]);
    if (rc != 0) {
      *out_failed = i;
      for (guint j = i; j-- > 0;)
        mdb_txn_abort (txns[j]);
      return rc;
    }
  }
  return 0;
}

static void
abort_all (DirHold *self, MDB_txn **txns)
{
  for (guint i = self->envs->len; i-- > 0;)
    mdb_txn_abort (txns[i]);    /* an abort writes nothing: the server's view is unchanged */
}

/* Called with the lock held, the transactions begun: waits for a release,
 * the quit or the deadline, then aborts them. */
static void
hold_until_release (DirHold *self, MDB_txn **txns)
{
  self->state = HOLD_HELD;
  g_cond_broadcast (&self->cond);
  while (!self->want_release && !self->quit)
    if (!g_cond_wait_until (&self->cond, &self->lock, self->deadline)) {
      self->timed_out = !self->want_release && !self->quit;
      break;
    }
  g_mutex_unlock (&self->lock);
  abort_all (self, txns);
  g_mutex_lock (&self->lock);
  if (self->timed_out)
    g_warning ("directory: freeze deadline reached without a thaw: LMDB writer locks released");
  self->want_release = FALSE;
  self->state = HOLD_IDLE;
  g_cond_broadcast (&self->cond);
}

static gpointer
hold_thread (gpointer data)
{
  DirHold *self = data;
  g_autofree MDB_txn **txns = g_new0 (MDB_txn *, self->envs->len + 1);
  g_mutex_lock (&self->lock);
  for (;;) {
    while (self->state != HOLD_TRYING && !self->quit)
      g_cond_wait (&self->cond, &self->lock);
    if (self->quit)
      break;
    g_mutex_unlock (&self->lock);
    guint failed = 0;
    int rc = begin_all (self, txns, &failed);
    g_mutex_lock (&self->lock);
    if (rc == 0 && !self->abandoned && !self->quit) {
      hold_until_release (self, txns);
      continue;
    }
    if (rc == 0) {
      g_mutex_unlock (&self->lock);
      abort_all (self, txns);
      g_mutex_lock (&self->lock);
    }
    self->rc = rc;
    self->failed_index = failed;
    self->state = rc != 0 && !self->abandoned ? HOLD_FAILED : HOLD_IDLE;
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

DirHold *
dir_hold_new (GPtrArray *envs)
{
  DirHold *self = g_new0 (DirHold, 1);
  self->envs = envs;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->thread = g_thread_new ("directory-hold", hold_thread, self);
  return self;
}

void
dir_hold_free (DirHold *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->quit = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
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
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  if (self->state == HOLD_HELD || self->state == HOLD_TRYING) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "already frozen or still waiting for an earlier freeze's LMDB lock");
    return FALSE;
  }
  gint64 now = g_get_monotonic_time ();
  self->deadline = now + (gint64) freeze_timeout_ms * 1000;
  self->abandoned = self->timed_out = FALSE;
  self->state = HOLD_TRYING;
  g_cond_broadcast (&self->cond);
  gint64 give_up = now + (gint64) MIN (lock_timeout_ms, freeze_timeout_ms) * 1000;
  while (self->state == HOLD_TRYING)
    if (!g_cond_wait_until (&self->cond, &self->lock, give_up))
      break;
  if (self->state == HOLD_HELD)
    return TRUE;
  if (self->state == HOLD_TRYING) {
    self->abandoned = TRUE;     /* the thread drops the locks when it gets them */
    set_busy_error (self, MIN (lock_timeout_ms, freeze_timeout_ms), error);
    return FALSE;
  }
  DirEnv *env = g_ptr_array_index (self->envs, self->failed_index);
  dir_env_set_error (error, self->rc, "cannot take the LMDB writer lock of %s", env->path);
  self->state = HOLD_IDLE;
  return FALSE;
}

void
dir_hold_release (DirHold *self, gboolean *out_timed_out)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  if (self->state == HOLD_HELD) {
    self->want_release = TRUE;
    g_cond_broadcast (&self->cond);
    while (self->state == HOLD_HELD)
      g_cond_wait (&self->cond, &self->lock);
  }
  if (out_timed_out != NULL)
    *out_timed_out = self->timed_out;
  self->timed_out = FALSE;
}

gboolean
dir_hold_is_held (DirHold *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  return self->state == HOLD_HELD;
}
