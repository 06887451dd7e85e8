#!/usr/bin/env bash
# Writer metadata at scale: `vss writers` and `vss backup --dry-run` with
# one writer declaring N components (the "many" test writer), for
# N = 1k, 10k, 100k.  Linear growth means time/N stays flat.
# Usage: bench/metadata/run.sh BUILD_DIR.  Prints a Markdown table.
set -euo pipefail
BUILD=$(realpath "${1:-build}")
T=$(mktemp -d /tmp/vss-bench-metadata-XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T"/{w,run,data}
install -m 644 "$BUILD/tests/writers/libvss-test-many.so" "$T/w/"
export VSS_WRITER_HOST=$BUILD/libvss/writer-host/host/vss-writer-host VSS_WRITER_PATH=$T/w
export VSS_CONFIG_DIR=$T VSS_STATE_DIR=$T VSS_RUNTIME_DIR=$T/run VSS_TEST_DATA_DIR=$T/data
seconds() {  # wall seconds of a command
  local start end
  start=$(date +%s%N); "$@" > /dev/null 2>"$T/err" || { cat "$T/err" >&2; exit 1; }; end=$(date +%s%N)
  awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }'
}
echo "| components | vss writers (s) | µs per component | backup --dry-run (s) | µs per component |"
echo "|---:|---:|---:|---:|---:|"
for n in 1000 10000 100000; do
  export VSS_TEST_COMPONENTS=$n
  w=$(seconds "$BUILD/requester/vss" --json writers)
  b=$(seconds "$BUILD/requester/vss" backup --dry-run --exec true)
  awk -v n=$n -v w="$w" -v b="$b" 'BEGIN { printf "| %d | %s | %.0f | %s | %.0f |\n", n, w, w * 1e6 / n, b, b * 1e6 / n }'
done
