/* vss-provider-copy.c: not written yet */
typedef int vss_placeholder_vss_provider_copy;
