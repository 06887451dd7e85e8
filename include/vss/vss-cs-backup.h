/* vss-cs-backup.h — the certificate services online backup API (vss_cs_*),
 * modeled on the Certificate Services one (certbcli.h).  Filled in by the
 * certificate-writer issue. */
#pragma once

#include <glib.h>
