/* no-entry — a shared module without the writer entry point. */
#include <gmodule.h>

G_MODULE_EXPORT int vss_test_not_a_writer (void);

G_MODULE_EXPORT int
vss_test_not_a_writer (void)
{
  return 42;
}
