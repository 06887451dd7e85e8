#!/usr/bin/env bash
# bench/backupset/bench-set-rss.sh — peak RSS of `vss backup`, `vss verify`
# and `vss restore` against the number of files in a set (N empty files
# in directories of 1,000, for each N given), next to the same work done
# by cp -a (backup, restore) and sha256sum (verify) in the same run.
#
#   bench/backupset/bench-set-rss.sh [BUILD_DIR] [WORK_DIR] [N...]
#
# Default N: 1000 10000 100000 1000000.  WORK_DIR defaults to a new
# directory under /var/tmp (ext4 here; the restore's fsync per file makes
# a million slow there, a tmpfs — /dev/shm — takes them in minutes).  RUNS (default 3) runs per N,
# medians printed; the restore is measured for N <= RESTORE_MAX (default
# 100000: it fsyncs every file, a million take long).  Prints one line
# per N: seconds and peak RSS (KiB) of each step, and vss/peer RSS
# ratios (backup/verify/restore).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
WORK=${2:-$(mktemp -d /var/tmp/vss-bench-set-rss.XXXXXX)}
shift $(( $# > 2 ? 2 : $# ))
COUNTS=${*:-1000 10000 100000 1000000}
RUNS=${RUNS:-3}
RESTORE_MAX=${RESTORE_MAX:-100000}
VSS=$PWD/$BUILD/requester/vss
export VSS_STATE_DIR=$WORK/state VSS_CONFIG_DIR=$WORK/config VSS_RUNTIME_DIR=$WORK/run
export VSS_WRITER_PATH=$WORK/no-writers
mkdir -p "$WORK"/{state,config,run,no-writers}
trap 'rm -rf "$WORK"' EXIT

# measure NAME CMD…: "SECONDS PEAK_RSS_KIB" of CMD (its largest process)
measure() {
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" ||
    { echo "failed: $*" >&2; cat "$WORK/err" >&2; exit 1; }
  cat "$WORK/time"
}

printf '%9s %11s | %7s %9s %9s | %7s %9s %9s | %7s %9s %9s | %s\n' entries manifest \
  backup_s rss_kib cp_kib verify_s rss_kib sha_kib restore_s rss_kib cp_kib 'rss ratio b/v/r'
for n in $COUNTS; do
  src=$WORK/src-$n
  mkdir -p "$src"
  python3 - "$src" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = f"{root}/d{i // 1000:04d}"
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    open(f"{d}/f{i % 1000:03d}", "wb").close()
PY
  sync
  : > "$WORK/runs"
  for run in $(seq "$RUNS"); do
    # the peers first, on a copy removed at once: a tmpfs holds about
    # three trees of a million files, not four
    read -r _ bp < <(measure cp -a "$src" "$WORK/cp-$n")
    read -r _ vp < <(measure bash -c "cd '$WORK/cp-$n' && find . -type f -print0 | xargs -0 sha256sum")
    rm -rf "$WORK/cp-$n"
    read -r bs br < <(measure "$VSS" backup --path "$src" --path-consistency crash --to "$WORK/set-$n")
    read -r vs vr < <(measure "$VSS" verify "$WORK/set-$n")
    rs=- rr=0 rp=1
    if [ "$n" -le "$RESTORE_MAX" ]; then
      read -r rs rr < <(measure "$VSS" restore --from "$WORK/set-$n" --to "$WORK/restored-$n")
      rm -rf "$WORK/restored-$n"
      read -r _ rp < <(measure cp -a "$src" "$WORK/cp-$n")
    fi
    echo "$bs $br $bp $vs $vr $vp $rs $rr $rp" >> "$WORK/runs"
    manifest=$(stat -c %s "$WORK/set-$n/manifest.json")
    rm -rf "$WORK/set-$n" "$WORK/restored-$n" "$WORK/cp-$n"
  done
  python3 - "$n" "$manifest" "$WORK/runs" <<'PY'
import statistics, sys
n, manifest, path = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [l.split() for l in open(path) if l.strip()]
def med(i):
    vals = [r[i] for r in rows]
    if vals[0] == '-':
        return '-'
    m = statistics.median(float(v) for v in vals)
    return '%.2f' % m if '.' in vals[0] else '%d' % m
c = [med(i) for i in range(9)]
ratio = lambda a, b: '-' if c[a] == '-' or c[a] == '0' else '%.1f' % (float(c[a]) / float(c[b]))
print('%9s %11s | %7s %9s %9s | %7s %9s %9s | %7s %9s %9s | %s/%s/%s' % (
    n, manifest, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7] if c[6] != '-' else '-', c[8] if c[6] != '-' else '-',
    ratio(1, 2), ratio(4, 5), ratio(7, 8) if c[6] != '-' else '-'))
PY
  rm -rf "$src"
done
