/* lifecycle-fixture.h — driving VssBackupComponents through its calls in
 * tests, with the test writers of tests/writers. */
#pragma once

#include <criterion/criterion.h>
#include <vss/vss.h>

#include "vss-test.h"

/* Per-test environment: VSS_* dirs, a records dir (VSS_TEST_RECORD_DIR)
 * and a small data dir (VSS_TEST_DATA_DIR) with a few files. */
typedef struct {
  char *tmpdir;
  char *record_dir;
  char *data_dir;
} Fixture;

extern Fixture fx;

void fx_setup (void);
void fx_teardown (void);

/* A directory holding only the named test writers (NULL-terminated). */
char *fx_writer_dir (const char *first_writer, ...) G_GNUC_NULL_TERMINATED;
/* A new object whose writers are the named test writers (NULL-terminated). */
VssBackupComponents *fx_new (const char *first_writer, ...) G_GNUC_NULL_TERMINATED;

/* Waits for @async (consumed) and asserts it finished successfully. */
void fx_finish (VssAsync *async);
/* Waits for @async (consumed) and returns its status, error in @error. */
VssAsyncStatus fx_wait (VssAsync *async, GError **error);

/* initialize_for_backup, set_backup_state(component mode, @type), and
 * gather_writer_metadata. */
void fx_gather (VssBackupComponents *bc, VssBackupType type);
/* initialize_for_restore(@bcd_json) and gather_writer_metadata. */
void fx_gather_for_restore (VssBackupComponents *bc, const char *bcd_json);
/* add_component for every selectable component of every writer. */
void fx_add_all (VssBackupComponents *bc);
/* add_component for every selectable component of @writer_name only. */
void fx_add_writer (VssBackupComponents *bc, const char *writer_name);
/* start_snapshot_set + add_to_snapshot_set(data dir) + prepare_for_backup;
 * returns the snapshot id. */
char *fx_prepare (VssBackupComponents *bc);
/* fx_gather (full), fx_add_all and fx_prepare; returns the snapshot id. */
char *fx_prepare_all (VssBackupComponents *bc);
/* do_snapshot_set, and asserts it succeeded. */
void fx_do_snapshot (VssBackupComponents *bc);
/* backup_complete, and asserts it succeeded. */
void fx_complete (VssBackupComponents *bc);
/* pre_restore / post_restore, and asserts they succeeded. */
void fx_pre_restore (VssBackupComponents *bc);
void fx_post_restore (VssBackupComponents *bc);
/* All the way to a successful do_snapshot_set; returns the snapshot id. */
char *fx_snapshot_all (VssBackupComponents *bc);

/* The events a writer recorded, in order: "identify", "prepare_backup" … */
GPtrArray *fx_events (const char *writer_name);
/* The events joined with spaces, for readable assertions. */
char *fx_events_string (const char *writer_name);
/* The monotonic time (usec) a writer recorded @event at, or 0 if never. */
gint64 fx_event_time (const char *writer_name, const char *event);
/* Waits (up to @timeout_ms) until the writer recorded @event. */
gboolean fx_wait_for_event (const char *writer_name, const char *event, guint timeout_ms);
/* The status of @writer_name after gather_writer_status. */
VssWriterStatus *fx_status (VssBackupComponents *bc, const char *writer_name);
/* The writer id of a test writer by name. */
const char *fx_writer_id (VssBackupComponents *bc, const char *writer_name);

/* Asserts @error is VSS_ERROR @code and its message contains @part. */
#define fx_assert_error(err_, code_, part_)                                             \
  do {                                                                                  \
    const GError *e__ = (err_);                                                         \
    cr_assert_not_null (e__, "expected an error");                                      \
    cr_assert_eq (e__->domain, VSS_ERROR, "domain: %s", e__->message);                  \
    cr_assert_eq (e__->code, (code_), "code %d, expected %d: %s", e__->code, (code_),   \
                  e__->message);                                                        \
    cr_assert_not_null (strstr (e__->message, (part_)), "message \"%s\" lacks \"%s\"",  \
                        e__->message, (part_));                                         \
  } while (0)

/* Asserts that @call (an expression that may use `error`, a GError**)
 * fails with VSS_ERROR @code and a message containing @part. */
#define EXPECT(call, code, part)                       \
  do {                                                 \
    g_autoptr(GError) e_ = NULL;                       \
    GError **error = &e_;                              \
    cr_assert_not (call, "%s succeeded", #call);       \
    fx_assert_error (e_, code, part);                  \
  } while (0)
