/* vss-writer-module.h — the coordinator's way to its writers: finding,
 * checking and loading writer plug-ins (vss-writer-module.c), the
 * transports that run one (in-process, helper process, application
 * connection) and the choice among them, and the writer-side runner
 * every transport ends in (vss-writer.c).  The transport interface
 * itself is vss-transport.h. */
#pragma once

#include <vss/vss.h>
#include "vss-transport.h"

G_BEGIN_DECLS

/* A plug-in found and checked.  What the coordinator knows of it is its
 * @identity: the descriptor's name, id, usage and freeze timeout, with no
 * callbacks, as its probe process read them.  Its code is mapped into
 * this process only by vss_writer_module_open(), once per process, and
 * never unmapped: a writer thread that hangs must never find its code
 * gone. */
typedef struct {
  char *path;
  const VssWriterDescriptor *identity;
  /* An application-hosted writer (vss-app-server.c, vss-app-relay.c): the
   * connection to use; NULL for a plug-in. */
  gpointer app;
} VssWriterModule;

/* The writer directories to search, colon-separated: @override if not
 * NULL, else $VSS_WRITER_PATH if set, else the compiled-in directory. */
char *vss_writer_module_search_path (const char *override);

/* Every valid writer module found in @search_path, in directory order then
 * name order; borrowed VssWriterModule pointers (owned by the process-wide
 * cache).  Files that fail a check are skipped with a g_warning() that
 * says why.  A second module with an already seen writer id or name is
 * skipped too. */
GPtrArray *vss_writer_module_scan (const char *search_path);

/* One module by path: its file checked, its probe passed, its identity
 * read (opened here when probing is off).  Cached per path. */
const VssWriterModule *vss_writer_module_load (const char *path, GError **error);
/* @module's descriptor with its callbacks, its code opened in this
 * process if it was not yet (for the in-process transport, the online
 * APIs and the writer host); NULL with @error when it cannot be (an
 * application's writer, a file changed since its probe). */
const VssWriterDescriptor *vss_writer_module_open (const VssWriterModule *module,
                                                   GError **error);

/* The identity a probe answered: a descriptor without callbacks, and the
 * strings it points to (the caller's). */
typedef struct {
  VssWriterDescriptor descriptor;
  char *writer_id;
  char *name;
} VssWriterProbed;
/* Opens @path in a throw-away `vss-writer-host --probe` process first
 * (vss-writer-probe.c): FALSE, naming the file, when its loading crashes,
 * hangs or is refused there; TRUE with its identity in @out, or TRUE with
 * @out->name NULL when it was not probed (probing off, or no writer host
 * to probe with: then it is opened here).  The writer host turns probing
 * off for itself. */
gboolean vss_writer_module_probe (const char *path, VssWriterProbed *out, GError **error);
/* The probe's exit status for a module it refused (its reason on
 * stderr); any other failure is a crash (a sanitizer's handler exits 1). */
#define VSS_WRITER_PROBE_REFUSED 3
void     vss_writer_module_set_probing (gboolean enabled);

/* The file checks: a regular file (links followed), owned by root or the
 * current user, not writable by group or others. */
gboolean vss_writer_module_check_file (const char *path, GError **error);
/* The descriptor checks: ABI major equal, minor not newer, a UUID writer
 * id, a non-empty name of [a-z0-9_-], zero reserved slots. */
gboolean vss_writer_descriptor_check (const VssWriterDescriptor *descriptor,
                                      const char *path, GError **error);

/* ---- the in-process transport (vss-transport-inproc.c) ---- */

/* Starts the writer on its own worker thread (on_load runs there).  When
 * on_load fails the transport is still returned and every event answers
 * with that failure.  @instance_id is the id this run of the writer has. */
VssTransport *vss_transport_inproc_new (const VssWriterModule *module, const char *instance_id);

/* ---- choosing a transport (vss-transport-select.c) ---- */

/* The transport for one writer of one backup: the application connection
 * for an application-hosted writer; for a plug-in @name ("inproc" or
 * "helper"), or when NULL $VSS_WRITER_TRANSPORT, or else "helper". */
VssTransport *vss_transport_new (const VssWriterModule *module, const char *instance_id,
                                 const char *name);
/* TRUE for "inproc" and "helper". */
gboolean      vss_transport_name_is_valid (const char *name);

/* ---- the helper-process transport (vss-transport-helper.c) ---- */

/* Starts vss-writer-host for @module.  Never fails: when the helper cannot
 * start, every event answers VSS_WF_NOT_RESPONDING saying why. */
VssTransport *vss_transport_helper_new (const VssWriterModule *module, const char *instance_id);
/* $VSS_WRITER_HOST, or the installed vss-writer-host. */
const char   *vss_writer_host_path (void);
/* $VSS_WRITER_HOST_GRACE_MS, or 5000: how long a helper may take to
 * answer a cleanup (abort after a missed thaw, close) before it is killed. */
guint         vss_writer_host_grace_ms (void);
/* Waits until every helper this process closed has exited and been
 * reaped (those still running after the grace are killed by then). */
void          vss_writer_hosts_wait_closed (void);

/* ---- application-hosted writers (vss-app-server.c, vss-app-relay.c) ---- */

/* The application writers this process can reach, as modules with
 * `app` set: those registered with this process's writer socket if it
 * serves one, else those of a daemon listening on the default socket
 * (reached through its relay).  Owned by the caller (free with
 * vss_app_module_free; the transport keeps what it needs). */
GPtrArray    *vss_app_modules_collect (void);
void          vss_app_module_free (VssWriterModule *module);
VssTransport *vss_transport_app_new (const VssWriterModule *module, const char *instance_id);

/* ---- the writer side (vss-writer.c): what any transport runs ---- */

VssWriter *vss_writer_new (const VssWriterDescriptor *descriptor, const char *instance_id);
/* Runs on_load; FALSE with @error when it failed, and from then on
 * every event answers with that failure. */
gboolean   vss_writer_load (VssWriter *self, GError **error);
/* TRUE once on_load succeeded (or there is none). */
gboolean   vss_writer_is_loaded (const VssWriter *self);
/* Runs on_unload (if loaded) and frees. */
void       vss_writer_free (VssWriter *self);
/* Runs the callback of @event against @request and builds the reply:
 * default TRUE for a missing callback, "returned FALSE without a reason"
 * as a non-retryable failure, messages prefixed "name: event: ", and
 * the load failure for a writer whose on_load failed. */
VssEventReply *vss_writer_handle_event (VssWriter *self, VssEvent event, json_object *request);
/* Runs on_abort now, for a process about to exit without its
 * coordinator: waits briefly for a running callback, then runs beside it
 * (that callback's thread is abandoned).  Nothing when the freeze timer
 * already aborted.  TRUE when on_abort ran. */
gboolean   vss_writer_abort_abandoned (VssWriter *self);

G_END_DECLS
