/* wh-test.h — helpers shared by the writer-host tests. */
#pragma once

#include <glib.h>
#include <json-c/json.h>

#include "writer-host/vss-writer-module.h"

G_BEGIN_DECLS

/* Collects the "vss" domain's warnings (from any thread) until stopped. */
void       wh_capture_warnings_start (void);
void       wh_capture_warnings_stop (void);
/* The captured warnings so far (a copy; free with g_strfreev). */
char     **wh_captured_warnings (void);
/* The one captured warning containing every one of the NULL-terminated
 * strings; fails the test when none or more than one does. */
void       wh_assert_warning (const char *first, ...) G_GNUC_NULL_TERMINATED;
guint      wh_captured_warning_count (void);

/* The lines of $dir/name.suffix, waiting up to @timeout_ms for at least
 * @min_lines of them; never NULL. */
char     **wh_read_lines (const char *dir, const char *name, const char *suffix,
                          guint min_lines, guint timeout_ms);
/* Word @index (0-based) of a "<event> <tid> <usec>" record line. */
char      *wh_record_word (const char *line, guint index);

/* The calling thread's kernel id, as the test writers record it. */
long       wh_gettid (void);

/* A request as the coordinator builds it: backup_type "full", context
 * "backup", select_components TRUE, no snapshots and no components. */
json_object *wh_request_new (const char *event, gboolean writable);

/* Replies collected from a transport.  The queue outlives a test that
 * gives up on a hung writer: each pending send holds a reference. */
typedef struct {
  VssEventReply *reply;
  long tid;
} WhReply;

GAsyncQueue *wh_reply_queue_new (void);
/* The VssReplyFunc; @user_data is a reference from wh_reply_queue_ref(). */
void         wh_reply_to_queue (VssEventReply *reply, gpointer user_data);
gpointer     wh_reply_queue_ref (GAsyncQueue *queue);
/* The next reply, or fails the test after @timeout_ms. */
WhReply     *wh_reply_pop (GAsyncQueue *queue, guint timeout_ms);
void         wh_reply_free (WhReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WhReply, wh_reply_free)

G_END_DECLS
