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
trap 'cluster_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
export ETCDCTL_API=3

etcd_start_cluster || { echo "Bail out! etcd did not start"; exit 1; }
for h in a b c; do cluster_host "$h"; echo "data of $h" > "$T/hosts/$h/data/file"; start_cluster_agent "$h"; done
check "three agents register under the prefix" agents_registered a b c

cluster_backup --to "$T/set1" > "$T/backup1.out" 2>&1; rc=$?
check "vss backup --cluster makes a cluster set (exit 0)" test $rc -eq 0
check "the cluster manifest is there, with the three hosts" \
  python3 -c "import json,sys; m=json.load(open('$T/set1/cluster.json')); sys.exit(sorted(h['name'] for h in m['hosts']) != ['a','b','c'])"
# The guarantee (docs/cluster.md): every host committed while frozen, and
# no host thawed before the last one froze; in the requester's timeline
# (same clock here) every freeze came before it saw all frozen, and every
# thaw after.
check "every host committed while frozen, and all were frozen at once (last freeze <= first thaw)" \
  python3 -c "
import json,sys; m=json.load(open('$T/set1/cluster.json')); s,e=m['frozen_from_usec'],m['frozen_until_usec']
hs=m['hosts']; all_frozen=m['requester']['all_frozen_usec']
sys.exit(not (0<s<=e and all(h['frozen_usec']<=h['committed_usec']<=h['thaw_usec'] for h in hs)
  and max(h['frozen_usec'] for h in hs)==s and min(h['thaw_usec'] for h in hs)==e
  and all(h['frozen_usec']<=all_frozen<=h['thaw_usec'] for h in hs)))"
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
# A host that thawed before another froze: no instant at which all were
# frozen, so no cluster set (the times are checked, not only the files).
cp -a "$T/set1" "$T/set-apart"
python3 -c "
import json; p='$T/set-apart/cluster.json'; m=json.load(open(p)); hs=m['hosts']
hs[0]['thaw_usec']=hs[1]['frozen_usec']-1; hs[0]['committed_usec']=hs[0]['frozen_usec']=hs[0]['thaw_usec']-10
json.dump(m, open(p, 'w'))"
"$VSS" verify "$T/set-apart" > "$T/set-apart.out" 2>&1
check "hosts whose frozen intervals do not overlap fail verify" \
  bash -c "[ $? -ne 0 ] && grep -q 'before the last host froze' '$T/set-apart.out'"
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


# --- TLS: a one-member etcd that wants client certificates.  etcd 3.4's
# JSON gateway dials its own gRPC port with the server certificate as
# client certificate, so that one needs clientAuth too (etcd-io/etcd#17969).
tls_etcd() {
  local d=$T/tls base
  mkdir -p "$d"; (cd "$d" &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=vss-test-ca &&
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 &&
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > ext &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile ext &&
    openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=vss &&
    printf 'extendedKeyUsage=clientAuth\n' > cext &&
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 1 -extfile cext
  ) > "$d/openssl.log" 2>&1 || return 1
  base=$(free_port_base)
  etcd --name tls --data-dir "$ETCD_DIR/tls" --listen-client-urls "https://127.0.0.1:$base" \
    --advertise-client-urls "https://127.0.0.1:$base" --listen-peer-urls "http://127.0.0.1:$((base + 10))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((base + 10))" --initial-cluster "tls=http://127.0.0.1:$((base + 10))" \
    --cert-file "$d/server.pem" --key-file "$d/server.key" --trusted-ca-file "$d/ca.pem" --client-cert-auth \
    --log-level error > "$d/etcd.log" 2>&1 &
  ETCD_PIDS+=($!)
  TLS_URL=https://127.0.0.1:$base
  local until=$((SECONDS + 20))
  while [ $SECONDS -lt $until ]; do
    etcdctl --endpoints "$TLS_URL" --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client.key" \
      --dial-timeout=500ms endpoint health >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
if command -v openssl >/dev/null && tls_etcd; then
  host_dirs t
  install -m 644 "$BUILD/tests/integration/cluster/libvss-test-cluster.so" "$T/hosts/t/writers/"
  echo "data of t" > "$T/hosts/t/data/file"
  printf '[etcd]\nendpoints=%s\nprefix=/vss/tls\nlease-ttl=2\nca-file=%s\ncert-file=%s\nkey-file=%s\n' \
    "$TLS_URL" "$T/tls/ca.pem" "$T/tls/client.pem" "$T/tls/client.key" > "$T/hosts/t/config/cluster.conf"
  start_cluster_agent t
  sleep 1.5
  "$VSS" backup --cluster "$TLS_URL" --cluster-config "$T/hosts/t/config/cluster.conf" --to "$T/set-tls" > "$T/tls.out" 2>&1
  check "over TLS with a client certificate from the config file, a cluster set is made" \
    bash -c "'$VSS' verify '$T/set-tls' > /dev/null"
  grep -v '^cert-file\|^key-file' "$T/hosts/t/config/cluster.conf" > "$T/tls-nocert.conf"
  "$VSS" backup --cluster "$TLS_URL" --cluster-config "$T/tls-nocert.conf" --to "$T/set-tls-nocert" > /dev/null 2>&1
  check "... without the client certificate etcd refuses the requester" test $? -ne 0
  grep -v '^ca-file' "$T/hosts/t/config/cluster.conf" > "$T/tls-noca.conf"
  "$VSS" backup --cluster "$TLS_URL" --cluster-config "$T/tls-noca.conf" --to "$T/set-tls-noca" > "$T/tls-noca.out" 2>&1
  check "... without the CA the server's certificate is not trusted" test $? -ne 0
else
  n=$((n + 1)); echo "ok $n - TLS # SKIP openssl missing or the TLS etcd did not start"
fi
check "no sanitizer report from vss or any agent" sanitizer_clean
echo "1..$n"
exit $((failed > 0))
