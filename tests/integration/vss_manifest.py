"""Reading and editing a backup set's manifest.json from test scripts
(docs/backup-set.md): a version 4 manifest is lines (a header, one entry
each, a closing line with their count and SHA-256); load() gives the
header as a dict with its entries under "entries", as a version 1-3
document was, and dump() writes it back as lines, closing line
recomputed (as someone editing it on purpose would)."""
import hashlib
import json


def load(path):
    with open(path) as f:
        text = f.read()
    lines = text.split('\n')
    try:
        head = json.loads(lines[0])
    except ValueError:
        return json.loads(text)          # a version 1-3 document
    head['entries'] = [json.loads(l) for l in lines[1:] if l and not l.startswith('{"end":')]
    return head


def dump(m, path):
    m = dict(m)
    entries = m.pop('entries', [])
    text = ''.join(json.dumps(o, separators=(',', ':')) + '\n' for o in [m] + entries)
    end = {'end': {'entries': len(entries),
                   'sha256': hashlib.sha256(text.encode()).hexdigest()}}
    with open(path, 'w') as f:
        f.write(text + json.dumps(end, separators=(',', ':')) + '\n')
