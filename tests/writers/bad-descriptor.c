/* bad-abi-major, bad-abi-minor, bad-id — descriptors the loader must
 * refuse, filled by hand (VSS_WRITER_DEFINE cannot make them).  Built
 * once per flavour with -DBAD_ABI_MAJOR, -DBAD_ABI_MINOR or -DBAD_ID. */
#include <gmodule.h>
#include <vss/vss.h>

#if defined(BAD_ABI_MAJOR)
#define ABI_MAJOR 2
#define ABI_MINOR 0
#define WRITER_ID "9f0c0e1a-0001-4000-8000-000000000201"
#define WRITER_NAME "bad-abi-major"
#elif defined(BAD_ABI_MINOR)
#define ABI_MAJOR VSS_WRITER_ABI_MAJOR
#define ABI_MINOR (VSS_WRITER_ABI_MINOR + 1)
#define WRITER_ID "9f0c0e1a-0001-4000-8000-000000000202"
#define WRITER_NAME "bad-abi-minor"
#elif defined(BAD_ID)
#define ABI_MAJOR VSS_WRITER_ABI_MAJOR
#define ABI_MINOR VSS_WRITER_ABI_MINOR
#define WRITER_ID "not-a-uuid"
#define WRITER_NAME "bad-id"
#else
#error "build with -DBAD_ABI_MAJOR, -DBAD_ABI_MINOR or -DBAD_ID"
#endif

static const VssWriterDescriptor descriptor = {
  .abi_major = ABI_MAJOR,
  .abi_minor = ABI_MINOR,
  .writer_id = WRITER_ID,
  .name = WRITER_NAME,
  .usage_type = VSS_UT_USERDATA,
};

G_MODULE_EXPORT const VssWriterDescriptor *vss_writer_module_get_descriptor (void);

G_MODULE_EXPORT const VssWriterDescriptor *
vss_writer_module_get_descriptor (void)
{
  return &descriptor;
}
