#!/usr/bin/env bash
# bench/certificate/run.sh [BUILD_DIR] [ROUNDS] — builds bench-certificate
# against the built libvss and runs it in a temp dir (needs ~450 MB free,
# sqlite3 and certutil).  Results go to docs/benchmarks-certificate.md by hand.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
rounds=${2:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/vss-bench-cert-XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/bench-certificate" "$src/bench/certificate/bench-certificate.c" \
   -I"$src/include" -I"$build/include" -L"$build/libvss" -lvss \
   $(pkg-config --cflags --libs glib-2.0 gio-2.0)
mkdir -p "$work/config" "$work/state" "$work/run"
export VSS_CONFIG_DIR=$work/config VSS_STATE_DIR=$work/state VSS_RUNTIME_DIR=$work/run
export VSS_WRITER_PATH=$build/writers/certificate
export LD_LIBRARY_PATH=$build/libvss${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
"$work/bench-certificate" "$work" "$rounds"
