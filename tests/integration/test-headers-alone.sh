#!/bin/bash
# test-headers-alone.sh BUILD_DIR SOURCE_DIR — every public header compiles
# on its own, first in a translation unit, with nothing but
# `pkg-config --cflags vss` (what a user's build has), and twice in a row
# (include guards).  Exit 0 pass, 1 fail, 77 skip (no C compiler).
set -u

build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || { echo "SKIP: no C compiler ($cc)"; exit 77; }
command -v pkg-config >/dev/null 2>&1 || { echo "FAIL: pkg-config is not installed"; exit 1; }

export PKG_CONFIG_PATH="$build/meson-uninstalled"
cflags=$(pkg-config --cflags vss) || { echo "FAIL: pkg-config cannot resolve vss"; exit 1; }
log=$(mktemp "${TMPDIR:-/tmp}/vss-headers.XXXXXX")
trap 'rm -f "$log"' EXIT

failed=0 count=0
for header in "$src"/include/vss/*.h "$build"/include/vss/vss-version.h; do
  name=$(basename "$header")
  count=$((count + 1))
  # vss-writer.h: its macro must expand with nothing else included either
  use=''
  [ "$name" = vss-writer.h ] && use='VSS_WRITER_DEFINE ("alone", "alone", VSS_UT_USERDATA, 1000)'
  # shellcheck disable=SC2086
  if printf '#include <vss/%s>\n#include <vss/%s>\n%s\nint main (void) { return 0; }\n' \
       "$name" "$name" "$use" |
       "$cc" -std=c11 -Wall -Wextra -Werror -fsyntax-only $cflags -x c - >"$log" 2>&1; then
    echo "ok: $name"
  else
    echo "FAIL: <vss/$name> does not compile on its own:"; cat "$log"
    failed=$((failed + 1))
  fi
done
[ "$count" -gt 0 ] || { echo "FAIL: no header found in $src/include/vss"; exit 1; }
echo "$count headers, $failed failed"
[ "$failed" -eq 0 ]
