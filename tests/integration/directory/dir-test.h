/* dir-test.h — what the directory tests share: a per-test environment with
 * a private slapd, directory.conf pointing at it, and the writer loaded. */
#pragma once

#include <criterion/criterion.h>
#include <vss/vss.h>

#include "slapd-fixture.h"
#include "vss-test.h"
#include "writer-host/vss-writer-module.h"

typedef struct {
  char *tmpdir;
  Slapd *slapd;
} DirFixture;

extern DirFixture dfx;

/* Skips the test (with the reason) when slapd or root is missing; else a
 * fresh env, a slapd with @people entries, directory.conf (plus @extra_conf
 * lines) and VSS_WRITER_PATH at the built writer. */
void dfx_setup (guint people, const char *extra_conf);
void dfx_teardown (void);

/* The directory writer, loaded in this process (on_load run). */
VssWriter *dfx_load_writer (void);
const VssWriterDescriptor *dfx_descriptor (void);

/* A new dir under the test's tmpdir. */
char *dfx_path (const char *name);
/* Copies @src_dir's data.mdb (and nothing else) into a new @name dir. */
char *dfx_copy_env (const char *src_dir, const char *name);
/* Asserts the environment in @dir holds people 1..N, N >= @at_least; N. */
guint dfx_assert_prefix (const char *dir, guint at_least);
/* Serves @dir with a fresh slapd and asserts it answers with @expected people. */
void  dfx_assert_served (const char *dir, guint expected);

/* Runs @event on @writer with an empty request (backup type full). */
VssEventReply *dfx_event (VssWriter *writer, VssEvent event);
