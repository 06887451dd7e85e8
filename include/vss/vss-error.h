/* vss-error.h — the VSS_ERROR domain.
 *
 * One code per VSS_E_* condition.  vss_error_to_hresult() gives the Windows
 * HRESULT for tools that log Windows-style codes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VSS_ERROR (vss_error_quark ())

typedef enum {
  VSS_ERROR_BAD_STATE,                      /* 0x80042301 */
  VSS_ERROR_UNEXPECTED,                     /* 0x80042302 */
  VSS_ERROR_PROVIDER_NOT_REGISTERED,        /* 0x80042304 */
  VSS_ERROR_PROVIDER_VETO,                  /* 0x80042306 */
  VSS_ERROR_OBJECT_NOT_FOUND,               /* 0x80042308 */
  VSS_ERROR_VOLUME_NOT_SUPPORTED,           /* 0x8004230C */
  VSS_ERROR_OBJECT_ALREADY_EXISTS,          /* 0x8004230D */
  VSS_ERROR_VOLUME_NOT_SUPPORTED_BY_PROVIDER, /* 0x8004230E */
  VSS_ERROR_UNEXPECTED_PROVIDER_ERROR,      /* 0x8004230F */
  VSS_ERROR_INVALID_DOCUMENT,               /* 0x80042311 INVALID_XML_DOCUMENT */
  VSS_ERROR_MAXIMUM_NUMBER_OF_VOLUMES_REACHED, /* 0x80042312 */
  VSS_ERROR_FLUSH_WRITES_TIMEOUT,           /* 0x80042313 */
  VSS_ERROR_HOLD_WRITES_TIMEOUT,            /* 0x80042314 */
  VSS_ERROR_UNEXPECTED_WRITER_ERROR,        /* 0x80042315 */
  VSS_ERROR_SNAPSHOT_SET_IN_PROGRESS,       /* 0x80042316 */
  VSS_ERROR_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED, /* 0x80042317 */
  VSS_ERROR_WRITER_INFRASTRUCTURE,          /* 0x80042318 */
  VSS_ERROR_WRITER_NOT_RESPONDING,          /* 0x80042319 */
  VSS_ERROR_UNSUPPORTED_CONTEXT,            /* 0x8004231B */
  VSS_ERROR_INSUFFICIENT_STORAGE,           /* 0x8004231F */
  VSS_ERROR_NOT_SUPPORTED,                  /* 0x8004232F */
  VSS_ERROR_WRITER_PARTIAL_FAILURE,         /* 0x80042336 */
  VSS_ERROR_WRITER_INCONSISTENT_SNAPSHOT,   /* 0x800423F0 */
  VSS_ERROR_WRITER_OUT_OF_RESOURCES,        /* 0x800423F1 */
  VSS_ERROR_WRITER_TIMEOUT,                 /* 0x800423F2 */
  VSS_ERROR_WRITER_RETRYABLE,               /* 0x800423F3 */
  VSS_ERROR_WRITER_NONRETRYABLE,            /* 0x800423F4 */
  VSS_ERROR_INVALID_ARG,                    /* 0x80070057 E_INVALIDARG */
  VSS_ERROR_ACCESS_DENIED,                  /* 0x80070005 E_ACCESSDENIED */
  VSS_ERROR_CANCELLED,                      /* 0x0004230B VSS_S_ASYNC_CANCELLED */
  /* A writer's on_load: installed but not configured (its configuration
   * file does not exist).  It takes no part and fails nothing. */
  VSS_ERROR_WRITER_NOT_CONFIGURED,          /* 0x80070015 ERROR_NOT_READY */
} VssError;

GQuark vss_error_quark (void);

/* The HRESULT for @error: 0 (S_OK) for NULL, E_FAIL (0x80004005) for an
 * error outside the VSS_ERROR domain. */
guint32 vss_error_to_hresult (const GError *error);

/* The SDK name of the HRESULT ("VSS_E_BAD_STATE"), for logs. */
const char *vss_error_to_hresult_name (const GError *error);

G_END_DECLS
