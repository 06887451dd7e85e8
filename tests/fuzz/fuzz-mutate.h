/* fuzz-mutate.h — a deterministic JSON mutator for the backup-set fuzz
 * test: a few structural edits (a value replaced by a hostile one or by
 * another node's value, a member or element deleted, an element
 * duplicated; for manifest lines also a line dropped or doubled, the
 * closing line mostly made to match again), sometimes followed by byte
 * flips or a truncation. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A mutation of @seed (JSON text, or a version 4 manifest's lines);
 * *out_len is its length. */
char *fuzz_mutate (GRand *rand, const char *seed, gsize *out_len);
/* The closing line of version 4 manifest lines in @text, written again
 * for the lines before it. */
void  fuzz_reseal_lines (GString *text);

G_END_DECLS
