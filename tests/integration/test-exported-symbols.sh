#!/bin/bash
# test-exported-symbols.sh BUILD_DIR SOURCE_DIR — libvss.so exports exactly
# the public API.
#
# The rule, precisely: every symbol `nm -D --defined-only` lists for
# libvss/libvss.so.0 must be
#   - the version node VSS_0 (an absolute symbol the version script makes), or
#   - one of the linker's own _init _fini _edata _end __bss_start, or
#   - a vss_* name declared in a public header (include/vss/*.h);
# and every vss_* function declared in a public header must be exported
# (except vss_writer_module_get_descriptor, which writer modules define).
# Exit 0 pass, 1 fail, 77 skip (no nm).
set -u

build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
lib="$build/libvss/libvss.so.0"

command -v nm >/dev/null 2>&1 || { echo "SKIP: nm (binutils) is not installed"; exit 77; }
[ -e "$lib" ] || { echo "FAIL: $lib does not exist"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vss-symbols.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
fail () { echo "FAIL: $*"; failures=$((failures + 1)); }

# "TYPE NAME" per defined dynamic symbol, version suffix (@@VSS_0) removed.
nm -D --defined-only "$lib" | awk 'NF >= 2 { sub(/@.*/, "", $NF); print $(NF-1), $NF }' \
  | sort -u >"$tmp/exported"
[ -s "$tmp/exported" ] || { echo "FAIL: nm lists no symbols for $lib"; exit 1; }

# Every vss_* identifier followed by "(" in the public headers: the
# functions (and vss_error_quark) of the API.
cat "$src"/include/vss/*.h | grep -oE '\bvss_[a-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' \
  | grep -vx 'vss_writer_module_get_descriptor' | sort -u >"$tmp/declared"

awk '{ print $2 }' "$tmp/exported" | grep '^vss_' | sort -u >"$tmp/exported-vss"

# 1. Nothing but vss_*, the version node and the linker's symbols.
awk '$2 !~ /^vss_/ && !($1 == "A" && $2 == "VSS_0") &&
     $2 !~ /^(_init|_fini|_edata|_end|__bss_start)$/' "$tmp/exported" >"$tmp/foreign"
if [ -s "$tmp/foreign" ]; then
  fail "symbols outside the vss_ namespace are exported:"
  sed 's/^/    /' "$tmp/foreign"
fi

# 2. No internal vss_* symbol.
comm -13 "$tmp/declared" "$tmp/exported-vss" >"$tmp/internal"
if [ -s "$tmp/internal" ]; then
  fail "$(wc -l <"$tmp/internal") vss_* symbols are exported but declared in no public header" \
       "(libvss/libvss.map exports vss_*; internal helpers leak):"
  sed 's/^/    /' "$tmp/internal"
fi

# 3. Every public function is there.
comm -23 "$tmp/declared" "$tmp/exported-vss" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
  fail "functions declared in include/vss/*.h but not exported:"
  sed 's/^/    /' "$tmp/missing"
fi

# 4. The named cases.
for name in vss_backup_components_new vss_writer_set_failure vss_error_to_hresult_name; do
  grep -qx "$name" "$tmp/exported-vss" || fail "$name is not exported"
done
for name in vss_dispatch_event vss_lifecycle_abort vss_paths_config_dir vss_provider_copy; do
  if grep -qx "$name" "$tmp/exported-vss"; then
    fail "internal $name is exported"
  fi
done

echo "$(wc -l <"$tmp/exported") defined dynamic symbols, $(wc -l <"$tmp/declared") public functions"
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "exported symbols: all checks passed"
exit 0
