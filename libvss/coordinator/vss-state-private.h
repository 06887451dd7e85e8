/* vss-state-private.h — the call-order rules shared by every call of
 * VssBackupComponents, and the checks of what a call names.  Unless said
 * otherwise, call these with self->lock held. */
#pragma once

#include "vss-backup-components-private.h"

G_BEGIN_DECLS

/* Runs @check under the lock, then @action when it passed; returns the
 * result of @check from the enclosing function. */
#define VSS_LOCKED(self, check, action)          \
  G_STMT_START {                                 \
    g_mutex_lock (&(self)->lock);                \
    gboolean vss_ok_ = (check);                  \
    if (vss_ok_) {                               \
      action;                                    \
    }                                            \
    g_mutex_unlock (&(self)->lock);              \
    return vss_ok_;                              \
  } G_STMT_END

/* VSS_ERROR_INVALID_ARG with the message; returns FALSE.  No lock needed. */
gboolean vss_state_invalid_arg (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* BAD_STATE "<call>: call <first> first" unless @step was reached. */
gboolean vss_state_require (VssBackupComponents *self, VssStep step, const char *call,
                            const char *first, GError **error);
/* BAD_STATE "<call>: <why>" when any of @steps was reached. */
gboolean vss_state_require_not (VssBackupComponents *self, guint steps, const char *call,
                                const char *why, GError **error);
/* BAD_STATE unless initialized for backup (names initialize_for_backup,
 * or says it is not allowed during a restore). */
gboolean vss_state_require_backup (VssBackupComponents *self, const char *call, GError **error);
/* BAD_STATE unless initialized for restore. */
gboolean vss_state_require_restore (VssBackupComponents *self, const char *call, GError **error);
/* BAD_STATE unless initialized (for backup or restore). */
gboolean vss_state_require_initialized (VssBackupComponents *self, const char *call, GError **error);
/* BAD_STATE unless gather_writer_metadata finished. */
gboolean vss_state_require_gathered (VssBackupComponents *self, const char *call, GError **error);
/* BAD_STATE in contexts without writers (file-share backup, NAS rollback,
 * client-accessible), for the calls that involve writers. */
gboolean vss_state_require_writer_context (VssBackupComponents *self, const char *call,
                                           GError **error);

/* Does ending now need an abort (set started or prepare issued, and the
 * snapshot neither done nor aborted)?  Takes the lock itself. */
gboolean vss_state_needs_abort (VssBackupComponents *self);

/* A new snapshot of @path for the set, after checking the path exists,
 * is not in the set already (nor nested in or around a member), the set
 * is not full, and the provider (named or chosen) supports it. */
VssSnapshot *vss_state_new_snapshot (VssBackupComponents *self, const char *path,
                                     const char *provider, GError **error);
VssSnapshot *vss_state_find_snapshot (VssBackupComponents *self, const char *snapshot_id);

/* The identified writer with @writer_id (and @instance_id if not NULL);
 * OBJECT_NOT_FOUND naming it when none. */
VssWriterProxy *vss_state_find_writer (VssBackupComponents *self, const char *call,
                                       const char *instance_id, const char *writer_id,
                                       GError **error);
/* The document's writer for @proxy: by instance during a backup, by
 * writer id during a restore (the saved instance ids are of the past). */
VssBcdWriter *vss_state_bcd_writer (VssBackupComponents *self, VssWriterProxy *proxy);
/* The component added with add_component; OBJECT_NOT_FOUND naming it. */
VssComponent *vss_state_find_added_component (VssBackupComponents *self, const char *call,
                                              const char *instance_id, const char *writer_id,
                                              VssComponentType type, const char *logical_path,
                                              const char *name, GError **error);

G_END_DECLS
