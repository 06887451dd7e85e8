/* vss-writer-proxy.h — the coordinator's record of one writer in one
 * backup: its transport, its VSS_WS_* state and what it has been sent.
 *
 * Fields are guarded by the proxy's own mutex: replies are applied on the
 * coordinator's thread, but the freeze watchdog may thaw a writer from its
 * own thread. */
#pragma once

#include "document/vss-document-private.h"
#include "writer-host/vss-transport.h"
#include "writer-host/vss-writer-module.h"

G_BEGIN_DECLS

/* Whether a cleanup abort was answered; shared with the reply callback,
 * which may run after the proxy is freed. */
typedef struct {
  gatomicrefcount ref;
  gint answered;                  /* atomic */
} VssAbortAnswer;

VssAbortAnswer *vss_abort_answer_ref (VssAbortAnswer *self);
void            vss_abort_answer_unref (VssAbortAnswer *self);

typedef struct {
  GMutex lock;
  char *writer_id;
  char *instance_id;
  char *name;
  char *host;                     /* VssWriterStatus.host */
  guint freeze_timeout_ms;
  VssTransport *transport;
  VssWriterMetadata *metadata;    /* after a successful identify */

  VssWriterState state;
  VssWriterFailure failure;       /* first failure, VSS_WF_NONE if none */
  char *failure_message;
  gboolean vetoed;                /* returned FALSE or missed a deadline: only cleanup events from now on */
  gboolean hung;                  /* missed a deadline: never waited for again */

  gboolean involved;              /* gets the events after prepare_backup */
  gboolean prepared;              /* was sent prepare_backup: abort reaches it */
  gboolean frozen;                /* sent freeze, not yet thaw */
  gboolean aborted;               /* was sent abort */
  gint64 freeze_sent_usec;        /* monotonic */
  char *snapshot_set_id;          /* for the log, once the set started */
  char *not_configured;           /* why, when its on_load said so; then it takes no part */

  /* An abort sent without waiting (after a missed deadline in the window):
   * unless answered by kill_deadline_usec, the freeze watchdog ends the
   * writer's process.  0: nothing to enforce. */
  VssAbortAnswer *abort_answer;
  gint64 kill_deadline_usec;
} VssWriterProxy;

/* @transport: "inproc", "helper", or NULL for $VSS_WRITER_TRANSPORT / the
 * default (vss_transport_new). */
VssWriterProxy *vss_writer_proxy_new (const VssWriterModule *module, const char *transport);
void            vss_writer_proxy_free (VssWriterProxy *self);

/* Records the outcome of @event: the next VSS_WS_* state on success, or
 * FAILED_AT_<event> with the failure and message (the first failure is
 * kept).  Does not look at metadata or components. */
void vss_writer_proxy_record (VssWriterProxy *self, VssEvent event, const VssEventReply *reply);

/* The snapshot set this writer now takes part in (its log lines carry it). */
void vss_writer_proxy_set_snapshot_set (VssWriterProxy *self, const char *snapshot_set_id);

/* Marks the writer failed at @event without a reply (deadline, watchdog). */
void vss_writer_proxy_fail (VssWriterProxy *self, VssEvent event, VssWriterFailure failure,
                            const char *format, ...) G_GNUC_PRINTF (4, 5);

/* A deep copy of @status; every string member is duplicated here and
 * freed in vss_writer_status_free (keep the two in step). */
VssWriterStatus *vss_writer_status_copy (const VssWriterStatus *status);

/* A copy of the proxy's status for the requester. */
VssWriterStatus *vss_writer_proxy_get_status (VssWriterProxy *self);

G_END_DECLS
