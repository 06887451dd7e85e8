/* test-log.c — vss-log: the fields a writer event carries to the journal,
 * and how a helper's stderr line is read back (level, text, no prefix). */
#include <criterion/criterion.h>

#include <string.h>

#include "util/vss-log.h"

typedef struct {
  GLogLevelFlags level;
  GHashTable *fields;   /* key → value, strings */
} Captured;

static Captured captured;

static GLogWriterOutput
capture (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  captured.level = level;
  for (gsize i = 0; i < n_fields; i++)
    g_hash_table_insert (captured.fields, g_strdup (fields[i].key),
                         fields[i].length < 0 ? g_strdup (fields[i].value)
                                              : g_strndup (fields[i].value, fields[i].length));
  return G_LOG_WRITER_HANDLED;
}

static void
setup (void)
{
  captured.fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_log_set_writer_func (capture, NULL, NULL);
}

TestSuite (log, .init = setup);

static const char *
field (const char *key)
{
  return g_hash_table_lookup (captured.fields, key);
}

Test (log, writer_event_carries_the_journal_fields)
{
  vss_log_writer_fields (G_LOG_LEVEL_MESSAGE, "directory", "freeze", "5f1c-set",
                         "writer directory failed at freeze: lock busy");
  cr_assert_eq (captured.level, G_LOG_LEVEL_MESSAGE);
  cr_assert_str_eq (field ("MESSAGE"), "writer directory failed at freeze: lock busy");
  cr_assert_str_eq (field ("VSS_WRITER"), "directory");
  cr_assert_str_eq (field ("VSS_EVENT"), "freeze");
  cr_assert_str_eq (field ("VSS_SNAPSHOT_SET_ID"), "5f1c-set");
  cr_assert_str_eq (field ("PRIORITY"), "5");
  cr_assert_str_eq (field ("GLIB_DOMAIN"), "vss");
}

Test (log, absent_fields_are_left_out)
{
  vss_log_writer_fields (G_LOG_LEVEL_WARNING, "script", NULL, NULL, "plain");
  cr_assert_str_eq (field ("VSS_WRITER"), "script");
  cr_assert_null (field ("VSS_EVENT"));
  cr_assert_null (field ("VSS_SNAPSHOT_SET_ID"));
  cr_assert_str_eq (field ("PRIORITY"), "4");
}

static char *handled;

static void
handler (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  g_free (handled);
  handled = g_strdup_printf ("%s %d %s", domain, level & G_LOG_LEVEL_MASK, message);
}

/* stderr is not the journal here: a g_log_set_handler() handler, as a
 * program using libvss may have, still sees writer events. */
Test (log, off_the_journal_a_handler_sees_the_event)
{
  g_log_set_handler ("vss", G_LOG_LEVEL_MESSAGE, handler, NULL);
  vss_log_writer_event (G_LOG_LEVEL_MESSAGE, "crash", "freeze", NULL, "writer %s: %s", "crash", "gone");
  g_autofree char *expected = g_strdup_printf ("vss %d writer crash: gone", G_LOG_LEVEL_MESSAGE);
  cr_assert_str_eq (handled, expected);
}

Test (log, a_plain_helper_line_gives_its_level_and_text)
{
  const char *text = NULL;
  cr_assert_eq (vss_log_parse_plain ("<5>certificate: frozen", &text), G_LOG_LEVEL_MESSAGE);
  cr_assert_str_eq (text, "certificate: frozen");
  cr_assert_eq (vss_log_parse_plain ("<7>detail", &text), G_LOG_LEVEL_DEBUG);
  cr_assert_eq (vss_log_parse_plain ("<4>careful", &text), G_LOG_LEVEL_WARNING);
  /* never fatal for the coordinator, whatever the helper thought */
  cr_assert_eq (vss_log_parse_plain ("<2>critical", &text), G_LOG_LEVEL_WARNING);
  cr_assert_eq (vss_log_parse_plain ("printf output", &text), G_LOG_LEVEL_MESSAGE);
  cr_assert_str_eq (text, "printf output");
}

Test (log, glib_default_prefixes_are_stripped)
{
  const char *text = NULL;
  cr_assert_eq (vss_log_parse_plain ("** Message: 12:34:56.789: hook ran", &text), G_LOG_LEVEL_MESSAGE);
  cr_assert_str_eq (text, "hook ran");
  cr_assert_eq (vss_log_parse_plain ("(hook:4242): app-WARNING **: 01:02:03.004: slow", &text),
                G_LOG_LEVEL_WARNING);
  cr_assert_str_eq (text, "slow");
  cr_assert_eq (vss_log_parse_plain ("vss-INFO: 01:02:03.004: note", &text), G_LOG_LEVEL_INFO);
  cr_assert_str_eq (text, "note");
  /* a line that merely mentions a level keeps its text */
  vss_log_parse_plain ("the Message: was lost", &text);
  cr_assert_str_eq (text, "the Message: was lost");
}
