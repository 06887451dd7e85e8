#!/usr/bin/env python3
"""Print one line per entry of a tree with everything a restore must keep:
type, mode, owner, size, mtime (ns), content hash, link target, xattrs.
Two trees are equal for a backup round trip when the outputs are."""
import hashlib
import os
import stat
import sys

root = sys.argv[1]
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(dirnames + filenames):
        path = os.path.join(dirpath, name)
        st = os.lstat(path)
        rel = os.path.relpath(path, root)
        fields = [rel, stat.filemode(st.st_mode), f"{st.st_uid}:{st.st_gid}"]
        if stat.S_ISLNK(st.st_mode):
            fields.append("-> " + os.readlink(path))
        else:
            fields.append(str(st.st_mtime_ns))
        if stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                fields.append(str(st.st_size) + " " + hashlib.sha256(f.read()).hexdigest()[:16])
        if not stat.S_ISLNK(st.st_mode):
            try:
                for attr in sorted(os.listxattr(path)):
                    fields.append(f"{attr}={os.getxattr(path, attr)!r}")
            except OSError:
                pass
        print(" ".join(fields))
