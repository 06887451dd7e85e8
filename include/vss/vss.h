/* vss.h — the one header of libvss. */
#pragma once

#include <vss/vss-types.h>
#include <vss/vss-error.h>
#include <vss/vss-async.h>
#include <vss/vss-writer-metadata.h>
#include <vss/vss-component.h>
#include <vss/vss-writer.h>
#include <vss/vss-backup-components.h>
#include <vss/vss-snapshots.h>
#include <vss/vss-online.h>
#include <vss/vss-ds-backup.h>
#include <vss/vss-cs-backup.h>
#include <vss/vss-backup-set.h>
#include <vss/vss-restore-job.h>
#include <vss/vss-backup-job.h>
#include <vss/vss-writer-client.h>
#include <vss/vss-cluster.h>
#include <vss/vss-version.h>
