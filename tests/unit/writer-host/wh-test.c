/* wh-test.c — helpers shared by the writer-host tests (see wh-test.h). */
#include "wh-test.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static GMutex capture_lock;
static GPtrArray *captured;
static guint handler_id;

static void
capture_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  if ((level & G_LOG_LEVEL_WARNING) == 0)
    return;
  g_mutex_lock (&capture_lock);
  if (captured != NULL)
    g_ptr_array_add (captured, g_strdup (message));
  g_mutex_unlock (&capture_lock);
}

void
wh_capture_warnings_start (void)
{
  g_mutex_lock (&capture_lock);
  if (captured == NULL)
    captured = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_set_size (captured, 0);
  g_mutex_unlock (&capture_lock);
  handler_id = g_log_set_handler ("vss", G_LOG_LEVEL_MASK, capture_handler, NULL);
}

void
wh_capture_warnings_stop (void)
{
  if (handler_id != 0)
    g_log_remove_handler ("vss", handler_id);
  handler_id = 0;
  g_mutex_lock (&capture_lock);
  g_clear_pointer (&captured, g_ptr_array_unref);
  g_mutex_unlock (&capture_lock);
}

char **
wh_captured_warnings (void)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  g_mutex_lock (&capture_lock);
  for (guint i = 0; captured != NULL && i < captured->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (captured, i));
  g_mutex_unlock (&capture_lock);
  char **result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

guint
wh_captured_warning_count (void)
{
  g_auto(GStrv) warnings = wh_captured_warnings ();
  return g_strv_length (warnings);
}

static gboolean
contains_all (const char *message, const char *const *needles)
{
  for (guint i = 0; needles[i] != NULL; i++) {
    if (strstr (message, needles[i]) == NULL)
      return FALSE;
  }
  return TRUE;
}

void
wh_assert_warning (const char *first, ...)
{
  g_autoptr(GPtrArray) needles = g_ptr_array_new ();
  g_auto(GStrv) warnings = wh_captured_warnings ();
  g_autofree char *all = g_strjoinv ("\n  ", warnings);
  va_list args;
  guint matches = 0;

  va_start (args, first);
  for (const char *s = first; s != NULL; s = va_arg (args, const char *))
    g_ptr_array_add (needles, (gpointer) s);
  va_end (args);
  g_ptr_array_add (needles, NULL);
  for (guint i = 0; warnings[i] != NULL; i++)
    matches += contains_all (warnings[i], (const char *const *) needles->pdata);
  cr_assert_eq (matches, 1, "expected one warning with \"%s\"…, got %u among:\n  %s",
                first, matches, all);
}

char **
wh_read_lines (const char *dir, const char *name, const char *suffix,
               guint min_lines, guint timeout_ms)
{
  g_autofree char *file = g_strdup_printf ("%s.%s", name, suffix);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;) {
    g_autofree char *contents = NULL;
    g_file_get_contents (path, &contents, NULL, NULL);
    char **lines = g_strsplit (contents != NULL ? contents : "", "\n", -1);
    guint n = g_strv_length (lines);
    /* The text ends with "\n", so the last piece is always empty. */
    if (n > 0 && *lines[n - 1] == '\0') {
      g_free (lines[n - 1]);
      lines[--n] = NULL;
    }
    if (n >= min_lines || g_get_monotonic_time () >= deadline)
      return lines;
    g_strfreev (lines);
    g_usleep (5000);
  }
}

char *
wh_record_word (const char *line, guint index)
{
  g_auto(GStrv) words = g_strsplit (line, " ", -1);
  cr_assert_lt (index, g_strv_length (words), "record line \"%s\" too short", line);
  return g_strdup (words[index]);
}

long
wh_gettid (void)
{
  return (long) syscall (SYS_gettid);
}

json_object *
wh_request_new (const char *event, gboolean writable)
{
  json_object *request = json_object_new_object ();
  json_object_object_add (request, "event", json_object_new_string (event));
  json_object_object_add (request, "writer_id",
                          json_object_new_string ("9f0c0e1a-0001-4000-8000-000000000001"));
  json_object_object_add (request, "instance_id",
                          json_object_new_string ("11111111-2222-4333-8444-555555555555"));
  json_object_object_add (request, "backup_type", json_object_new_string ("full"));
  json_object_object_add (request, "context", json_object_new_string ("backup"));
  json_object_object_add (request, "select_components", json_object_new_boolean (TRUE));
  json_object_object_add (request, "bootable_state", json_object_new_boolean (FALSE));
  json_object_object_add (request, "partial_file_support", json_object_new_boolean (FALSE));
  json_object_object_add (request, "snapshots", json_object_new_array ());
  json_object_object_add (request, "components", json_object_new_array ());
  json_object_object_add (request, "writable", json_object_new_boolean (writable));
  return request;
}

void
wh_reply_free (WhReply *reply)
{
  if (reply == NULL)
    return;
  vss_event_reply_free (reply->reply);
  g_free (reply);
}

GAsyncQueue *
wh_reply_queue_new (void)
{
  return g_async_queue_new_full ((GDestroyNotify) wh_reply_free);
}

gpointer
wh_reply_queue_ref (GAsyncQueue *queue)
{
  return g_async_queue_ref (queue);
}

void
wh_reply_to_queue (VssEventReply *reply, gpointer user_data)
{
  GAsyncQueue *queue = user_data;
  WhReply *item = g_new0 (WhReply, 1);
  item->reply = reply;
  item->tid = wh_gettid ();
  g_async_queue_push (queue, item);
  g_async_queue_unref (queue);
}

WhReply *
wh_reply_pop (GAsyncQueue *queue, guint timeout_ms)
{
  WhReply *item = g_async_queue_timeout_pop (queue, (guint64) timeout_ms * 1000);
  cr_assert_not_null (item, "no reply within %u ms", timeout_ms);
  return item;
}
