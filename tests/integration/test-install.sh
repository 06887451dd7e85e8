#!/usr/bin/env bash
# test-install.sh BUILD_DIR SOURCE_DIR — `meson install` gives an admin a
# working tool: the systemd units name the installed vss and pass
# `systemd-analyze verify`, the man page, completion, docs and example
# configs are in place, and the installed vss finds its libvss without
# LD_LIBRARY_PATH (RUNPATH outside /usr, ldconfig for a system prefix).
# Installs into a DESTDIR; where root may make a private mount namespace,
# the DESTDIR tree is mounted at the real prefix there to run it as
# installed.  Prints TAP.
set -uo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vss-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; fi; }

option() {  # the configured value of a meson option
  meson introspect --buildoptions "$build" |
    python3 -c "import json,sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name']==sys.argv[1]))" "$1"
}
prefix=$(option prefix)
under_prefix() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
bindir=$(under_prefix "$(option bindir)")
libdir=$(under_prefix "$(option libdir)")
datadir=$(under_prefix "$(option datadir)")
mandir=$(under_prefix "$(option mandir)")
unitdir=$(option systemdunitdir); [ -n "$unitdir" ] || unitdir=$prefix/lib/systemd/system
docdir=$datadir/doc/libvss
root=$tmp/root
units=(vss-daemon.service vss-daemon.socket vss-backup@.service vss-backup@.timer)

# --no-rebuild: meson test built everything; a rebuild would race other tests.
meson install -C "$build" --destdir "$root" --no-rebuild >"$tmp/install.log" 2>&1; rc=$?
if [ $rc -ne 0 ]; then nok "meson install --destdir succeeds" "$(tail -5 "$tmp/install.log")"; echo "1..$n"; exit 0; fi
ok "meson install --destdir succeeds"

# --- files in place
missing=()
for f in "$bindir/vss" "$libdir/libvss.so.0" "$mandir/man1/vss.1" "$datadir/bash-completion/completions/vss" \
         "$docdir/README.md" "$docdir/json-output.md" "$docdir/env.md" \
         "$docdir/writers/README.directory.md" "$docdir/writers/README.certificate.md" \
         "$docdir/writers/README.script.md" "$unitdir/slapd.service.d/vss-restore-gate.conf" \
         "$docdir/examples/directory.conf" "$docdir/examples/certificate.conf" \
         "$docdir/examples/script.conf" "$docdir/examples/writer-socket.conf"; do
  [ -s "$root$f" ] || missing+=("$f")
done
for u in "${units[@]}"; do [ -s "$root$unitdir/$u" ] || missing+=("$unitdir/$u"); done
if [ ${#missing[@]} -eq 0 ]; then ok "program, man page, completion, units, docs and example configs are installed"
else nok "program, man page, completion, units, docs and example configs are installed" "missing: ${missing[*]}"; fi

# --- the units and the drop-in name the vss that was installed
for f in "$unitdir/vss-daemon.service" "$unitdir/vss-backup@.service" "$unitdir/slapd.service.d/vss-restore-gate.conf"; do
  exec_lines=$(grep -E '^Exec[A-Za-z]*=' "$root$f" 2>/dev/null)
  bad=$(grep -v "=$bindir/vss " <<<"$exec_lines")
  if [ -n "$exec_lines" ] && [ -z "$bad" ]; then ok "$(basename "$f") runs $bindir/vss"
  else nok "$(basename "$f") runs $bindir/vss" "found: ${exec_lines:-no Exec line}"; fi
done
check "vss-backup@.service runs 'vss backup --job %i'" grep -qx "ExecStart=$bindir/vss backup --job %i" "$root$unitdir/vss-backup@.service"
check "vss-daemon.service is Type=notify" grep -qx "Type=notify" "$root$unitdir/vss-daemon.service"
check "vss-daemon.socket listens on the default writer socket" grep -qx "ListenStream=/run/vss/writers.sock" "$root$unitdir/vss-daemon.socket"
check "the man page is the source's" cmp -s "$src/docs/vss.1" "$root$mandir/man1/vss.1"

# --- systemd-analyze verify: a copy whose Exec paths point into the DESTDIR
# (verify checks that the program exists); the instances stand for the
# templates.  Its warnings (an unknown Type=, a typo in a key) do not
# change its exit status, so any output fails too.
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir -p "$tmp/units"
  for u in "${units[@]}"; do sed "s|=$bindir/|=$root$bindir/|" "$root$unitdir/$u" >"$tmp/units/$u"; done
  (cd "$tmp/units" && systemd-analyze verify --man=no "$tmp/units/vss-daemon.service" "$tmp/units/vss-daemon.socket" \
       "$tmp/units/vss-backup@nightly.service" "$tmp/units/vss-backup@nightly.timer") >"$tmp/verify.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && [ ! -s "$tmp/verify.log" ]; then ok "systemd-analyze verify passes the installed units, silently"
  else nok "systemd-analyze verify passes the installed units, silently" "exit $rc" "$(head -c 600 "$tmp/verify.log")"; fi
else
  skip "systemd-analyze verify passes the installed units" "systemd-analyze is not installed (apt-get install systemd)"
fi

# --- finding libvss: RUNPATH outside /usr, the ldconfig script for all
grep -q "Running custom install script .*meson-ldconfig.sh" "$tmp/install.log" &&
  ok "meson install runs the ldconfig script" || nok "meson install runs the ldconfig script" "$(grep -i script "$tmp/install.log")"
runpath=$(readelf -d "$root$bindir/vss" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
if [ "$prefix" = /usr ]; then
  check "under /usr the installed vss has no RUNPATH (Debian policy)" test -z "$runpath"
else
  case ":$runpath:" in
    *":$libdir:"*) ok "the installed vss finds libvss through its RUNPATH ($libdir)" ;;
    *) nok "the installed vss finds libvss through its RUNPATH ($libdir)" "RUNPATH: ${runpath:-none}" ;;
  esac
fi
# The script itself: skipped for a DESTDIR and for non-root, else ldconfig.
mkdir -p "$tmp/fakebin"
printf '#!/bin/sh\ntouch "%s/ldconfig-ran"\n' "$tmp" >"$tmp/fakebin/ldconfig"; chmod +x "$tmp/fakebin/ldconfig"
ldconfig_script=$src/scripts/meson-ldconfig.sh
PATH=$tmp/fakebin:$PATH DESTDIR=$root sh "$ldconfig_script" >/dev/null
check "the ldconfig script does nothing for a DESTDIR install" test ! -e "$tmp/ldconfig-ran"
if [ "$(id -u)" -eq 0 ]; then
  PATH=$tmp/fakebin:$PATH DESTDIR= sh "$ldconfig_script" >/dev/null
  check "the ldconfig script runs ldconfig for root's install" test -e "$tmp/ldconfig-ran"
else
  skip "the ldconfig script runs ldconfig for root's install" "not root"
fi

# --- run it where it was installed, LD_LIBRARY_PATH unset
if [ "$(id -u)" -eq 0 ] && [ "$prefix" != /usr ] && command -v unshare >/dev/null 2>&1 &&
   unshare -m true 2>/dev/null; then
  mkdir -p "$root$prefix"
  unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && exec env -u LD_LIBRARY_PATH -u LD_PRELOAD "$3" --help' \
    _ "$root$prefix" "$prefix" "$bindir/vss" >"$tmp/help.out" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && grep -q "^Usage: vss" "$tmp/help.out"; then ok "the installed vss runs at $prefix without LD_LIBRARY_PATH"
  else nok "the installed vss runs at $prefix without LD_LIBRARY_PATH" "exit $rc: $(head -c 300 "$tmp/help.out")"; fi
else
  skip "the installed vss runs at $prefix without LD_LIBRARY_PATH" "needs root, unshare and a prefix other than /usr"
fi

echo "1..$n"
