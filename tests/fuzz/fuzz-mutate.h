/* fuzz-mutate.h — a deterministic JSON mutator for the backup-set fuzz
 * test: a few structural edits (a value replaced by a hostile one or by
 * another node's value, a member or element deleted, an element
 * duplicated), sometimes followed by byte flips or a truncation. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A mutation of @seed (JSON text); *out_len is its length. */
char *fuzz_mutate (GRand *rand, const char *seed, gsize *out_len);

G_END_DECLS
