/* vss-log.h — writer events in the log, with fields for the journal.
 *
 * Through GLib's structured logging: on a terminal or a file the line
 * reads as any other (vss-Message: …); when stderr is the journal
 * (g_log_writer_is_journald) the entry also carries VSS_WRITER=,
 * VSS_EVENT= and VSS_SNAPSHOT_SET_ID=, so `journalctl VSS_WRITER=directory`
 * finds one writer's story. */
#pragma once

#include <glib.h>

/* Logs @format at @level: with the fields that are not NULL when stderr
 * is the journal, else as g_log() does (handlers set with
 * g_log_set_handler see it). */
void vss_log_writer_event (GLogLevelFlags level, const char *writer, const char *event,
                           const char *snapshot_set_id, const char *format, ...) G_GNUC_PRINTF (5, 6);
/* The structured entry itself, whatever stderr is. */
void vss_log_writer_fields (GLogLevelFlags level, const char *writer, const char *event,
                            const char *snapshot_set_id, const char *message);

/* What a writer failing at an event is logged at: a message for the
 * journal (nothing else records it there), info on a terminal (the
 * requester reports the writer's status itself). */
GLogLevelFlags vss_log_failure_level (void);

/* The level of a line a helper process wrote: "<N>text" (priority 0-7,
 * see vss_log_plain_writer) or GLib's default "** Message: 12:34:56.789:
 * text"; *@out_text points at the text after the prefix.  Other lines
 * are messages, whole.  Errors and criticals come back as warnings. */
GLogLevelFlags vss_log_parse_plain (const char *line, const char **out_text);

/* A GLogWriterFunc for helper processes whose stderr is relayed by the
 * coordinator: "<N>message" per line, no program name, domain or time
 * (the coordinator's log adds its own), honouring G_MESSAGES_DEBUG. */
GLogWriterOutput vss_log_plain_writer (GLogLevelFlags level, const GLogField *fields,
                                       gsize n_fields, gpointer user_data);
