#!/usr/bin/env python3
"""Write the linker version script of libvss.so: every vss_* function
declared in the public headers, and nothing else.  Internal helpers share
the vss_ prefix, so a wildcard would export them too."""
import re
import sys

out, headers = sys.argv[1], sys.argv[2:]
names = set()
for header in headers:
    with open(header, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)        # comments
    text = re.sub(r"^\s*#.*?(?<!\\)$", "", text, flags=re.M | re.S)  # macros, with continuations
    names.update(re.findall(r"\b(vss_[a-z0-9_]+)\s*\(", text))
with open(out, "w", encoding="utf-8") as f:
    f.write("VSS_0 {\n  global:\n")
    for name in sorted(names):
        f.write(f"    {name};\n")
    f.write("  local:\n    *;\n};\n")
