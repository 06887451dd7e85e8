/* vss-ds-backup.h — the directory service online backup API (vss_ds_*),
 * modeled on the Active Directory one (ntdsbcli.h).  Filled in by the
 * directory-writer issue. */
#pragma once

#include <glib.h>
