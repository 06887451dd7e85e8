/* cert-online.c — the "vss.cs-backup.1" table (placeholder until filled). */
#include "cert-writer.h"

const void *
cert_online_interface (void)
{
  return NULL;
}
