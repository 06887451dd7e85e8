#!/usr/bin/env bash
# Cluster snapshot sets, the good path and its guards: three agents, a
# cluster set that verifies and restores per host, a tampered or
# manifest-less set that does not, --hosts, the prefix an agent acts
# under, and etcd credentials from a config file only.
# Usage: test-cluster-basic.sh BUILD_ROOT SOURCE_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1; SRC=$2; VSS=$BUILD/requester/vss
command -v etcd >/dev/null && command -v etcdctl >/dev/null || { echo "1..0 # SKIP etcd not installed"; exit 0; }
T=$(mktemp -d /tmp/vss-cluster-basic-XXXXXX)
. "$SRC/tests/integration/cluster/cluster-lib.sh"
trap 'cluster_cleanup; rm -rf "$T"' EXIT
export ETCDCTL_API=3

etcd_start_cluster || { echo "Bail out! etcd did not start"; exit 1; }
for h in a b c; do cluster_host "$h"; echo "data of $h" > "$T/hosts/$h/data/file"; start_cluster_agent "$h"; done
check "three agents register under the prefix" agents_registered a b c

cluster_backup --to "$T/set1" > "$T/backup1.out" 2>&1; rc=$?
check "vss backup --cluster makes a cluster set (exit 0)" test $rc -eq 0
check "the cluster manifest is there, with the three hosts" \
  python3 -c "import json,sys; m=json.load(open('$T/set1/cluster.json')); sys.exit(sorted(h['name'] for h in m['hosts']) != ['a','b','c'])"
check "every commit is inside the interval in which every host was frozen" \
  python3 -c "
import json,sys; m=json.load(open('$T/set1/cluster.json')); s,e=m['frozen_from_usec'],m['frozen_until_usec']
sys.exit(not (s<=e and all(s<=h['committed_usec']<=e and h['frozen_usec']<=s and h['thaw_usec']>=e for h in m['hosts'])))"
check "vss verify accepts the cluster set" bash -c "'$VSS' verify '$T/set1' > /dev/null"
check "every host's writer was thawed" bash -c "[ \"\$(cat $T/hosts/{a,b,c}/writer.state | cut -d' ' -f1 | sort -u)\" = thaw ]"
check "no snapshot is left on any host" no_snapshots_left a b c

vss_on b restore --from "$T/set1" --host b --to "$T/restored-b" > "$T/restore.out" 2>&1
check "vss restore --from SET --host b restores b's part" \
  bash -c "grep -rqx 'data of b' '$T/restored-b' && ! grep -rq 'data of a' '$T/restored-b'"
vss_on b restore --from "$T/set1" --host nosuch --to "$T/restored-x" > /dev/null 2>&1
check "restore --host of a host not in the set fails" test $? -ne 0

cp -a "$T/set1" "$T/set-tampered"
echo " " >> "$T/set-tampered/b/manifest.json"
"$VSS" verify "$T/set-tampered" > /dev/null 2>&1
check "a host manifest other than the recorded one fails verify" test $? -ne 0
cp -a "$T/set1" "$T/set-nomanifest"; rm "$T/set-nomanifest/cluster.json"
"$VSS" verify "$T/set-nomanifest" > /dev/null 2>&1
check "without cluster.json the directory is no set (verify fails)" test $? -ne 0

cluster_backup --hosts a,c --to "$T/set2" > /dev/null 2>&1
check "--hosts a,c makes a set of a and c only" bash -c "[ -d '$T/set2/a' ] && [ -d '$T/set2/c' ] && [ ! -e '$T/set2/b' ] && '$VSS' verify '$T/set2' >/dev/null"
cluster_backup --hosts a,nosuch --to "$T/set3" > "$T/set3.out" 2>&1; rc=$?
check "a host without an agent fails the backup before anything, naming it" \
  bash -c "[ $rc -ne 0 ] && grep -q nosuch '$T/set3.out' && [ ! -e '$T/set3' ]"

# --- an agent acts only under its own prefix
CLUSTER_PREFIX=/vss/other cluster_host x
runs_before=$(grep -c '^run ' "$T/hosts/a/agent.log")
start_cluster_agent x
CLUSTER_PREFIX=/vss/other agents_registered x
"$VSS" backup --cluster "$ETCD_ENDPOINTS" --cluster-config "$T/hosts/x/config/cluster.conf" --to "$T/set-other" > /dev/null 2>&1
check "a requester under another prefix reaches only that prefix's agent" \
  bash -c "[ -d '$T/set-other/x' ] && [ ! -e '$T/set-other/a' ] && [ $runs_before -eq \$(grep -c '^run ' '$T/hosts/a/agent.log') ]"
cluster_backup --hosts x --to "$T/set-x" > /dev/null 2>&1
check "... and the other prefix's agent is not found under ours" test $? -ne 0

# --- credentials only from a config file
# (an option's name or its value: `--repo` may mention restic's own RESTIC_PASSWORD variable)
check "no option takes a password" bash -c "! '$VSS' backup --help 2>&1 | grep -Eqi -- '--[a-z-]*(password|passwd|secret)|=PASSWORD' && ! '$VSS' agent --help 2>&1 | grep -Eqi -- '--[a-z-]*(password|passwd|secret)|=PASSWORD'"
cp "$T/hosts/a/config/cluster.conf" "$T/open.conf"; printf 'user=root\npassword=pw\n' >> "$T/open.conf"; chmod 644 "$T/open.conf"
"$VSS" backup --cluster "$ETCD_ENDPOINTS" --cluster-config "$T/open.conf" --to "$T/set-open" > "$T/open.out" 2>&1
check "a config file with a password that others can read is refused" bash -c "grep -q 'chmod 600' '$T/open.out'"
etcdctl --endpoints "$ETCD_ENDPOINTS" user add root:pw >/dev/null 2>&1 && etcdctl --endpoints "$ETCD_ENDPOINTS" auth enable >/dev/null 2>&1
for h in a b c x; do agent_stop "$h"; done
sed -i '/^user=\|^password=/d' "$T/hosts/a/config/cluster.conf"
printf 'user=root\npassword=pw\n' >> "$T/hosts/a/config/cluster.conf"; chmod 600 "$T/hosts/a/config/cluster.conf"
start_cluster_agent a
sleep 1
cluster_backup --hosts a --to "$T/set-auth" > "$T/auth.out" 2>&1
check "with etcd authentication on, user and password from the config file work" bash -c "'$VSS' verify '$T/set-auth' > /dev/null"
cp "$T/hosts/b/config/cluster.conf" "$T/noauth.conf"
"$VSS" backup --cluster "$ETCD_ENDPOINTS" --cluster-config "$T/noauth.conf" --hosts a --to "$T/set-noauth" > "$T/noauth.out" 2>&1; rc=$?
check "without them the requester is refused by etcd" bash -c "[ $rc -ne 0 ] && grep -qi 'permission denied\|auth\|user name' '$T/noauth.out'"

check "no sanitizer report from vss or any agent" sanitizer_clean
echo "1..$n"
exit $((failed > 0))
