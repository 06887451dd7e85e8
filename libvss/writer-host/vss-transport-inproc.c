/* vss-transport-inproc.c: not written yet */
typedef int vss_placeholder_vss_transport_inproc;
