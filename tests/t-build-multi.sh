#!/bin/sh
# t-build-multi.sh: featscope build with several dictionaries (--and) over
# the same records, random positive samples (--random) and label
# descriptions (a fourth labels.tsv column): the contexts are stored once
# and shared, every dictionary keeps its own features, random samples are
# contexts where the feature fires, and descriptions reach show.
. "$(dirname "$0")/lib.sh"

IX=$(fixture_index) || { fail "fixture index builds" "see tests/fixture/build.err"; exit 1; }
F=$B/tests/fixture
# a second dictionary: the same records, labels with descriptions
awk -F'\t' '{ printf("%s\t%s\tauto\tdescription of feature %s\n", $1, $2, $1) }' "$F/labels.tsv" >"$TMP/labels4.tsv"
"$FS" build -o "$TMP/two.sqlite" --sae first --decoder "$F/decoder.npy" --labels "$TMP/labels4.tsv" \
	--random 4 --neighbours 4 "$F/records.jsonl" \
	--and --sae second --decoder "$F/decoder.npy" --random 2 --top-k 5 --neighbours 4 \
	"$F/records.jsonl" >"$TMP/b.out" 2>"$TMP/b.err"
check_eq "build with --and exits 0" 0 $?
"$FS" info --json "$TMP/two.sqlite" >"$TMP/info.json"
check "info: two dictionaries, each with its features" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = [s["name"] for s in d["saes"]]
assert names == ["first", "second"], names
assert d["features"] == 2 * 64, d["features"]' "$TMP/info.json"
"$FS" info --json "$IX" >"$TMP/one.json"
check "contexts are stored once for both dictionaries" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a["contexts"] == b["contexts"], (a["contexts"], b["contexts"])' "$TMP/info.json" "$TMP/one.json"
"$FS" show --json "$TMP/two.sqlite" first/0 >"$TMP/f1.json"
"$FS" show --json "$TMP/two.sqlite" second/0 >"$TMP/f2.json"
check "random samples: as many as asked, each where the feature fires" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert len(a["random"]) == 4 and len(b["random"]) == 2, (len(a["random"]), len(b["random"]))
for e in a["random"] + b["random"]:
    assert max(e["acts"]) > 0, e
assert len(b["top"]) == 5, len(b["top"])' "$TMP/f1.json" "$TMP/f2.json"
check "the same feature in both dictionaries has the same top contexts" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
ta = [e["text"] for e in a["top"]][:5]; tb = [e["text"] for e in b["top"]]
assert ta == tb, (ta, tb)' "$TMP/f1.json" "$TMP/f2.json"
check "description: shown in JSON, absent when the labels have none" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a["description"] == "description of feature 0", a["description"]
assert b["description"] is None, b["description"]' "$TMP/f1.json" "$TMP/f2.json"
"$FS" show "$TMP/two.sqlite" first/0 >"$TMP/f1.txt"
check_grep "description: shown in text" "^about: +description of feature 0" "$TMP/f1.txt"
check_grep "random samples: a section in text" "^random positive samples:" "$TMP/f1.txt"
"$FS" show --json "$IX" 0 >"$TMP/f0.json"
check "an index without descriptions or random samples still shows" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["description"] is None and d["random"] == [], d' "$TMP/f0.json"
check_exit "two dictionaries with one name exit 2" 2 "$FS" build -o "$TMP/dup.sqlite" --sae a \
	"$F/records.jsonl" --and --sae a "$F/records.jsonl"
check "no index left behind after a usage error" test ! -e "$TMP/dup.sqlite"
check_exit "--and without inputs exits 2" 2 "$FS" build -o "$TMP/x.sqlite" --sae a "$F/records.jsonl" --and --sae b
check_exit "-o after --and exits 2" 2 "$FS" build -o "$TMP/x.sqlite" --sae a "$F/records.jsonl" --and -o "$TMP/y.sqlite" --sae b "$F/records.jsonl"

# --neighbours-across: how many neighbours are kept in the other
# dictionary (0: none; the index stores the decoders, so they are computed
# when asked). Read back with the sqlite3 shell; the computed ones against
# numpy's cosines of the decoder file.
"$FS" build -o "$TMP/across.sqlite" --sae first --decoder "$F/decoder.npy" --neighbours 4 \
	--neighbours-across 0 "$F/records.jsonl" \
	--and --sae second --decoder "$F/decoder.npy" "$F/records.jsonl" >"$TMP/a.out" 2>"$TMP/a.err"
check_eq "build --neighbours-across 0 exits 0" 0 $?
check_eq "--neighbours-across 0: no neighbours stored across dictionaries" 0 \
	"$(sqlite3 "$TMP/across.sqlite" 'SELECT count(*) FROM neighbours n JOIN features f ON f.id = n.feature WHERE n.other_sae != f.sae')"
check_eq "--neighbours-across 0: 4 kept in the own dictionary" 4 \
	"$(sqlite3 "$TMP/across.sqlite" 'SELECT max(c) FROM (SELECT count(*) c FROM neighbours GROUP BY feature, other_sae)')"
"$FS" neighbours --json "$TMP/across.sqlite" second/5 --in first --k 3 >"$TMP/across.json" 2>&1
check "--neighbours-across 0: neighbours --in computes them (numpy cosines of the decoder)" python3 -c '
import json, sys
import numpy as np
d = json.load(open(sys.argv[1]))
W = np.load(sys.argv[2]).astype(np.float64)
W /= np.linalg.norm(W, axis=1, keepdims=True)
c = W @ W[5]
want = sorted(range(len(c)), key=lambda j: (-c[j], j))[:3]
got = [n["feature"] for n in d["neighbours"]]
assert d["stored"] == 0 and d["computed"], d
assert got == ["first/%d" % j for j in want], (got, want)
for n, j in zip(d["neighbours"], want):
    assert abs(n["cosine"] - c[j]) < 1e-4, (n, c[j])' "$TMP/across.json" "$F/decoder.npy"
"$FS" build -o "$TMP/across2.sqlite" --sae first --decoder "$F/decoder.npy" --neighbours 4 \
	--neighbours-across 2 "$F/records.jsonl" \
	--and --sae second --decoder "$F/decoder.npy" "$F/records.jsonl" >"$TMP/a.out" 2>"$TMP/a.err"
check_eq "--neighbours-across 2: 2 kept per feature in the other dictionary" "2|2" \
	"$(sqlite3 "$TMP/across2.sqlite" 'SELECT min(c), max(c) FROM (SELECT count(*) c FROM neighbours n JOIN features f ON f.id = n.feature WHERE n.other_sae != f.sae GROUP BY n.feature)')"
check_exit "--neighbours-across -1 is refused (exit 2)" 2 "$FS" build -o "$TMP/x.sqlite" --decoder "$F/decoder.npy" \
	--neighbours-across -1 "$F/records.jsonl"
