/* cert-freezer.c — the lock thread: one command queue, one reply queue. */
#include "cert-freezer.h"

#include "cert-store.h"

typedef enum { CMD_FREEZE, CMD_THAW, CMD_QUIT } CmdKind;

typedef struct {
  CmdKind kind;
  GPtrArray *databases;
  guint budget_ms;
  guint acquire_ms;
} Cmd;

typedef struct {
  gboolean ok;
  GError *error;
  CertThawResult thaw;
} Reply;

typedef struct {
  char *path;
  sqlite3 *lock;       /* holds BEGIN IMMEDIATE */
  sqlite3 *watch;      /* reads data_version, to see others' commits */
  gint64 version;
} Held;

struct _CertFreezer {
  GThread *thread;
  GAsyncQueue *commands;
  GAsyncQueue *replies;
  gboolean frozen;     /* caller side: freeze succeeded, thaw not yet sent */
  /* thread side */
  GPtrArray *held;     /* Held */
  gint64 locked_usec;
};

static void
held_free (Held *held)
{
  sqlite3_close (held->watch);
  sqlite3_close (held->lock);
  g_free (held->path);
  g_free (held);
}

/* Checks for foreign commits first: after ROLLBACK anyone may commit. */
static char *
release_all (CertFreezer *self)
{
  char *changed = NULL;
  for (guint i = 0; self->held != NULL && i < self->held->len; i++) {
    Held *held = g_ptr_array_index (self->held, i);
    if (changed == NULL && held->watch != NULL && cert_db_data_version (held->watch) != held->version)
      changed = g_strdup (held->path);
    sqlite3_exec (held->lock, "ROLLBACK", NULL, NULL, NULL);
  }
  g_clear_pointer (&self->held, g_ptr_array_unref);
  return changed;
}

static gboolean
lock_one (Held *held, GError **error)
{
  held->lock = cert_db_open (held->path, 20, error);
  if (held->lock == NULL || !cert_db_exec (held->lock, held->path, "BEGIN IMMEDIATE", error))
    return FALSE;
  held->watch = cert_db_open (held->path, 200, error);
  if (held->watch == NULL)
    return FALSE;
  held->version = cert_db_data_version (held->watch);
  return TRUE;
}

/* All or none; on busy, let go of everything and retry, so two lockers
 * taking the files in another order cannot wait on each other. */
static gboolean
lock_all (CertFreezer *self, const Cmd *cmd, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) cmd->acquire_ms * 1000;
  for (;;) {
    g_autoptr(GError) local = NULL;
    self->held = g_ptr_array_new_with_free_func ((GDestroyNotify) held_free);
    for (guint i = 0; i < cmd->databases->len && local == NULL; i++) {
      Held *held = g_new0 (Held, 1);
      held->path = g_strdup (g_ptr_array_index (cmd->databases, i));
      g_ptr_array_add (self->held, held);
      lock_one (held, &local);
    }
    if (local == NULL)
      return TRUE;
    g_free (release_all (self));
    if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_BUSY) ||
        g_get_monotonic_time () >= deadline) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
    g_usleep (5000);
  }
}

/* Waits for thaw until the budget; returns the command that ended the
 * window (thaw or quit), or NULL when the budget did, locks released. */
static Cmd *
run_frozen (CertFreezer *self, guint budget_ms, CertThawResult *result)
{
  gint64 deadline = self->locked_usec + (gint64) budget_ms * 1000;
  gint64 left = deadline - g_get_monotonic_time ();
  Cmd *cmd = left > 0 ? g_async_queue_timeout_pop (self->commands, (guint64) left) : NULL;
  result->held_usec = g_get_monotonic_time () - self->locked_usec;
  result->changed_database = release_all (self);
  result->expired = cmd == NULL;
  return cmd;
}

static gpointer
thread_main (gpointer data)
{
  CertFreezer *self = data;
  CertThawResult last = { 0 };
  for (;;) {
    Cmd *cmd = g_async_queue_pop (self->commands);
    Reply *reply = g_new0 (Reply, 1);
    while (cmd != NULL && cmd->kind == CMD_FREEZE) {
      reply->ok = lock_all (self, cmd, &reply->error);
      self->locked_usec = g_get_monotonic_time ();
      guint budget = cmd->budget_ms;
      g_ptr_array_unref (cmd->databases);
      g_free (cmd);
      g_async_queue_push (self->replies, reply);
      reply = g_new0 (Reply, 1);
      cmd = NULL;
      if (self->held != NULL) {
        g_free (last.changed_database);
        last = (CertThawResult) { 0 };
        cmd = run_frozen (self, budget, &last);
        if (cmd == NULL)
          cmd = g_async_queue_pop (self->commands);   /* the late thaw */
      } else {
        cmd = g_async_queue_pop (self->commands);
      }
    }
    /* thaw (or quit): report the last window, once */
    reply->ok = TRUE;
    reply->thaw = last;
    last = (CertThawResult) { 0 };
    CmdKind kind = cmd->kind;
    g_free (cmd);
    g_async_queue_push (self->replies, reply);
    if (kind == CMD_QUIT)
      return NULL;
  }
}

CertFreezer *
cert_freezer_new (void)
{
  CertFreezer *self = g_new0 (CertFreezer, 1);
  self->commands = g_async_queue_new ();
  self->replies = g_async_queue_new ();
  self->thread = g_thread_new ("certificate-locks", thread_main, self);
  return self;
}

static Reply *
send (CertFreezer *self, Cmd *cmd)
{
  g_async_queue_push (self->commands, cmd);
  return g_async_queue_pop (self->replies);
}

void
cert_freezer_free (CertFreezer *self)
{
  if (self == NULL)
    return;
  Cmd *cmd = g_new0 (Cmd, 1);
  cmd->kind = CMD_QUIT;
  Reply *reply = send (self, cmd);
  g_free (reply->thaw.changed_database);
  g_free (reply);
  g_thread_join (self->thread);
  g_async_queue_unref (self->commands);
  g_async_queue_unref (self->replies);
  g_free (self);
}

gboolean
cert_freezer_freeze (CertFreezer *self, GPtrArray *databases, guint budget_ms, guint acquire_ms,
                     GError **error)
{
  Cmd *cmd = g_new0 (Cmd, 1);
  cmd->kind = CMD_FREEZE;
  cmd->databases = g_ptr_array_ref (databases);
  cmd->budget_ms = budget_ms;
  cmd->acquire_ms = acquire_ms;
  Reply *reply = send (self, cmd);
  gboolean ok = reply->ok;
  if (!ok)
    g_propagate_error (error, reply->error);
  g_free (reply);
  self->frozen = ok;
  return ok;
}

void
cert_freezer_thaw (CertFreezer *self, CertThawResult *result)
{
  Cmd *cmd = g_new0 (Cmd, 1);
  cmd->kind = CMD_THAW;
  Reply *reply = send (self, cmd);
  *result = reply->thaw;
  g_free (reply);
  self->frozen = FALSE;
}

gboolean
cert_freezer_is_frozen (CertFreezer *self)
{
  return self->frozen;
}
