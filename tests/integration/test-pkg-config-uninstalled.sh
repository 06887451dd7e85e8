#!/bin/bash
# test-pkg-config-uninstalled.sh BUILD_DIR SOURCE_DIR — building against
# the build tree, as a project using libvss as a subproject or from a
# checkout does: examples/ compiled with nothing but
# PKG_CONFIG_PATH=BUILD_DIR/meson-uninstalled, then one backup run with the
# built libvss.  Exit 0 pass, 1 fail, 77 skip (no C compiler).
set -u

build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || { echo "SKIP: no C compiler ($cc)"; exit 77; }
command -v pkg-config >/dev/null 2>&1 || { echo "FAIL: pkg-config is not installed"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vss-pkg-uninstalled.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
show () { echo "---- $1"; cat "$1"; echo "----"; }
die () { echo "FAIL: $*"; exit 1; }

export PKG_CONFIG_PATH="$build/meson-uninstalled"
pkg-config --exists --print-errors vss || die "pkg-config cannot resolve vss from $PKG_CONFIG_PATH"
pkg-config --uninstalled vss || die "pkg-config did not pick vss-uninstalled.pc"
echo "cflags: $(pkg-config --cflags vss)"

mkdir -p "$tmp/ex" "$tmp/writers" "$tmp/data" "$tmp/config" "$tmp/state" "$tmp/run"
cp "$src/examples/my-writer.c" "$src/examples/backup-once.c" "$tmp/ex/"
warn=(-Wall -Wextra -Wno-unused-parameter -Werror)
# shellcheck disable=SC2046
(cd "$tmp/ex" && "$cc" "${warn[@]}" -shared -fPIC -o "$tmp/writers/my-writer.so" my-writer.c \
   $(pkg-config --cflags --libs vss gmodule-2.0)) >"$tmp/cc-writer.log" 2>&1 ||
  { show "$tmp/cc-writer.log"; die "my-writer.c does not build against the build tree"; }
# shellcheck disable=SC2046
(cd "$tmp/ex" && "$cc" "${warn[@]}" -o backup-once backup-once.c \
   $(pkg-config --cflags --libs vss)) >"$tmp/cc-requester.log" 2>&1 ||
  { show "$tmp/cc-requester.log"; die "backup-once.c does not build against the build tree"; }

printf 'hello from the uninstalled pkg-config test\n' >"$tmp/data/hello.txt"
run_env=(env LD_LIBRARY_PATH="$build/libvss" VSS_WRITER_PATH="$tmp/writers"
         VSS_CONFIG_DIR="$tmp/config" VSS_STATE_DIR="$tmp/state" VSS_RUNTIME_DIR="$tmp/run"
         MY_WRITER_DIR="$tmp/data")
asan_runtime=$(ldd "$build/libvss/libvss.so.0" 2>/dev/null | awk '/libasan/ {print $3}')
[ -n "$asan_runtime" ] && run_env+=(LD_PRELOAD="$asan_runtime" ASAN_OPTIONS=detect_leaks=0)
"${run_env[@]}" "$tmp/ex/backup-once" "$tmp/set" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && grep -qx 'backup succeeded' "$tmp/out" ||
  { show "$tmp/out"; show "$tmp/err"; die "backup-once built against the build tree failed ($rc)"; }
echo "pkg-config against the build tree: all checks passed"
exit 0
