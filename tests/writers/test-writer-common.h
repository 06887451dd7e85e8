/* test-writer-common.h — what every test writer module shares.
 *
 * Each module compiles its own copy of test-writer-common.c and defines
 * test_writer_hook() and test_writer_with_db.  The vss_* functions it
 * calls are not linked in: they resolve, at load time, from the test
 * executable that loads the module (built with export_dynamic).
 *
 * Every callback appends "<event> <thread-id> <monotonic-usec>" to
 * $VSS_TEST_RECORD_DIR/<writer-name>.events (when that is set); on_load and
 * on_unload append "load …" / "unload …" to <writer-name>.lifecycle, so
 * the .events file holds writer events only.  The writer named by
 * $VSS_TEST_SLOW_UNLOAD sleeps $VSS_TEST_SLOW_UNLOAD_MS in on_unload. */
#pragma once

#include <gmodule.h>
#include <vss/vss.h>

G_BEGIN_DECLS

/* Defined by each writer: runs after the common part of every callback.
 * @event is "load", "identify", "prepare_backup", "freeze" … ("unload"
 * never reaches it).  To fail "load" or "identify" set @error and return
 * FALSE; for the other events call vss_writer_set_failure() and return
 * FALSE (@error is NULL there). */
gboolean test_writer_hook (VssWriter *writer, const char *event, GError **error);

/* Defined by each writer: TRUE adds the database component "db" (logical
 * path "dbs") in identify; only the recorder does. */
extern const gboolean test_writer_with_db;

/* Both, for a writer with no database and nothing to add to the events. */
#define TEST_WRITER_PLAIN_HOOK                                                    \
  const gboolean test_writer_with_db = FALSE;                                     \
  gboolean test_writer_hook (VssWriter *writer, const char *event, GError **error) \
  {                                                                               \
    (void) writer;                                                                \
    (void) event;                                                                 \
    (void) error;                                                                 \
    return TRUE;                                                                  \
  }

/* Does $@variable (or @fallback when it is unset) name @event? */
gboolean test_writer_env_is (const char *variable, const char *fallback, const char *event);
/* $@variable as a number, @fallback when unset or not a number. */
guint    test_writer_env_uint (const char *variable, guint fallback);

gboolean test_writer_on_load (VssWriter *writer, GError **error);
void     test_writer_on_unload (VssWriter *writer);
gboolean test_writer_on_identify (VssWriter *writer, VssWriterMetadata *metadata, GError **error);
gboolean test_writer_on_prepare_backup (VssWriter *writer);
gboolean test_writer_on_prepare_snapshot (VssWriter *writer);
gboolean test_writer_on_freeze (VssWriter *writer);
gboolean test_writer_on_thaw (VssWriter *writer);
gboolean test_writer_on_post_snapshot (VssWriter *writer);
gboolean test_writer_on_backup_complete (VssWriter *writer);
gboolean test_writer_on_backup_shutdown (VssWriter *writer);
gboolean test_writer_on_abort (VssWriter *writer);
gboolean test_writer_on_pre_restore (VssWriter *writer);
gboolean test_writer_on_post_restore (VssWriter *writer);

/* The callback table for VSS_WRITER_DEFINE. */
#define TEST_WRITER_CALLBACKS                                   \
  .on_load = test_writer_on_load,                               \
  .on_unload = test_writer_on_unload,                           \
  .on_identify = test_writer_on_identify,                       \
  .on_prepare_backup = test_writer_on_prepare_backup,           \
  .on_prepare_snapshot = test_writer_on_prepare_snapshot,       \
  .on_freeze = test_writer_on_freeze,                           \
  .on_thaw = test_writer_on_thaw,                               \
  .on_post_snapshot = test_writer_on_post_snapshot,             \
  .on_backup_complete = test_writer_on_backup_complete,         \
  .on_backup_shutdown = test_writer_on_backup_shutdown,         \
  .on_abort = test_writer_on_abort,                             \
  .on_pre_restore = test_writer_on_pre_restore,                 \
  .on_post_restore = test_writer_on_post_restore

G_END_DECLS
