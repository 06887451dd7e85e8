/* vss-log.c — writer events in the log (see vss-log.h). */
#include "vss-log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELDS 6

/* GLib's own mapping (gmessages.c), which g_log_structured_array leaves
 * to its caller. */
static const char *
priority_of (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "3";
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return "4";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "5";
  if (level & G_LOG_LEVEL_INFO)
    return "6";
  return "7";
}

static void
add_field (GLogField *fields, gsize *n, const char *key, const char *value)
{
  if (value == NULL)
    return;
  fields[*n] = (GLogField) { key, value, -1 };
  (*n)++;
}

void
vss_log_writer_fields (GLogLevelFlags level, const char *writer, const char *event,
                       const char *snapshot_set_id, const char *message)
{
  GLogField fields[MAX_FIELDS];
  gsize n = 0;
  add_field (fields, &n, "MESSAGE", message);
  add_field (fields, &n, "PRIORITY", priority_of (level));
  add_field (fields, &n, "GLIB_DOMAIN", G_LOG_DOMAIN);
  add_field (fields, &n, "VSS_WRITER", writer);
  add_field (fields, &n, "VSS_EVENT", event);
  add_field (fields, &n, "VSS_SNAPSHOT_SET_ID", snapshot_set_id);
  g_log_structured_array (level, fields, n);
}

void
vss_log_writer_event (GLogLevelFlags level, const char *writer, const char *event,
                      const char *snapshot_set_id, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  /* Structured entries bypass g_log_set_handler(), which programs using
   * libvss may rely on; only the journal needs the fields. */
  if (g_log_writer_is_journald (STDERR_FILENO))
    vss_log_writer_fields (level, writer, event, snapshot_set_id, message);
  else
    g_log (G_LOG_DOMAIN, level, "%s", message);
}

GLogLevelFlags
vss_log_failure_level (void)
{
  return g_log_writer_is_journald (STDERR_FILENO) ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_INFO;
}

static GLogLevelFlags
level_named (const char *name)
{
  if (g_str_equal (name, "Message"))
    return G_LOG_LEVEL_MESSAGE;
  if (g_str_equal (name, "INFO"))
    return G_LOG_LEVEL_INFO;
  if (g_str_equal (name, "DEBUG"))
    return G_LOG_LEVEL_DEBUG;
  return G_LOG_LEVEL_WARNING;
}

/* GLib's default format, "** Message: 12:34:56.789: text" or
 * "(prog:42): dom-WARNING **: 12:34:56.789: text", from a program that
 * does not use vss_log_plain_writer (a writer's own child, say). */
static gboolean
strip_glib_prefix (const char *line, const char **out_text, GLogLevelFlags *out_level)
{
  static GRegex *prefix;
  static gsize made;
  if (g_once_init_enter (&made)) {
    prefix = g_regex_new ("^(\\*\\* )?(\\([^)]*:[0-9]+\\): )?([A-Za-z0-9_.-]+-)?"
                          "(Message|INFO|DEBUG|WARNING|CRITICAL|ERROR)( \\*\\*)?: ([0-9:.]+: )?",
                          G_REGEX_OPTIMIZE, 0, NULL);
    g_once_init_leave (&made, 1);
  }
  g_autoptr(GMatchInfo) match = NULL;
  if (!g_regex_match (prefix, line, 0, &match))
    return FALSE;
  int end = 0;
  g_match_info_fetch_pos (match, 0, NULL, &end);
  g_autofree char *name = g_match_info_fetch (match, 4);
  *out_text = line + end;
  *out_level = level_named (name);
  return TRUE;
}

GLogLevelFlags
vss_log_parse_plain (const char *line, const char **out_text)
{
  /* A writer's error or critical is a warning here: never fatal for the
   * coordinator (G_DEBUG=fatal-criticals), and the helper already died
   * of its own g_error. */
  static const GLogLevelFlags levels[] = {
    G_LOG_LEVEL_WARNING, G_LOG_LEVEL_WARNING, G_LOG_LEVEL_WARNING, G_LOG_LEVEL_WARNING,
    G_LOG_LEVEL_WARNING, G_LOG_LEVEL_MESSAGE, G_LOG_LEVEL_INFO, G_LOG_LEVEL_DEBUG,
  };
  GLogLevelFlags level = G_LOG_LEVEL_MESSAGE;
  if (line[0] == '<' && line[1] >= '0' && line[1] <= '7' && line[2] == '>') {
    *out_text = line + 3;
    return levels[line[1] - '0'];
  }
  if (strip_glib_prefix (line, out_text, &level))
    return level;
  *out_text = line;
  return G_LOG_LEVEL_MESSAGE;
}

static const char *
field_value (const GLogField *fields, gsize n_fields, const char *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, key) && fields[i].length < 0)
      return fields[i].value;
  return NULL;
}

GLogWriterOutput
vss_log_plain_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                      gpointer user_data)
{
  const char *domain = field_value (fields, n_fields, "GLIB_DOMAIN");
  const char *message = field_value (fields, n_fields, "MESSAGE");
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  /* One line per message: the relay reads lines. */
  g_autofree char *flat = g_strdelimit (g_strdup (message != NULL ? message : ""), "\n", ' ');
  fprintf (stderr, "<%s>%s\n", priority_of (level), flat);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;   /* GLib still aborts after a fatal one */
}
