#!/bin/sh
# t-compare.sh: featscope compare and family on planted dictionaries
# (tests/comparefix): a narrow dictionary "n", a wide one "w" made by
# splitting each narrow direction into 2-4 noisy children whose firings
# partition the parent's contexts, and "x" splitting w again, all on the
# same contexts of one index. Every child found, family shares right,
# baseline separated from matches, mutual pairs right, across files, and
# the bad inputs (other d_model, no decoder, unknown names, files that
# share no contexts), each one line, exit 2 where nothing is computed.
. "$(dirname "$0")/lib.sh"

D=$TMP/cf
mkdir -p "$D"
if ! "$B/tests/comparefix" "$D" 2>"$TMP/fix.err"; then
	fail "comparefix" "$(head -c 300 "$TMP/fix.err")"
	exit 1
fi
IX=$D/cmp.sqlite

"$FS" compare "$IX" n w >"$TMP/c.txt" 2>"$TMP/c.err"
check_eq "compare: exit 0, nothing on stderr" "" "$(cat "$TMP/c.err")"
check_grep "compare: all 24 parents of n matched in w" "^n in w: 24 of 28 matched \(85\.7%\)" "$TMP/c.txt"
check_grep "compare: all 72 children of w matched in n" "^w in n: 72 of 80 matched \(90\.0%\)" "$TMP/c.txt"
check_grep "compare: 24 mutual best pairs, all above the baseline" "^mutual best pairs: 24 \(24 above the baseline\)" "$TMP/c.txt"
check_grep "compare: the four orphans are unmatched in n" "^unmatched in n: 4 " "$TMP/c.txt"
check_grep "compare: the eight new features are unmatched in w" "^unmatched in w: 8 " "$TMP/c.txt"
check_grep "compare: the relabelled pair's labels differ most" "^  n/5 w/[0-9]+ cosine 0\.[0-9]+ distance 1\.00  legal concept \| unrelated french words" "$TMP/c.txt"
"$FS" compare "$IX" n w >"$TMP/c2.txt"
check "compare: the same output on a second run" cmp -s "$TMP/c.txt" "$TMP/c2.txt"

"$FS" compare --json "$IX" n w >"$TMP/c.json"
check "compare --json: every child found, its parent its best match, baseline between" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
truth = [l.split("\t") for l in open(sys.argv[2])]
parent = {int(t[1]): int(t[2]) for t in truth if t[0] == "w"}
share = {int(t[1]): float(t[3]) for t in truth if t[0] == "w"}
b = d["baseline"]; ba = d["b_in_a"]; ab = d["a_in_b"]
assert len(ba) == 80 and len(ab) == 28, (len(ba), len(ab))
for j, p in parent.items():
    r = ba[j]
    assert r["matches"][0]["feature"] == p, (j, r["matches"][0], p)
    assert r["matched"], r
    assert abs(r["share"] - 1.0) < 1e-9, ("child fires only inside its parent", j, r["share"])
    assert r["corr"] > d["coactivation"]["baseline_corr"], r
lo = min(ba[j]["matches"][0]["cosine"] for j in parent)
hi = max(ba[j]["matches"][0]["cosine"] for j in range(72, 80))
assert hi < b["threshold_b"] < lo, (hi, b["threshold_b"], lo)
lo = min(ab[i]["matches"][0]["cosine"] for i in range(24))
hi = max(ab[i]["matches"][0]["cosine"] for i in range(24, 28))
assert hi < b["threshold_a"] < lo, (hi, b["threshold_a"], lo)
assert b["shuffled"] < b["threshold_a"], b
for i in range(24):
    m = ab[i]["mutual"]
    assert m is not None and parent[m] == i, (i, m)
    assert abs(ab[i]["share"] - share[m]) < 1e-5, (i, m, ab[i]["share"], share[m])
assert all(not ab[i]["matched"] for i in range(24, 28))
assert all(not ba[j]["matched"] for j in range(72, 80))
s = d["summary"]
assert (s["a_matched"], s["b_matched"], s["mutual_matched"]) == (24, 72, 24), s
assert d["coactivation"]["available"] and d["coactivation"]["baseline_share"] < 0.5, d["coactivation"]
assert d["labels_differ"][0]["a"] == 5 and d["labels_differ"][0]["label_distance"] == 1.0, d["labels_differ"][0]
' "$TMP/c.json" "$D/truth.tsv"
"$FS" compare --json --top 3 "$IX" n w >"$TMP/c3.json"
check "compare --top 3: three matches per feature" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert all(len(r["matches"]) == 3 for r in d["a_in_b"] + d["b_in_a"]), "lengths"
assert len(d["labels_differ"]) == 3' "$TMP/c3.json"
"$FS" compare --sort coact "$IX" n w >"$TMP/cc.txt"
check "compare --sort coact: pairs by falling correlation" sh -c "
sed -n '/^mutual pairs by co-activation/,/^\$/p' '$TMP/cc.txt' | awk 'NR > 2 && NF > 4 { print \$4 }' | sort -rn -c"

# the decoder from files instead of the index: the same matches
"$FS" compare --json "$IX" n w --decoder-a "$D/n.npy" --decoder-b "$D/w.npy" >"$TMP/cf.json"
check "compare --decoder-a/-b: the same best matches as the stored (f16) decoders" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
for k in ("a_in_b", "b_in_a"):
    for x, y in zip(a[k], b[k]):
        assert x["matches"][0]["feature"] == y["matches"][0]["feature"], (k, x, y)
        assert abs(x["matches"][0]["cosine"] - y["matches"][0]["cosine"]) < 2e-3
' "$TMP/c.json" "$TMP/cf.json"

# across files
"$FS" compare "$IX:n" "$D/wide.sqlite:w" >"$TMP/x.txt" 2>"$TMP/x.err"
check_grep "compare across files: the same matches" "^$IX:n in $D/wide.sqlite:w: 24 of 28 matched" "$TMP/x.txt"
check_nogrep "compare across files sharing contexts: co-activation available" "not available" "$TMP/x.txt"
"$FS" compare --json "$IX:n" "$D/wide.sqlite:w" >"$TMP/x.json"
check "compare across files: contexts mapped by hash, the same co-activation" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert b["coactivation"]["available"] and b["coactivation"]["shared_contexts"] == 800, b["coactivation"]
for x, y in zip(a["a_in_b"], b["a_in_b"]):
    assert x["share"] == y["share"] or (x["share"] is None and y["share"] is None), (x, y)
' "$TMP/c.json" "$TMP/x.json"
check_exit "compare across files that share no contexts: still runs (exit 0)" 0 \
	"$FS" compare "$IX:n" "$D/alien.sqlite:w"
check_grep "compare, no shared contexts: co-activation says not available" \
	"^co-activation: not available: the two files share no contexts$" "$TMP/.out"
check_grep "compare, no shared contexts: cosine matching still runs" " in $D/alien.sqlite:w: 24 of 28 matched" "$TMP/.out"

# bad input: one line each, exit 2
one_line() { check_eq "$1: one line" 1 "$(wc -l <"$TMP/.err")"; }
check_exit "compare: dictionaries of different d_model exit 2" 2 "$FS" compare "$IX" n d32
check_grep "compare: different d_model says so" "^featscope: compare: 'n' has d_model 64 and 'd32' 32: " "$TMP/.err"
one_line "compare: different d_model"
check_exit "compare: a dictionary without a decoder exits 2" 2 "$FS" compare "$IX" n nodec
check_grep "compare: no decoder says so" "^featscope: .*cmp\.sqlite: dictionary 'nodec' has no stored decoder" "$TMP/.err"
one_line "compare: no decoder"
check_exit "compare: --decoder-b supplies a missing decoder" 0 "$FS" compare "$IX" n nodec --decoder-b "$D/nodec.npy"
check_exit "compare: a decoder file of the wrong width exits 2" 2 "$FS" compare "$IX" n w --decoder-a "$D/d32.npy"
one_line "compare: wrong decoder file"
check_exit "compare: a name in neither file exits 2" 2 "$FS" compare "$IX:n" "$D/wide.sqlite:zz"
check_grep "compare: unknown name message" "^featscope: .*wide\.sqlite: no dictionary named 'zz'$" "$TMP/.err"
one_line "compare: unknown name"
check_exit "compare: unknown dictionary in one index exits 2" 2 "$FS" compare "$IX" n zz
check_exit "compare: a missing file exits 2" 2 "$FS" compare "$TMP/none.sqlite:n" "$IX:w"
one_line "compare: missing file"
check_exit "compare: FILE:SAE without a colon exits 2" 2 "$FS" compare "$IX" w
one_line "compare: bad spec"
check_exit "compare: bad --top exits 2" 2 "$FS" compare --top 0 "$IX" n w
one_line "compare: bad --top"

# a dictionary's random baseline is its own: the same in either argument
# order and in family's levels (one function, one fixed set of directions)
"$FS" compare --json "$IX" w n >"$TMP/c-wn.json"
"$FS" family --json "$IX" n/3 >"$TMP/f3.json"
check "compare: a dictionary's baseline does not depend on the argument order, and family shows it too" python3 -c '
import json, sys
nw, wn, f = (json.load(open(x)) for x in sys.argv[1:4])
assert nw["baseline"]["random_in_b"] == wn["baseline"]["random_in_a"], (nw["baseline"], wn["baseline"])
assert nw["baseline"]["random_in_a"] == wn["baseline"]["random_in_b"], (nw["baseline"], wn["baseline"])
lw = [l for l in f["levels"] if l["sae"] == "w"][0]
assert lw["baseline"] == nw["baseline"]["random_in_b"], (lw, nw["baseline"])' "$TMP/c.json" "$TMP/c-wn.json" "$TMP/f3.json"

# neighbours beyond the stored lists, computed from the stored decoders, and
# marked against the searched dictionary's baseline (the compare figure)
"$FS" neighbours --json "$IX" n/3 --in w -k 5 >"$TMP/nb.json"
check "neighbours: computed from the decoders, the planted children first, marked under w's baseline" python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
n = d["neighbours"]
assert d["computed"] is True and d["stored"] == 0 and len(n) == 5, d
assert sorted(e["feature"] for e in n[:2]) == ["w/10", "w/9"], n
assert d["baseline"] == c["baseline"]["random_in_b"], (d["baseline"], c["baseline"])
assert all(e["below_baseline"] == (e["cosine"] < d["baseline"]) for e in n), n
assert [e["below_baseline"] for e in n] == [False, False, True, True, True], n' "$TMP/nb.json" "$TMP/c.json"
# show's matches line (compare/matches.c, the browser's feature page too):
# the best decoder match in each other dictionary, against its baseline
"$FS" show --json "$IX" n/3 >"$TMP/show3.json"
check "show --json: n/3's best match in w is a planted child, at neighbours' cosine, under compare's baseline" python3 -c '
import json, sys
s = json.load(open(sys.argv[1])); nb = json.load(open(sys.argv[2])); c = json.load(open(sys.argv[3]))
m = {e["sae"]: e for e in s["matches"]}
assert "n" not in m and "w" in m, m
w = m["w"]
assert w["feature"] in ("w/9", "w/10") and w["feature"] == nb["neighbours"][0]["feature"], (w, nb["neighbours"][0])
assert abs(w["cos"] - nb["neighbours"][0]["cosine"]) < 1e-4, (w, nb["neighbours"][0])
assert w["baseline"] == c["baseline"]["random_in_b"] and w["above_baseline"] is True, (w, c["baseline"])' \
	"$TMP/show3.json" "$TMP/nb.json" "$TMP/c.json"
"$FS" show "$IX" n/3 >"$TMP/show3.txt"
check_grep "show: the matches line names w's planted child" '^matches:    .*w/(9|10) cos 0\.[0-9]{3}' "$TMP/show3.txt"
"$FS" neighbours "$IX" n/3 --in w -k 3 >"$TMP/nb.txt"
check_grep "neighbours: the text marks a cosine under the baseline with <" '^   3  w/[0-9]+ +0\.[0-9]{4} < ' "$TMP/nb.txt"

# family
check "family --json: levels w then x, not the other hook or d_model" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [l["sae"] for l in d["levels"]] == ["w", "x"], d["levels"]' "$TMP/f3.json"
for p in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23; do
	"$FS" family --json "$IX" "n/$p" >"$TMP/f$p.json" || fail "family n/$p" "exit $?"
done
check "family: every parent's children and grandchildren, with their shares" python3 -c '
import json, sys
truth = [l.split("\t") for l in open(sys.argv[1] + "/truth.tsv")]
kids = {}
for t in truth:
    kids.setdefault((t[0] == "w" and "n" or "w", int(t[2])), {})[int(t[1])] = float(t[3])
for p in range(24):
    d = json.load(open("%s/f%d.json" % (sys.argv[2], p)))
    t = d["tree"]
    got = {c["feature"]: c["share_of_parent"] for c in t["children"]}
    want = kids[("n", p)]
    assert set(got) == set(want), (p, got, want)
    assert all(abs(got[c] - want[c]) < 1e-5 for c in want), (p, got, want)
    shares = [c["share_of_parent"] for c in t["children"]]
    assert shares == sorted(shares, reverse=True), shares
    assert abs(sum(shares) - 1) < 1e-5, shares
    for c in t["children"]:
        assert c["inside_parent"] == 1.0 and c["cosine"] > d["levels"][0]["baseline"], c
        g = {x["feature"]: x["share_of_parent"] for x in c["children"]}
        want = kids[("w", c["feature"])]
        assert set(g) == set(want) and all(abs(g[x] - want[x]) < 1e-5 for x in want), (p, c["feature"], g, want)
' "$D" "$TMP"
"$FS" family "$IX" n/3 >"$TMP/f3.txt"
check_grep "family: text tree, children with their share of the parent" "^\|- w/10  cos 0\.[0-9]{3}  share of parent 0\.667  inside 1\.000  python concept variant$" "$TMP/f3.txt"
check_grep "family: grandchildren indented under their parent" "^\|  \`- x/20  cos " "$TMP/f3.txt"
check_exit "family: an orphan has no children (exit 0)" 0 "$FS" family "$IX" n/25
check_eq "family: the orphan's tree is its root alone" 1 "$(grep -c '^n/25 ' "$TMP/.out")"
check_nogrep "family: the orphan has no child line" "^(\||\`)- " "$TMP/.out"
check_grep "family: the orphan's empty tree says why, naming the cosine threshold" \
	"^no children: no feature of 'w' has a decoder cosine above 0\.[0-9]{3} with it \(its random-direction baseline or --min-cos\), and the index has no co-firing counts \(build --cofire\)$" "$TMP/.out"
check_exit "family: the widest dictionary has no wider one (exit 2)" 2 "$FS" family "$IX" x/0
check_grep "family: no wider dictionary says so" "^featscope: .*: no dictionary wider than 'x' " "$TMP/.err"
one_line "family: no wider dictionary"
check_exit "family: a dictionary without decoder exits 2" 2 "$FS" family "$IX" nodec/0
one_line "family: no decoder"
check_exit "family: unknown feature exits 2" 2 "$FS" family "$IX" n/999
one_line "family: unknown feature"

# the builder stores the decoder given with --decoder: the fixture index
# compared with itself matches every feature to itself
FIX=$(fixture_index) || { fail "fixture index" "build failed"; exit 1; }
"$FS" compare --json "$FIX" fix fix >"$TMP/self.json"
check "compare: a built index's stored decoder, against itself: every feature its own match" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert all(r["matches"][0]["feature"] == r["feature"] and r["matches"][0]["cosine"] > 0.999 for r in d["a_in_b"])
assert d["summary"]["mutual"] >= 60, d["summary"]' "$TMP/self.json"
