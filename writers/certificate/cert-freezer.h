/* cert-freezer.h — holding the write locks of a set of SQLite databases
 * from one thread the writer owns, with its own budget timer.
 *
 * freeze takes BEGIN IMMEDIATE on every database together (all or none),
 * so writers wait while readers go on.  The thread releases the locks by
 * itself when the budget runs out, whatever the coordinator does; thaw
 * then reports the overrun.  thaw also reports a database another process
 * committed to while it was "held": a close() of the file elsewhere in
 * this process drops our POSIX locks (a copy provider in this process does
 * that), and such a snapshot may mix two states. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CertFreezer CertFreezer;

typedef struct {
  gboolean expired;        /* the budget ran out before thaw */
  gint64 held_usec;        /* how long the locks were held */
  char *changed_database;  /* a database committed to while held, or NULL */
} CertThawResult;

CertFreezer *cert_freezer_new (void);
void         cert_freezer_free (CertFreezer *self);

/* Locks every file of @databases within @acquire_ms; G_IO_ERROR_BUSY when
 * another connection kept one busy. */
gboolean cert_freezer_freeze (CertFreezer *self, GPtrArray *databases, guint budget_ms,
                              guint acquire_ms, GError **error);
/* Releases (a no-op when nothing is held); fills @result. */
void     cert_freezer_thaw (CertFreezer *self, CertThawResult *result);
gboolean cert_freezer_is_frozen (CertFreezer *self);

G_END_DECLS
