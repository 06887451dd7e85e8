/* fuzz-set.h — one fuzz input through everything that reads a backup set:
 * a document of a seed chain (full + incremental) is replaced by the
 * input, then open, verify and restore (into a temp root) run on it.
 * Each call must end within FUZZ_SET_CALL_USEC, the process stay under
 * FUZZ_SET_MAX_RSS_KB, and nothing outside the restore root change;
 * a violation aborts (a crash for libFuzzer, a failed test for the
 * deterministic driver). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FUZZ_SET_CALL_USEC (5 * G_USEC_PER_SEC)
#define FUZZ_SET_MAX_RSS_KB (768 * 1024)

typedef enum {
  FUZZ_DOC_FULL_MANIFEST,
  FUZZ_DOC_INCR_MANIFEST,
  FUZZ_DOC_BCD,
  FUZZ_DOC_WRITER_METADATA,
  FUZZ_DOC_FULL_MANIFEST_V3,   /* the full set's manifest as a version 3 document */
  FUZZ_DOC_COUNT,
} FuzzDoc;

typedef struct _FuzzSet FuzzSet;

/* Makes the seed chain in a new temp dir. */
FuzzSet    *fuzz_set_new (void);
void        fuzz_set_free (FuzzSet *self);
/* The seed text of @doc (borrowed). */
const char *fuzz_set_seed (FuzzSet *self, FuzzDoc doc);
/* Runs open, verify and restore with @doc replaced by @data; TRUE when a
 * restore of at least one component succeeded. */
gboolean    fuzz_set_run (FuzzSet *self, FuzzDoc doc, const guint8 *data, gsize len);

G_END_DECLS
