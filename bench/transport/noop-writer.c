/* noop-writer.c — a writer that does nothing, for the transport
 * benchmark.  One build is copied N times as noop-<i>.so; each copy takes
 * its name ("noop-<i>") and a writer id ending in <i> from its own file
 * name, so N copies are N distinct writers. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vss/vss.h>

static VssWriterDescriptor descriptor = {
  .abi_major = VSS_WRITER_ABI_MAJOR,
  .abi_minor = VSS_WRITER_ABI_MINOR,
  .usage_type = VSS_UT_USERDATA,
};
static char name[32];
static char id[40];

G_MODULE_EXPORT const VssWriterDescriptor *vss_writer_module_get_descriptor (void);

G_MODULE_EXPORT const VssWriterDescriptor *
vss_writer_module_get_descriptor (void)
{
  Dl_info info;
  if (descriptor.name == NULL && dladdr ((void *) vss_writer_module_get_descriptor, &info) != 0) {
    const char *base = strrchr (info.dli_fname, '/');
    unsigned index = (unsigned) strtoul (strstr (base, "noop-") + 5, NULL, 10);
    snprintf (name, sizeof name, "noop-%u", index);
    snprintf (id, sizeof id, "7b5e2c10-0000-4000-8000-%012u", index);
    descriptor.name = name;
    descriptor.writer_id = id;
  }
  return &descriptor;
}
