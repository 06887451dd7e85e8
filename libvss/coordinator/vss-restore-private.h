/* vss-restore-private.h — the call-order checks of pre_restore and
 * post_restore (called with the lock held, like every VssCheckFunc). */
#pragma once

#include "vss-backup-components-private.h"

G_BEGIN_DECLS

gboolean vss_restore_check_pre_restore (VssBackupComponents *self, GError **error);
gboolean vss_restore_check_post_restore (VssBackupComponents *self, GError **error);

G_END_DECLS
