#!/bin/sh
# t-geom-build.sh: geometry of the standard fixture index built with
# --decoder (needs build_geometry in src/build/build.c to call geom_write): the
# planted near-duplicates and group come out as nearest neighbours, the
# tree covers every feature, and the map places every feature.
. "$(dirname "$0")/lib.sh"

IX=$(fixture_index) || { fail "fixture index" "build failed"; exit 1; }

"$FS" neighbours --json "$IX" 0 --k 3 >"$TMP/n0.json" 2>"$TMP/n0.err"
check "build geometry: 8 is the nearest neighbour of 0 (planted near-duplicate)" python3 -c '
import json, sys
n = json.load(open(sys.argv[1]))["neighbours"]
assert n[0]["feature"] == "8" and n[0]["cosine"] > 0.95, n' "$TMP/n0.json"
"$FS" neighbours --json "$IX" 1 --k 2 >"$TMP/n1.json" 2>&1
check "build geometry: 9 and 10 are the nearest neighbours of 1 (planted group)" python3 -c '
import json, sys
n = json.load(open(sys.argv[1]))["neighbours"]
assert sorted(e["feature"] for e in n) == ["10", "9"], n' "$TMP/n1.json"
"$FS" neighbours "$IX" 11 --k 1 >"$TMP/n11.txt" 2>&1
check_grep "build geometry: 2 is the nearest neighbour of 11" "^ +1  2 +0\.9" "$TMP/n11.txt"
"$FS" clusters --json "$IX" >"$TMP/c.json" 2>&1
check "build geometry: the concept tree covers all 64 features" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["clusters"]
assert sum(c["size"] for c in d) == 64, d' "$TMP/c.json"
check "build geometry: every feature has a map position in [0,1]^2 and a cluster" sh -c "
	test \"\$(sqlite3 '$IX' 'SELECT count(*) FROM features WHERE map_x BETWEEN 0 AND 1 AND map_y BETWEEN 0 AND 1 AND cluster > 0')\" = 64"
# the figure the build reports: stored tree names that repeat a sibling's
# (words in any order), counted again here from the clusters table
check "build geometry: meta cluster_sibling_repeats counts the stored tree's repeated sibling names" python3 -c '
import sqlite3, sys
from collections import Counter
db = sqlite3.connect(sys.argv[1])
saes = dict(db.execute("SELECT id, name FROM saes"))
meta = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE ?", ("cluster_sibling_repeats:%",)))
assert meta, "no cluster_sibling_repeats key"
for sid, name in saes.items():
    rows = db.execute("SELECT parent, label FROM clusters WHERE sae = ?", (sid,)).fetchall()
    c = Counter((p, ", ".join(sorted(l.split(", ")))) for p, l in rows)
    rep = sum(v for v in c.values() if v > 1)
    want = "%d of %d" % (rep, len(rows))
    assert meta.get("cluster_sibling_repeats:" + name) == want, (name, meta, want)' "$IX"
