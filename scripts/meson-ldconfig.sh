#!/bin/sh
# meson-ldconfig.sh — run by `meson install`: refresh the dynamic linker's
# cache so that the installed vss finds libvss.so.0 at once.  Skipped for a
# staged install (DESTDIR: the files are not where they will run) and when
# not root (the cache belongs to root; a private prefix relies on the
# programs' RUNPATH instead).
if [ -n "${DESTDIR:-}" ]; then
  echo "ldconfig: skipped (DESTDIR is set)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ldconfig: skipped (not root)"
  exit 0
fi
command -v ldconfig >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
exec ldconfig
