/* vss-hash-behind.h — the digest of a file (util/vss-digest.h, in the
 * form of a version-5 set) computed while it is being written: threads
 * read back the pieces the writer has finished (from the page cache) and
 * hash them, one piece per core, so hashing overlaps the copy instead of
 * following it.  What is hashed is what the file holds, holes as zeros
 * (a piece inside a hole the writer published is not read). */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct _VssHashBehind VssHashBehind;

/* Starts hashing @fd (open for reading; kept open by the caller until
 * vss_hash_behind_finish) from offset 0, on as many threads as there are
 * cores (at most 4). */
VssHashBehind *vss_hash_behind_start (int fd);
/* The bytes of the file before @end are final and may be hashed. */
void           vss_hash_behind_publish (VssHashBehind *self, off_t end);
/* [@start, @end) is a hole the writer left (and will not write): whole
 * pieces inside it are not read.  Before publishing an end beyond it. */
void           vss_hash_behind_publish_hole (VssHashBehind *self, off_t start, off_t end);
/* Waits until another piece of those published is hashed (each is told
 * once): FALSE at once when all were told (or hashing stopped).
 * *out_done: the bytes of the pieces told so far, for progress. */
gboolean       vss_hash_behind_wait (VssHashBehind *self, off_t *out_done);
/* The file's final @size: hashes up to it, stops the thread and writes the
 * digest (64 hex digits) into @out.  FALSE when the file could not be
 * read back in full (then @out is untouched).  Frees @self. */
gboolean       vss_hash_behind_finish (VssHashBehind *self, off_t size, char out[65]);
/* Stops without a digest (the copy failed).  Frees @self; NULL is fine. */
void           vss_hash_behind_cancel (VssHashBehind *self);

/* Digests of files this process wrote (the copy provider's staged image),
 * kept for whoever takes the file next (the backup set moving it in), so
 * that its data need not be read again.  A digest is handed out only
 * while the inode still has the size, mtime and ctime it had when it was
 * recorded: any change to the file since (even by root) changes its
 * ctime. */
void           vss_hash_digests_remember (int fd, const char sha256[65]);
/* Takes (forgets) the digest recorded for the file open as @fd; FALSE
 * when there is none or the file changed since. */
gboolean       vss_hash_digests_take (int fd, char out[65]);

G_END_DECLS
