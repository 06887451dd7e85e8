#!/usr/bin/env bash
# bench-cluster-ab.sh ROUNDS NAME=BUILD_ROOT:SOURCE_ROOT… — bench-cluster.sh
# for several builds side by side: ROUNDS rounds, each running every
# build once (3 and 30 agents, RUNS backups each), so that the builds
# share the machine's load; once with etcd on tmpfs, once on disk.
# A build of another commit: git archive COMMIT | tar -x -C DIR, then
# meson setup DIR/build and ninja -C DIR/build requester/vss
# libvss/writer-host/host/vss-writer-host
# tests/integration/cluster/libvss-test-cluster.so (each uses its own
# bench script; copy this tree's cluster-lib.sh over an older one for
# ETCD_ON_DISK).
set -uo pipefail
ROUNDS=$1; shift
for mode in tmpfs disk; do
  for round in $(seq 1 "$ROUNDS"); do
    for spec in "$@"; do
      name=${spec%%=*}; dirs=${spec#*=}; build=${dirs%%:*}; src=${dirs#*:}
      echo "=== $mode $name round $round $(date +%T) load $(cat /proc/loadavg)"
      if [ "$mode" = disk ]; then export ETCD_ON_DISK=1; else unset ETCD_ON_DISK; fi
      RUNS=${RUNS:-5} bash "$src/bench/cluster/bench-cluster.sh" "$build" "$src" 3 30 2>&1
    done
  done
done
