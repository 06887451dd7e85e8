# image-lib.sh — shared by the root tests of writer images
# (test-image-*.sh): TAP output, the vss environment in a temp dir with
# the directory writer installed, and an ext4 filesystem on a loop device.
# Sourced with BUILD and T set; never run by itself.

VSS=$BUILD/requester/vss
n=0; failed=0
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; fi; }

# need_tools TOOL…: skip the whole test when one is missing
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is missing"; exit 0; }
  done
}

# vss's config, state and runtime dirs in $T, the directory writer installed
image_env() {
  mkdir -p "$T"/{config,state,run,writers}
  export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
  export VSS_WRITER_PATH=$T/writers
  export VSS_WRITER_HOST=${VSS_WRITER_HOST:-$BUILD/libvss/writer-host/host/vss-writer-host}
  install -m 644 "$BUILD/writers/directory/directory.so" "$T/writers/"
}

# A 2 GB ext4 on a loop device mounted at $T/mnt (skips when it cannot be
# made); image_cleanup unmounts and detaches it.
LOOP=""
image_ext4() {
  mkdir -p "$T/mnt"
  truncate -s 2G "$T/disk.img"
  LOOP=$(losetup -f --show "$T/disk.img") || { echo "1..0 # SKIP no loop device"; exit 0; }
  mkfs.ext4 -q "$LOOP" && mount "$LOOP" "$T/mnt" || { echo "1..0 # SKIP cannot make ext4"; exit 0; }
}
image_cleanup() {
  mountpoint -q "$T/mnt" && umount "$T/mnt"
  [ -n "$LOOP" ] && losetup -d "$LOOP"
  rm -rf "$T"
}
