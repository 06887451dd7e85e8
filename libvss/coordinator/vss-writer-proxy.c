/* vss-writer-proxy.c: not written yet */
typedef int vss_placeholder_vss_writer_proxy;
