#!/bin/sh
# t-geom-cli.sh: the geometry commands (neighbours, clusters) on an index
# with planted decoder geometry written by tests/geomfix through the writer
# and geom_write: output, --json, determinism, the stored map, and the
# exit codes of bad names, nodes and indexes.
. "$(dirname "$0")/lib.sh"

IX=$TMP/g.sqlite
if ! "$B/tests/geomfix" "$IX" 2>"$TMP/fix.err"; then
	fail "geomfix" "$(head -c 300 "$TMP/fix.err")"
	exit 1
fi

"$FS" neighbours "$IX" a/0 >"$TMP/n0.txt"
check_grep "neighbours: near-duplicate a/1 is first, cosine ~1" "^ +1  a/1 +(1\.0000|0\.99[0-9]{2}) " "$TMP/n0.txt"
check_eq "neighbours: shows the 8 stored (default --k 10)" 8 "$(grep -c '^ \{1,3\}[0-9]\{1,\}  ' "$TMP/n0.txt")"
check_grep "neighbours: says how many are stored when --k asks for more (no decoder to compute them)" \
	'^\(the index stores 8 here; build with --neighbours 10, or with the decoder, for more\)$' "$TMP/n0.txt"
check_nogrep "neighbours: a feature is not its own neighbour" "^ +[0-9]+  a/0 " "$TMP/n0.txt"
"$FS" neighbours "$IX" a/3 --k 5 >"$TMP/n3.txt"
check_eq "neighbours: --k 5 shows 5" 6 "$(wc -l <"$TMP/n3.txt")"
check "neighbours: a/3's neighbours are its planted group (python)" \
	sh -c "tail -n +2 '$TMP/n3.txt' | grep -v 'python group' | grep -q . && exit 1 || exit 0"
"$FS" neighbours "$IX" b/5 --in a --k 3 >"$TMP/nb.txt"
check_grep "neighbours --in: b/5's nearest in a is a/5" "^ +1  a/5 " "$TMP/nb.txt"
"$FS" neighbours "$IX" a/7 --in b --k 3 >"$TMP/na.txt"
check_grep "neighbours --in: a/7's nearest in b is b/7" "^ +1  b/7 " "$TMP/na.txt"
"$FS" neighbours --json "$IX" a/2 --k 8 >"$TMP/n.json"
check "neighbours --json: 8 ranked, cosines falling, no self, labels" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = d["neighbours"]
assert d["feature"] == "a/2" and d["in"] == "a", d
assert [e["rank"] for e in n] == list(range(1, 9)), n
assert all(n[i]["cosine"] >= n[i + 1]["cosine"] for i in range(7)), n
assert all(e["feature"] != "a/2" and e["label"].startswith("auto: numbers group") for e in n), n' "$TMP/n.json"
"$FS" neighbours "$IX" a/0 >"$TMP/n0b.txt"
check "neighbours: stable across runs" cmp -s "$TMP/n0.txt" "$TMP/n0b.txt"

check_exit "neighbours: unknown feature exits 2" 2 "$FS" neighbours "$IX" a/999
# one line, stating the valid range: the dictionary's size from info --json
na=$("$FS" info "$IX" --json | python3 -c 'import json,sys; print([s["n_features"] for s in json.load(sys.stdin)["saes"] if s["name"] == "a"][0])')
"$FS" neighbours "$IX" a/999 2>"$TMP/range.err"
check_eq "neighbours: unknown feature message is one line with the valid range" \
	"featscope: a/999: no such feature (a has features 0 to $((na - 1)))" "$(cat "$TMP/range.err")"
check_exit "neighbours: unknown --in dictionary exits 2" 2 "$FS" neighbours "$IX" a/0 --in zz
check_exit "neighbours: bad --k exits 2" 2 "$FS" neighbours "$IX" a/0 --k 0
check_exit "neighbours: missing FEATURE exits 2" 2 "$FS" neighbours "$IX"
check_exit "neighbours: other width has none, exits 1" 1 "$FS" neighbours "$IX" c/0 --in a
check_grep "neighbours: says why none" "no neighbours of c/0 in a" "$TMP/.err"
printf 'not sqlite at all\n' >"$TMP/bad.sqlite"
check_exit "neighbours: not an index exits 2" 2 "$FS" neighbours "$TMP/bad.sqlite" 0
check_exit "neighbours: missing index exits 2" 2 "$FS" neighbours "$TMP/nope.sqlite" 0

"$FS" clusters "$IX" >"$TMP/c.txt"
check_grep "clusters: lists the roots of each dictionary" "^a: [0-9]+ top-level clusters" "$TMP/c.txt"
check_grep "clusters: a root named after its planted group" "  0 children  genome$" "$TMP/c.txt"
"$FS" clusters --json "$IX" >"$TMP/c.json"
check "clusters --json: roots cover every feature of each dictionary" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["clusters"]
size = {}
for c in d:
    assert c["parent"] == 0 and c["depth"] == 0, c
    size[c["sae"]] = size.get(c["sae"], 0) + c["size"]
assert size == {"a": 200, "b": 100, "c": 40}, size' "$TMP/c.json"
# every leaf of dictionary a holds one planted group only
check "clusters NODE: each leaf of a holds a single planted group" python3 -c '
import json, subprocess, sys
fs, ix = sys.argv[1], sys.argv[2]
def get(*a):
    return json.loads(subprocess.run([fs, "clusters", "--json", ix] + list(a), check=True, capture_output=True).stdout)
todo = [c["id"] for c in get("--in", "a")["clusters"]]
seen = 0
while todo:
    n = get(str(todo.pop()))
    todo += [c["id"] for c in n["children"]]
    # a/1 lies on the direction of group 0 under another label: left out
    words = {f["label"].split()[1] for f in n["features"] if f["feature"] != "a/1"}
    assert len(words) <= 1, (n["node"], words)
    assert (len(n["features"]) > 0) == (n["node"]["children"] == 0), n["node"]
    seen += len(n["features"])
assert seen == 200, seen' "$FS" "$IX"
ROOT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["clusters"][0]["id"])' "$TMP/c.json")
"$FS" clusters "$IX" "$ROOT" >"$TMP/node.txt"
check_grep "clusters NODE: header names the node" "^node $ROOT in a: " "$TMP/node.txt"
check_exit "clusters: unknown node exits 2" 2 "$FS" clusters "$IX" 99999
check_grep "clusters: unknown node message" "99999: no such cluster node" "$TMP/.err"
check_exit "clusters: node that is not a number exits 2" 2 "$FS" clusters "$IX" abc
check_exit "clusters: node of another dictionary than --in exits 2" 2 "$FS" clusters "$IX" "$ROOT" --in c
check_exit "clusters: not an index exits 2" 2 "$FS" clusters "$TMP/bad.sqlite"

check "map: every feature placed in [0,1]^2 with a leaf cluster" sh -c "
	test \"\$(sqlite3 '$IX' 'SELECT count(*) FROM features WHERE map_x BETWEEN 0 AND 1 AND map_y BETWEEN 0 AND 1 AND cluster > 0')\" = 340"
check "map: planted groups are tighter than the whole map" python3 -c '
import sqlite3, sys, math
db = sqlite3.connect(sys.argv[1])
pts = db.execute("SELECT idx, map_x, map_y FROM features WHERE sae = (SELECT id FROM saes WHERE name = \"a\")").fetchall()
def spread(ps):
    mx = sum(p[1] for p in ps) / len(ps); my = sum(p[2] for p in ps) / len(ps)
    return sum(math.hypot(p[1] - mx, p[2] - my) for p in ps) / len(ps)
groups = [[p for p in pts if p[0] % 8 == g and p[0] != 1] for g in range(8)]
inner = sum(spread(g) for g in groups) / 8
assert inner * 3 < spread(pts), (inner, spread(pts))' "$IX"

"$B/tests/geomfix" "$TMP/g2.sqlite" 2>/dev/null
"$FS" clusters "$TMP/g2.sqlite" >"$TMP/c2.txt"
check "clusters: same tree when built again" cmp -s "$TMP/c.txt" "$TMP/c2.txt"
check "map: same positions when built again" sh -c "
	test \"\$(sqlite3 '$IX' 'SELECT group_concat(map_x || \",\" || map_y) FROM features')\" = \"\$(sqlite3 '$TMP/g2.sqlite' 'SELECT group_concat(map_x || \",\" || map_y) FROM features')\""
