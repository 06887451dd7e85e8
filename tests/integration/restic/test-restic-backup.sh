#!/usr/bin/env bash
# `vss backup --repo restic:REPO` with the real restic: a WAL-mode SQLite
# CA store (certificate writer, kept open by its application) and a
# --path tree go into one restic snapshot at their original paths with
# the set's metadata; a second backup has the first as parent and reads
# only what changed; a restic failure tells the writer the backup failed
# (its WAL is not truncated), a success lets it truncate; the --exec
# view shows every snapshot at its path, read-only; SIGTERM to vss during
# the restic run ends restic, fails the backup for the writer and deletes
# the snapshots; kill -9 of vss leaves no process and no mount; as
# another user the view works, and restic's exit 3 (a file it could not
# read) fails the backup and tags the snapshot vss-incomplete, which no
# restore takes.
# Usage: test-restic-backup.sh BUILD_ROOT.  Prints TAP.
BUILD=$1
. "$(dirname "$0")/lib.sh" || exit 1

for i in $(seq 30); do echo "page $i" > "$WWW/page$i.html"; done
ca_start
ca_insert 20
before_mounts=$(mounts)

# --- a restic failure (wrong password): the writer must keep its WAL
TRUNCATED=$T/ca/.ca.db.vss-truncated   # the writer's record of its last WAL truncation
RESTIC_PASSWORD=wrong "$VSS" --json backup -c certificate --path "$WWW" --repo "restic:$REPO" \
  > "$T/out/bad.json" 2> "$T/out/bad.err"; rc=$?
check "a restic failure fails the backup (exit 1, got $rc)" test $rc -eq 1
check "it says restic failed and the writers were told so" grep -q "restic backup failed.*writers were told" "$T/out/bad.err"
check "the summary counts the component failed" json "$T/out/bad.json" "summary['components_failed'] == 1 and summary['components_ok'] == 0"
check "the writer did not truncate its WAL" test ! -e "$TRUNCATED"

# --- the first backup
"$VSS" --json backup -c certificate --path "$WWW" --repo "restic:$REPO" > "$T/out/b1.json" 2> "$T/out/b1.err"; rc=$?
check "backup to restic succeeds (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/b1.err"
check "the summary names the restic snapshot and the set" \
  json "$T/out/b1.json" "len(summary.get('restic_snapshot', '')) >= 8 and summary['components_ok'] == 1 and len(summary['set_id']) == 36"
check "restic's progress is relayed" json "$T/out/b1.json" "any(e.get('type') == 'progress' and e['phase'] == 'restic' for e in events)"
check "the writer truncated its WAL once restic had saved the snapshot" test -s "$TRUNCATED"
snap1=$(python3 -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if '\"summary\"' in l][-1]['restic_snapshot'])" "$T/out/b1.json")
restic -r "$REPO" ls --json "$snap1" > "$T/out/ls1.json"
has() { grep -q "\"path\":\"$1\"" "$T/out/ls1.json"; }
check "the snapshot holds the database at its original path" has "$DB"
# the writer serves its image (a read transaction with the WAL folded in),
# staged as a file at the database's path: every row, no WAL to replay
restic -r "$REPO" dump "$snap1" "$DB" > "$T/out/image.db"
check "the database in the snapshot is the writer's image: every row, no WAL needed" \
  test "$(sqlite3 "$T/out/image.db" 'SELECT count(*) FROM certificates;')" = 40
check "restic recorded the live database's mode and owner" python3 -c "
import json, os, sys
live = os.stat('$DB')
e = [json.loads(l) for l in open('$T/out/ls1.json') if '\"path\":\"$DB\"' in l][0]
sys.exit(0 if e['mode'] & 0o7777 == live.st_mode & 0o7777 and e['uid'] == live.st_uid else 1)"
check "the images were staged and the staging directory removed" \
  bash -c "grep -q '\"phase\": *\"images\"' '$T/out/b1.json' && [ -z \"\$(ls -A '$T/state/staging' 2>/dev/null)\" ]"
check "the snapshot holds the --path tree at its original path" has "$WWW/page30.html"
check "the snapshot holds the BCD and the writer metadata" bash -c "$(declare -f has); T=$T; has /run/vss/set/bcd.json && has /run/vss/set/writers/certificate.json"
restic -r "$REPO" dump "$snap1" /run/vss/set/bcd.json > "$T/out/bcd.json"
check "the stored BCD names the certificate component" grep -q '"certificate"' "$T/out/bcd.json"
restic -r "$REPO" snapshots --json > "$T/out/snaps.json"
check "the snapshot is tagged vss, its set, its type and its host" python3 -c "
import json,sys
s=[x for x in json.load(open('$T/out/snaps.json')) if x['short_id']=='$snap1'][0]
t=s['tags']; sys.exit(0 if 'vss' in t and 'vss-type=full' in t and 'vss-host=' + s['hostname'] in t and any(x.startswith('vss-set=') for x in t) else 1)"
check "no mount left in the host namespace" test "$(mounts)" = "$before_mounts"

# --- the second backup: a parent, and only the changed files read
echo "page 1, edited" > "$WWW/page1.html"
touch -d '2 minutes ago' "$WWW/page1.html"   # an edit restic sees by mtime
ca_insert 5
"$VSS" --json backup -c certificate --path "$WWW" --repo "restic:$REPO" > "$T/out/b2.json" 2> "$T/out/b2.err"; rc=$?
check "the second backup succeeds (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/b2.err"
snap2=$(python3 -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if '\"summary\"' in l][-1]['restic_snapshot'])" "$T/out/b2.json")
restic -r "$REPO" snapshots --json > "$T/out/snaps.json"
check "restic used the first as its parent" python3 -c "
import json,sys
s={x['short_id']: x for x in json.load(open('$T/out/snaps.json'))}
sys.exit(0 if s['$snap2'].get('parent','').startswith('$snap1') else 1)"
check "the unchanged pages were not read again (files_unmodified >= 29)" \
  json "$T/out/b2.json" "restic['files_unmodified'] >= 29 and restic['files_changed'] >= 1"

# --- --exec: the README's command sees every snapshot at its path
"$VSS" backup -c certificate --path "$WWW" --exec \
  'restic -r "'"$REPO"'" backup --tag exec --files-from-verbatim "$VSS_PATHS_FILE" && cat "$VSS_BCD" > /dev/null && ! touch '"$WWW"'/written 2>/dev/null' \
  > "$T/out/exec.out" 2>&1; rc=$?
check "--exec with restic succeeds (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/exec.out"
check "the view is read-only (the command could not write to the tree)" test ! -e "$WWW/written"
restic -r "$REPO" ls --json latest --tag exec > "$T/out/ls-exec.json"
check "the --exec snapshot holds both the database and the --path tree" \
  bash -c "grep -q '\"path\":\"$DB\"' '$T/out/ls-exec.json' && grep -q '\"path\":\"$WWW/page2.html\"' '$T/out/ls-exec.json'"

# --- kill -9 of vss while restic runs: nothing of it survives
MARK=3171.$$   # sleep's argument: names this test's processes only
cat > "$T/slow-restic" <<SH
#!/bin/sh
sleep $MARK &
sleep $MARK
exec restic "\$@"
SH
chmod 755 "$T/slow-restic"
# functions, not bash -c: a shell whose command line holds the mark would match
running() { pgrep -f "sleep $MARK" > /dev/null; }
gone() { ! running; }
# SIGTERM: vss ends the command, tells the writers, deletes its snapshots
rm -f "$TRUNCATED"
VSS_RESTIC=$T/slow-restic "$VSS" backup -c certificate --path "$WWW" --repo "restic:$REPO" > "$T/out/term.out" 2>&1 & VPID=$!
for i in $(seq 100); do pgrep -f "sleep $MARK" >/dev/null && break; sleep 0.1; done
kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "SIGTERM during the command: vss fails the backup (exit 1, got $rc)" test $rc -eq 1 || show "$T/out/term.out"
check "the command and all it started are gone" gone
check "the writer heard the backup failed (no WAL truncation)" test ! -e "$TRUNCATED"
check "vss deleted its snapshots" bash -c "[ -z \"\$('$VSS' --json shadows list | grep '\"shadow\"')\" ]"
for p in $(pgrep -f "sleep $MARK"); do kill -9 "$p"; done

# kill -9: nothing can run in vss; the kernel ends the command
VSS_RESTIC=$T/slow-restic "$VSS" backup -c certificate --path "$WWW" --repo "restic:$REPO" > "$T/out/kill.out" 2>&1 & VPID=$!
for i in $(seq 100); do pgrep -f "sleep $MARK" >/dev/null && break; sleep 0.1; done
check "the slow restic started" running
kill -9 "$VPID"; wait "$VPID" 2>/dev/null
ended=no
for i in $(seq 10); do pgrep -f "sleep $MARK" >/dev/null || { ended=yes; break; }; sleep 0.1; done
check "every process of the command is gone within 1 s of kill -9" test $ended = yes
for p in $(pgrep -f "sleep $MARK"); do kill -9 "$p"; done   # survivors of a failure
check "no mount left in the host namespace after kill -9" test "$(mounts)" = "$before_mounts"
check "kill -9 left its staged images" bash -c "ls -d '$T'/state/staging/images-* > /dev/null 2>&1"
"$VSS" backup -c certificate --repo "restic:$REPO" > "$T/out/after-kill.out" 2>&1; rc=$?
check "the next backup succeeds (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/after-kill.out"
check "and removed the staging directory the killed one left" bash -c "[ -z \"\$(ls -A '$T/state/staging')\" ]"
# A staging directory is its run's while the run holds its flock: a
# directory locked by someone else is left alone, and removed once free.
mkdir -p "$T/state/staging/images-inuse"
flock -o "$T/state/staging/images-inuse" sleep 29.7 & HOLDER=$!
for i in $(seq 50); do flock -n "$T/state/staging/images-inuse" true || break; sleep 0.1; done
"$VSS" backup -c certificate --repo "restic:$REPO" > "$T/out/beside-held.out" 2>&1; rc=$?
check "a backup beside a held staging directory succeeds (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/beside-held.out"
check "…and leaves the held directory alone" test -d "$T/state/staging/images-inuse"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null; pkill -f "^sleep 29[.]7\$"
"$VSS" backup -c certificate --repo "restic:$REPO" > "$T/out/after-held.out" 2>&1; rc=$?
check "once nobody holds it, the next backup removes it (exit $rc)" test $rc -eq 0 -a ! -e "$T/state/staging/images-inuse"

# --- not root: the view in a user namespace, the command as that user
if command -v runuser >/dev/null && id nobody >/dev/null 2>&1; then
  U=$(mktemp -d /tmp/vss-restic-user-XXXXXX); chmod 755 "$U"
  mkdir -p "$U"/{config,state,run,writers,tree}; echo mine > "$U/tree/file"; chown -R nobody "$U"
  runuser -u nobody -- env VSS_CONFIG_DIR="$U/config" VSS_STATE_DIR="$U/state" VSS_RUNTIME_DIR="$U/run" \
    VSS_WRITER_PATH="$U/writers" VSS_WRITER_HOST="$VSS_WRITER_HOST" "$VSS" backup --path "$U/tree" \
    --exec "test \"\$(id -un)\" = nobody && test \"\$(cat $U/tree/file)\" = mine && ! touch $U/tree/new 2>/dev/null" \
    > "$T/out/user.out" 2>&1; rc=$?
  check "as nobody: the command runs as nobody and reads the read-only snapshot (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/user.out"
  rm -rf "$U"
fi

# --- restic exit 3: a file the user cannot read, in a btrfs subvolume it
# owns (so it can snapshot it): the snapshot is saved without the file
if command -v runuser >/dev/null && command -v mkfs.btrfs >/dev/null && id nobody >/dev/null 2>&1; then
  U=$(mktemp -d /tmp/vss-restic-e3-XXXXXX); chmod 755 "$U"
  truncate -s 1G "$U/fs.img"; mkfs.btrfs -q "$U/fs.img" > /dev/null 2>&1; mkdir "$U/mnt"
  if mount -o loop,user_subvol_rm_allowed "$U/fs.img" "$U/mnt" 2>/dev/null; then
    btrfs -q subvolume create "$U/mnt/tree" > /dev/null
    echo fine > "$U/mnt/tree/readable"; echo secret > "$U/mnt/tree/secret"
    mkdir -p "$U"/{config,state,run,writers,cache}
    restic init -q -r "$U/repo" > /dev/null
    chown -R nobody "$U"/{config,state,run,writers,cache,repo} "$U/mnt/tree"; chmod 777 "$U/mnt"
    chown root "$U/mnt/tree/secret"; chmod 600 "$U/mnt/tree/secret"
    runuser -u nobody -- env RESTIC_PASSWORD=$RESTIC_PASSWORD RESTIC_CACHE_DIR="$U/cache" VSS_CONFIG_DIR="$U/config" \
      VSS_STATE_DIR="$U/state" VSS_RUNTIME_DIR="$U/run" VSS_WRITER_PATH="$U/writers" VSS_WRITER_HOST="$VSS_WRITER_HOST" \
      "$VSS" --json backup --path "$U/mnt/tree" --repo "restic:$U/repo" > "$T/out/e3.json" 2> "$T/out/e3.err"; rc=$?
    check "restic exit 3: the backup fails (exit 1, got $rc)" test $rc -eq 1 || show "$T/out/e3.err"
    check "it says restic could not read some files" grep -q "restic could not read some files (exit 3)" "$T/out/e3.err"
    check "the restic snapshot is tagged vss-incomplete" bash -c "restic -r '$U/repo' snapshots --json | grep -q vss-incomplete"
    "$VSS" restore --from "restic:$U/repo" --to "$U/look" > "$T/out/e3-restore.out" 2>&1; rc=$?
    check "vss restore refuses the incomplete snapshot (exit 1, got $rc)" test $rc -eq 1 && grep -q "vss-incomplete" "$T/out/e3-restore.out"
    umount "$U/mnt"
  fi
  rm -rf "$U"
fi

ca_stop
finish
