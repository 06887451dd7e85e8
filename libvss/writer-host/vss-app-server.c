/* vss-app-server.c — the coordinator's writer socket.
 *
 * A listening Unix socket served by one accept thread.  Every accepted
 * connection gets a short-lived handshake thread: the peer's credentials
 * are checked (SO_PEERCRED) before anything is read, then its hello says
 * what it is — an application writer registering itself (kept, with a
 * VssPeer of its own, until it disconnects), or a requester in another
 * process that wants to reach those writers (served by the relay,
 * vss-app-relay.c, on that thread). */
#include "vss-app-private.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/vss-paths.h"
#include "vss-wire.h"
#include "vss-writer-endpoint.h"

typedef struct {
  int listen_fd;
  int stop_pipe[2];
  char *path;
  gboolean owns_file;         /* FALSE for an inherited socket: its owner removes it */
  GThread *thread;
  GPtrArray *entries;         /* VssAppEntry, registered ones */
} Server;

static GMutex server_lock;
static Server *server;        /* NULL when not serving */

/* ---- entries ---- */

VssAppEntry *
vss_app_entry_ref (VssAppEntry *entry)
{
  g_atomic_ref_count_inc (&entry->ref);
  return entry;
}

void
vss_app_entry_unref (VssAppEntry *entry)
{
  if (entry == NULL || !g_atomic_ref_count_dec (&entry->ref))
    return;
  if (entry->peer != NULL)
    vss_peer_unref (entry->peer);
  g_free (entry->writer_id);
  g_free (entry->name);
  g_mutex_clear (&entry->lock);
  g_free (entry);
}

static void
unregister (VssAppEntry *entry)
{
  g_mutex_lock (&server_lock);
  /* The array's free function drops the registry's reference. */
  if (server != NULL)
    g_ptr_array_remove (server->entries, entry);
  g_mutex_unlock (&server_lock);
}

static char *
entry_lost (VssPeer *peer, const char *why, gpointer user_data)
{
  VssAppEntry *entry = user_data;
  g_message ("writer %s (pid %" G_GINT64_FORMAT "): disconnected: %s", entry->name,
             entry->pid, why);
  unregister (entry);
  char *described = g_strdup_printf ("the application writer (pid %" G_GINT64_FORMAT
                                     ") disconnected: %s", entry->pid, why);
  vss_app_entry_unref (entry);       /* the peer's reference */
  return described;
}

VssAppEntry *
vss_app_server_find (const char *name)
{
  VssAppEntry *found = NULL;
  g_mutex_lock (&server_lock);
  for (guint i = 0; server != NULL && i < server->entries->len; i++) {
    VssAppEntry *entry = g_ptr_array_index (server->entries, i);
    if (g_str_equal (entry->name, name))
      found = vss_app_entry_ref (entry);
  }
  g_mutex_unlock (&server_lock);
  return found;
}

GPtrArray *
vss_app_server_list (void)
{
  GPtrArray *list = NULL;
  g_mutex_lock (&server_lock);
  if (server != NULL) {
    list = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_app_entry_unref);
    for (guint i = 0; i < server->entries->len; i++)
      g_ptr_array_add (list, vss_app_entry_ref (g_ptr_array_index (server->entries, i)));
  }
  g_mutex_unlock (&server_lock);
  return list;
}

/* ---- who may connect ---- */

static char *
configured (const char *env_name, const char *key)
{
  const char *env = g_getenv (env_name);
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  g_autofree char *file = g_build_filename (vss_paths_config_dir (), "writer-socket.conf", NULL);
  g_autoptr(GKeyFile) conf = g_key_file_new ();
  if (!g_key_file_load_from_file (conf, file, G_KEY_FILE_NONE, NULL))
    return NULL;
  return g_key_file_get_string (conf, "writer-socket", key, NULL);
}

char *
vss_writer_socket_default_path (void)
{
  char *path = configured ("VSS_WRITER_SOCKET", "socket");
  return path != NULL ? path : g_build_filename (vss_paths_runtime_dir (), "writers.sock", NULL);
}

/* Is @pid in supplementary group @gid?  From /proc: SO_PEERCRED only
 * carries the primary group. */
static gboolean
pid_in_group (pid_t pid, gid_t gid)
{
  g_autofree char *file = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *contents = NULL;
  if (!g_file_get_contents (file, &contents, NULL, NULL))
    return FALSE;
  const char *line = strstr (contents, "\nGroups:");
  if (line == NULL)
    return FALSE;
  g_autofree char *groups = g_strndup (line + 8, strcspn (line + 8, "\n"));
  g_auto(GStrv) words = g_strsplit (g_strstrip (groups), " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0' && g_ascii_strtoull (words[i], NULL, 10) == gid)
      return TRUE;
  return FALSE;
}

gboolean
vss_app_check_peer (int fd, GError **error)
{
  struct ucred cred;
  socklen_t len = sizeof cred;

  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED, "cannot read the peer's credentials: %s",
                 g_strerror (errno));
    return FALSE;
  }
  if (cred.uid == 0 || cred.uid == geteuid ())
    return TRUE;
  g_autofree char *group = configured ("VSS_WRITER_SOCKET_GROUP", "group");
  struct group *gr = group != NULL ? getgrnam (group) : NULL;
  if (gr != NULL && (cred.gid == gr->gr_gid || pid_in_group (cred.pid, gr->gr_gid)))
    return TRUE;
  g_set_error (error, VSS_ERROR, VSS_ERROR_ACCESS_DENIED,
               "pid %d runs as uid %u, which is neither root, the coordinator's uid %u, nor in "
               "the writer socket group%s%s%s; run the writer as one of those or set "
               "VSS_WRITER_SOCKET_GROUP", (int) cred.pid, (unsigned) cred.uid,
               (unsigned) geteuid (), group != NULL ? " \"" : " (none configured)",
               group != NULL ? group : "", group != NULL ? "\"" : "");
  return FALSE;
}

/* ---- handshakes ---- */

static void
send_error (int fd, const GError *error)
{
  json_object *message = vss_wire_message_new ("error");
  json_object_object_add (message, "message", json_object_new_string (error->message));
  json_object_object_add (message, "code", json_object_new_int (error->code));
  vss_wire_write (fd, message, NULL);
  json_object_put (message);
}

static gboolean
register_writer (int fd, json_object *hello, GError **error)
{
  VssAppEntry *entry = g_new0 (VssAppEntry, 1);
  g_atomic_ref_count_init (&entry->ref);
  g_mutex_init (&entry->lock);
  if (!vss_writer_hello_parse (hello, &entry->descriptor, &entry->writer_id, &entry->name,
                               &entry->pid, error)) {
    vss_app_entry_unref (entry);
    return FALSE;
  }
  g_mutex_lock (&server_lock);
  for (guint i = 0; server != NULL && i < server->entries->len; i++) {
    VssAppEntry *other = g_ptr_array_index (server->entries, i);
    if (g_str_equal (other->name, entry->name) || g_str_equal (other->writer_id, entry->writer_id)) {
      g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                   "a writer named \"%s\" or with id %s is already registered (pid %" G_GINT64_FORMAT
                   "); stop it first", other->name, other->writer_id, other->pid);
      g_mutex_unlock (&server_lock);
      vss_app_entry_unref (entry);
      return FALSE;
    }
  }
  entry->registered = TRUE;
  /* The client waits for this before it serves (vss_writer_client_connect). */
  json_object *confirm = vss_wire_message_new ("registered");
  vss_wire_write (fd, confirm, NULL);
  json_object_put (confirm);
  if (server != NULL)
    g_ptr_array_add (server->entries, vss_app_entry_ref (entry));
  /* The peer's reference, dropped in entry_lost. */
  vss_app_entry_ref (entry);
  entry->peer = vss_peer_new (fd, entry->name, NULL, entry_lost, entry);
  g_mutex_unlock (&server_lock);
  g_message ("writer %s (pid %" G_GINT64_FORMAT "): registered", entry->name, entry->pid);
  vss_app_entry_unref (entry);
  return TRUE;
}

static gpointer
handshake_thread (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  json_object *hello = NULL;
  json_object *ours = vss_wire_hello_new ("coordinator");

  gboolean ok = vss_app_check_peer (fd, &error) && vss_app_handshake (fd, ours, &hello, &error);
  json_object_put (ours);
  if (ok) {
    json_object *role_member = NULL;
    json_object_object_get_ex (hello, "role", &role_member);
    const char *role = json_object_get_string (role_member);
    if (g_strcmp0 (role, "writer") == 0) {
      ok = register_writer (fd, hello, &error);
      if (ok)
        fd = -1;   /* the peer owns it now */
    } else if (g_strcmp0 (role, "relay") == 0) {
      vss_app_relay_serve (fd, hello);
    } else {
      g_set_error (&error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                   "writer protocol: unknown role \"%s\"", role != NULL ? role : "(none)");
      ok = FALSE;
    }
  }
  if (!ok) {
    g_message ("writer socket: refused a connection: %s", error->message);
    send_error (fd, error);
  }
  json_object_put (hello);
  if (fd >= 0)
    close (fd);
  return NULL;
}

/* ---- listening ---- */

static gpointer
accept_thread (gpointer data)
{
  Server *self = data;
  for (;;) {
    struct pollfd fds[2] = {
      { .fd = self->listen_fd, .events = POLLIN },
      { .fd = self->stop_pipe[0], .events = POLLIN },
    };
    if (poll (fds, 2, -1) < 0 && errno != EINTR)
      break;
    if (fds[1].revents != 0)
      break;
    if (!(fds[0].revents & POLLIN))
      continue;
    int fd = accept4 (self->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    struct timeval tv = { VSS_APP_HELLO_TIMEOUT_MS / 1000, 0 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    g_thread_unref (g_thread_new ("vss-hs", handshake_thread, GINT_TO_POINTER (fd)));
  }
  return NULL;
}

/* Removes a stale socket file, but never one somebody still listens on. */
static gboolean
clear_stale_socket (const char *path, GError **error)
{
  g_autoptr(GError) probe_error = NULL;
  int probe = vss_app_connect (path, &probe_error);
  if (probe >= 0) {
    close (probe);
    g_set_error (error, VSS_ERROR, VSS_ERROR_OBJECT_ALREADY_EXISTS,
                 "another process already serves the writer socket %s; stop it (vss daemon?) "
                 "or choose another path", path);
    return FALSE;
  }
  unlink (path);
  return TRUE;
}

static int
listen_on (const char *path, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_autofree char *dir = g_path_get_dirname (path);

  if (strlen (path) >= sizeof addr.sun_path) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "writer socket path %s is longer than %zu bytes; choose a shorter one",
                 path, sizeof addr.sun_path - 1);
    return -1;
  }
  if (!vss_paths_ensure_dir (dir, error) || !clear_stale_socket (path, error))
    return -1;
  strcpy (addr.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* Everyone may connect: the credentials decide (vss_app_check_peer). */
  mode_t old = umask (0111);
  int rc = fd < 0 ? -1 : bind (fd, (struct sockaddr *) &addr, sizeof addr);
  umask (old);
  if (rc < 0 || listen (fd, 64) < 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "cannot listen on the writer socket %s: %s", path, g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return -1;
  }
  return fd;
}

static gboolean
already_serving (GError **error)
{
  g_mutex_lock (&server_lock);
  gboolean running = server != NULL;
  g_mutex_unlock (&server_lock);
  if (running)
    g_set_error (error, VSS_ERROR, VSS_ERROR_BAD_STATE,
                 "this process already serves a writer socket; call vss_writer_socket_stop first");
  return running;
}

/* Serves @fd (taken) from an accept thread; @path for the logs. */
static void
start_server (int fd, char *path, gboolean owns_file)
{
  Server *self = g_new0 (Server, 1);
  self->listen_fd = fd;
  self->path = path;
  self->owns_file = owns_file;
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_app_entry_unref);
  if (pipe2 (self->stop_pipe, O_CLOEXEC) < 0)
    g_error ("writer socket: pipe: %s", g_strerror (errno));
  self->thread = g_thread_new ("vss-accept", accept_thread, self);
  g_mutex_lock (&server_lock);
  server = self;
  g_mutex_unlock (&server_lock);
  g_message ("writer socket: listening on %s%s", self->path, owns_file ? "" : " (inherited)");
}

gboolean
vss_writer_socket_serve (const char *path, GError **error)
{
  g_autofree char *chosen = path != NULL ? g_strdup (path) : vss_writer_socket_default_path ();

  if (already_serving (error))
    return FALSE;
  int fd = listen_on (chosen, error);
  if (fd < 0)
    return FALSE;
  start_server (fd, g_steal_pointer (&chosen), TRUE);
  return TRUE;
}

/* The path an inherited socket is bound to; NULL when @fd is not a
 * listening Unix stream socket. */
static char *
listening_unix_path (int fd)
{
  struct sockaddr_un addr = { 0 };
  socklen_t len = sizeof addr;
  int listening = 0, type = 0;
  socklen_t optlen = sizeof listening;
  if (getsockname (fd, (struct sockaddr *) &addr, &len) < 0 || addr.sun_family != AF_UNIX ||
      getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) < 0 || !listening)
    return NULL;
  optlen = sizeof type;
  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &optlen) < 0 || type != SOCK_STREAM)
    return NULL;
  gsize n = len > offsetof (struct sockaddr_un, sun_path) ? len - offsetof (struct sockaddr_un, sun_path) : 0;
  if (n == 0 || addr.sun_path[0] == '\0')
    return g_strdup ("(unnamed or abstract socket)");
  return g_strndup (addr.sun_path, n);
}

gboolean
vss_writer_socket_serve_fd (int fd, GError **error)
{
  g_autofree char *path = listening_unix_path (fd);
  if (path == NULL) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG,
                 "fd %d is not a listening Unix stream socket; check the socket unit "
                 "(ListenStream= of a path)", fd);
    return FALSE;
  }
  if (already_serving (error))
    return FALSE;
  /* Children (the writer helpers) must not hold the listening socket. */
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  start_server (fd, g_steal_pointer (&path), FALSE);
  return TRUE;
}

void
vss_writer_socket_stop (void)
{
  g_mutex_lock (&server_lock);
  Server *self = g_steal_pointer (&server);
  g_mutex_unlock (&server_lock);
  if (self == NULL)
    return;
  if (write (self->stop_pipe[1], "x", 1) < 0)
    g_warning ("writer socket: cannot stop the accept thread: %s", g_strerror (errno));
  g_thread_join (self->thread);
  for (guint i = 0; i < self->entries->len; i++)
    vss_peer_stop (((VssAppEntry *) g_ptr_array_index (self->entries, i))->peer);
  g_ptr_array_unref (self->entries);
  close (self->listen_fd);
  close (self->stop_pipe[0]);
  close (self->stop_pipe[1]);
  if (self->owns_file)
    unlink (self->path);
  g_free (self->path);
  g_free (self);
}

/* ---- connecting (clients and the relay) ---- */

int
vss_app_connect (const char *path, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof addr.sun_path) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_INVALID_ARG, "writer socket path %s is too long", path);
    return -1;
  }
  strcpy (addr.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
    g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "cannot connect to the writer socket %s: %s; is `vss daemon` running?",
                 path, g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return -1;
  }
  struct timeval tv = { VSS_APP_HELLO_TIMEOUT_MS / 1000, 0 };
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

gboolean
vss_app_handshake (int fd, json_object *our_hello, json_object **out_hello, GError **error)
{
  g_autoptr(GError) write_error = NULL;
  /* A refusing coordinator may have hung up already: its "error" is
   * still there to read, and says more than our failed write. */
  vss_wire_write (fd, our_hello, &write_error);
  json_object *reply = vss_wire_read (fd, NULL);
  if (reply == NULL && write_error != NULL) {
    g_propagate_error (error, g_steal_pointer (&write_error));
    return FALSE;
  }
  if (reply == NULL) {
    if (error != NULL && *error == NULL)
      g_set_error (error, VSS_ERROR, VSS_ERROR_WRITER_INFRASTRUCTURE,
                   "writer protocol: the other side closed the connection before its hello");
    return FALSE;
  }
  if (g_strcmp0 (vss_wire_message_type (reply), "error") == 0) {
    json_object *text = NULL, *code = NULL;
    json_object_object_get_ex (reply, "message", &text);
    json_object_object_get_ex (reply, "code", &code);
    g_set_error (error, VSS_ERROR, code != NULL ? json_object_get_int (code)
                                                : VSS_ERROR_WRITER_INFRASTRUCTURE,
                 "refused by the coordinator: %s", text ? json_object_get_string (text) : "no reason");
    json_object_put (reply);
    return FALSE;
  }
  if (!vss_wire_check_hello (reply, error)) {
    json_object_put (reply);
    return FALSE;
  }
  *out_hello = reply;
  return TRUE;
}

/* ---- a backup session with a registered writer ---- */

typedef struct {
  VssTransport parent;
  VssAppEntry *entry;
  gboolean owns_session;
  char *refusal;              /* why every event fails, or NULL */
} AppTransport;

static void
app_send (VssTransport *transport, VssEvent event, json_object *request,
          VssReplyFunc done, gpointer user_data)
{
  AppTransport *self = (AppTransport *) transport;
  if (self->refusal != NULL) {
    done (vss_event_reply_new_failure (VSS_WF_NOT_RESPONDING, "%s: %s: %s", self->entry->name,
                                       vss_event_to_string (event), self->refusal), user_data);
    return;
  }
  vss_peer_send_event (self->entry->peer, event, request, done, user_data);
}

static void
app_close (VssTransport *transport)
{
  AppTransport *self = (AppTransport *) transport;
  if (self->owns_session) {
    json_object *message = vss_wire_message_new ("close");
    vss_peer_send_message (self->entry->peer, message);
    json_object_put (message);
    g_mutex_lock (&self->entry->lock);
    self->entry->busy = FALSE;
    g_mutex_unlock (&self->entry->lock);
  }
  vss_app_entry_unref (self->entry);
  g_free (self->refusal);
  g_free (self);
}

static const VssTransportClass app_class = {
  .name = "socket",
  .send = app_send,
  .close = app_close,
};

VssTransport *
vss_app_entry_transport_new (VssAppEntry *entry, const char *instance_id)
{
  AppTransport *self = g_new0 (AppTransport, 1);
  self->parent.klass = &app_class;
  self->entry = vss_app_entry_ref (entry);
  g_mutex_lock (&entry->lock);
  if (entry->busy)
    self->refusal = g_strdup ("the application writer is busy with another backup");
  else
    self->owns_session = entry->busy = TRUE;
  g_mutex_unlock (&entry->lock);
  if (self->owns_session) {
    json_object *open = vss_wire_message_new ("open");
    json_object_object_add (open, "instance_id", json_object_new_string (instance_id));
    vss_peer_send_message (entry->peer, open);
    json_object_put (open);
  }
  return &self->parent;
}

/* ---- what the coordinator's gather sees ---- */

void
vss_app_module_free (VssWriterModule *module)
{
  if (module == NULL)
    return;
  VssAppRef *ref = module->app;
  vss_app_entry_unref (ref->entry);
  g_free (ref->socket_path);
  g_free (ref->writer_id);
  g_free (ref->name);
  g_free (ref);
  g_free (module->path);
  g_free (module);
}

static VssWriterModule *
module_for_entry (VssAppEntry *entry)
{
  VssWriterModule *module = g_new0 (VssWriterModule, 1);
  VssAppRef *ref = g_new0 (VssAppRef, 1);
  ref->entry = vss_app_entry_ref (entry);
  ref->writer_id = g_strdup (entry->writer_id);
  ref->name = g_strdup (entry->name);
  ref->pid = entry->pid;
  ref->descriptor = entry->descriptor;
  ref->descriptor.writer_id = ref->writer_id;
  ref->descriptor.name = ref->name;
  module->path = g_strdup_printf ("application pid %" G_GINT64_FORMAT, entry->pid);
  module->identity = &ref->descriptor;
  module->app = ref;
  return module;
}

GPtrArray *
vss_app_modules_collect (void)
{
  g_autoptr(GPtrArray) entries = vss_app_server_list ();
  if (entries == NULL) {
    g_autofree char *path = vss_writer_socket_default_path ();
    GPtrArray *remote = vss_app_relay_list (path);
    return remote != NULL ? remote
                          : g_ptr_array_new_with_free_func ((GDestroyNotify) vss_app_module_free);
  }
  GPtrArray *modules = g_ptr_array_new_with_free_func ((GDestroyNotify) vss_app_module_free);
  for (guint i = 0; i < entries->len; i++)
    g_ptr_array_add (modules, module_for_entry (g_ptr_array_index (entries, i)));
  return modules;
}

VssTransport *
vss_transport_app_new (const VssWriterModule *module, const char *instance_id)
{
  const VssAppRef *ref = module->app;
  if (ref->entry != NULL)
    return vss_app_entry_transport_new (ref->entry, instance_id);
  return vss_app_relay_transport_new (ref, instance_id);
}
