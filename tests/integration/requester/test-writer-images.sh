#!/usr/bin/env bash
# Writer images as `vss backup` and `vss restore` handle them, with the
# image test writer (tests/writers/image.c): the image is streamed into
# the set under its original path with no snapshot of it, verifies and
# restores like a file; so does an image of parts (bytes and a file passed
# by descriptor); a stream that ends short, or a passed file that shrank
# under its range, fails the component (no
# set that looks complete); an image nobody reads within the pin timeout
# is released; the pin is released after the stream in every case; with
# --exec (no set) a full backup's image is staged and shown at its path,
# and an incremental one reads the snapshot (no image).
# Usage: test-writer-images.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
VSS=$BUILD/requester/vss

T=$(mktemp -d /tmp/vss-images-XXXXXX)
trap 'rm -rf "$T"' EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_WRITER_SOCKET=$T/run/none.sock
export VSS_WRITER_HOST=${VSS_WRITER_HOST:-$BUILD/libvss/writer-host/host/vss-writer-host}
mkdir -p "$T"/{config,state,run,writers,sets,data}
install -m 644 "$BUILD/tests/writers/libvss-test-image.so" "$T/writers/"
export VSS_WRITER_PATH=$T/writers VSS_TEST_IMAGE_DIR=$T/data
D=$T/data
head -c 3000000 /dev/urandom > "$D/data.bin"
chmod 0640 "$D/data.bin"

n=0; failed=0
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*" "$(sed 's/^/  /' "$T/out" 2>/dev/null | tail -5)"; fi; }
run() { "$VSS" "$@" > "$T/out" 2>&1; echo $?; }
released() { grep -c '^released' "$D/released" 2>/dev/null || echo 0; }

# 1. an image read into the set
rc=$(VSS_TEST_IMAGE_MODE=ok run backup -c image --to "$T/sets/one")
check "a backup of an image component: exit 0" test "$rc" -eq 0
check "…took no filesystem snapshot" bash -c "! grep -q '^snapshot ' '$T/out'"
check "…stored the image under its original path" cmp -s "$D/data.bin" "$T/sets/one/files/0$D/data.bin"
check "…recorded in the BCD where it came from" grep -q '"source"' "$T/sets/one/bcd.json"
check "…with the live file's mode" grep -q '"mode": *416' "$T/sets/one/manifest.json"
check "…and released the pin once, after the whole image (3000000 bytes)" grep -qx 'released 3000000' "$D/released"
rc=$(run verify "$T/sets/one")
check "the set verifies" test "$rc" -eq 0
rc=$(run restore --from "$T/sets/one" --to "$T/r1")
check "restore --to puts the image back like a file" cmp -s "$D/data.bin" "$T/r1$D/data.bin"

# 1b. --dry-run says which components come as images
rc=$(VSS_TEST_IMAGE_MODE=ok run backup -c image --to "$T/sets/dry" --dry-run)
check "--dry-run: exit 0 (was $rc)" test "$rc" -eq 0
check "…names the component that comes as its writer's image" \
  grep -q "would freeze and back up image.*its writer's image, read after the thaw" "$T/out"
check "…and would snapshot nothing for it" bash -c "! grep -q '^would snapshot' '$T/out'"
rc=$(VSS_TEST_IMAGE_MODE=ok run backup -c image --exec true --dry-run)
check "--dry-run with --exec: the image is named too (staged for the command)" \
  grep -q "would freeze and back up image.*its writer's image" "$T/out"
rc=$(VSS_TEST_IMAGE_MODE=ok run backup -c image --type incremental --exec true --dry-run)
check "--dry-run with --exec --type incremental (no images): no image named" bash -c "! grep -q \"writer's image\" '$T/out'"

# 2. a stream that ends short
rm -f "$D/released"
rc=$(VSS_TEST_IMAGE_MODE=short run backup -c image --to "$T/sets/short")
check "a short image fails the backup: exit 1 (was $rc)" test "$rc" -eq 1
check "…saying the image ended early" grep -q 'image of .*data.bin ended after 1500000 of 3000000 bytes' "$T/out"
check "…and leaves no set that looks complete" test ! -e "$T/sets/short/manifest.json"
check "…and the pin was released" test "$(released)" -eq 1
head -c 100 /dev/urandom > "$T/other"; mkdir -p "$T/tree"; cp "$T/other" "$T/tree/"
rc=$(VSS_TEST_IMAGE_MODE=short run backup -c image --path "$T/tree" --to "$T/sets/short2")
check "with a --path as well: partial, exit 3 (was $rc)" test "$rc" -eq 3
check "…the component is recorded as not backed up" \
  bash -c "grep -q '\"backup_succeeded\": *false' '$T/sets/short2/bcd.json'"
check "…and its image is not in the set" bash -c "! grep -q 'data.bin' '$T/sets/short2/manifest.json'"

# 2b. an image served as parts: bytes, then data.bin passed by descriptor
rm -f "$D/released"
rc=$(VSS_TEST_IMAGE_MODE=parts run backup -c image --to "$T/sets/parts")
check "an image of parts (bytes + a file by descriptor): exit 0 (was $rc)" test "$rc" -eq 0
check "…stored exactly" cmp -s "$D/data.bin" "$T/sets/parts/files/0$D/data.bin"
check "…the pin released once" test "$(released)" -eq 1
rc=$(run verify "$T/sets/parts")
check "…and the set verifies" test "$rc" -eq 0

# 2c. the passed file shrinks before the requester reads it: the range is refused
rm -f "$D/released"
rc=$(VSS_TEST_IMAGE_MODE=parts-shrink run backup -c image --to "$T/sets/shrunk")
check "a passed file cut short fails the backup: exit 1 (was $rc)" test "$rc" -eq 1
check "…saying its range ends past the file's end" \
  grep -q 'image of .*data.bin was refused after 4096 of 3000000 bytes: a file part.s range ends past the end of its file' "$T/out"
check "…and leaves no set that looks complete" test ! -e "$T/sets/shrunk/manifest.json"
check "…and the pin was released" test "$(released)" -eq 1

# 3. an image nobody reads within the pin timeout
rm -f "$D/released"
rc=$(VSS_WRITER_IMAGE_TIMEOUT_MS=200 VSS_TEST_IMAGE_MODE=unread VSS_TEST_IMAGE_SLEEP_MS=1500 \
     run backup -c image --to "$T/sets/late")
check "an image dropped after its pin timeout fails the backup: exit 1 (was $rc)" test "$rc" -eq 1
check "…saying it may have been dropped" grep -q 'pin timeout' "$T/out"
check "…released with nothing written" grep -qx 'released 0' "$D/released"
check "…and no socket is left in the runtime directory" \
  test -z "$(find "$T/run" -name 's' -type s 2>/dev/null)"

# 4. --exec: the image staged after the thaw, shown at its original path
rm -f "$D/released"
cp "$D/data.bin" "$T/expected"
rc=$(VSS_TEST_IMAGE_MODE=ok run backup -c image --provider copy --exec \
     "cmp -s $D/data.bin $T/expected && stat -c %a $D/data.bin | grep -qx 640")
check "--exec: the command reads the image at its path, with the live mode: exit 0 (was $rc)" test "$rc" -eq 0
check "…took no filesystem snapshot" bash -c "! grep -q '^snapshot ' '$T/out'"
check "…released the pin once, after the whole image" grep -qx 'released 3000000' "$D/released"
check "…and removed the staged image" bash -c "[ -z \"\$(ls -A '$T/state/staging' 2>/dev/null)\" ]"

# 4b. a backup that reads no images (--exec, incremental): the snapshot holds the file
rm -f "$D/released"
rc=$(VSS_TEST_IMAGE_MODE=ok run backup -c image --provider copy --type incremental --exec "cmp -s $D/data.bin $T/expected")
check "--exec --type incremental: the writer serves no image and the snapshot has the file: exit 0 (was $rc)" test "$rc" -eq 0
check "…and no pin was taken" test ! -e "$D/released"

echo "1..$n"
[ "$failed" -eq 0 ]
