#!/bin/sh
# t-family-cofire.sh: `featscope build --cofire` (exact co-firing counts
# across the dictionaries of one build) and the family tree built from
# them. A planted pair of dictionaries, "a" (4 features) and "b" (8: rows
# 2i and 2i+1 are a/i's direction plus noise), on the same contexts; the
# stored examples of b/0 and b/1 lie outside a/0's contexts, so only the
# counts make them a/0's children. Planted counts: a/0 fires on 1000
# tokens, b/0 on 620 of which 600 with a/0, b/1 on 400 (350 with a/0), b/2
# on 800 (30 with a/0, 100 with a/1). Then: the tree's shares are the
# planted ones; the lines that say why a tree is empty (thresholds named;
# a feature that never fires; an index without counts); the file's bad
# input (one line naming file and line, exit 2, no index written).
. "$(dirname "$0")/lib.sh"

D=$TMP/fc
mkdir -p "$D"
python3 - "$D" <<'EOF'
import json, random, struct, sys
d = sys.argv[1]
rng = random.Random(7)
DM = 16

def npy(path, rows):
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), len(rows[0]))
    pad = (64 - (10 + len(hdr) + 1) % 64) % 64
    hdr = hdr + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
        for r in rows:
            f.write(struct.pack("<%df" % DM, *r))

A = [[rng.gauss(0, 1) for _ in range(DM)] for _ in range(4)]
Bw = [[x + 0.3 * rng.gauss(0, 1) for x in A[i // 2]] for i in range(8)]
npy(d + "/a.npy", A)
npy(d + "/b.npy", Bw)
# 40 contexts; a/i fires on contexts 10i..10i+9 (a/2 nowhere), b/j on 5j..5j+4
# shifted by 20 (b/0, b/1 on contexts 20..29: outside a/0's 0..9)
fa = {i: range(10 * i, 10 * i + 10) for i in (0, 1, 3)}
fb = {j: range((5 * j + 20) % 40, (5 * j + 20) % 40 + 5) for j in range(8)}
for name, fires in (("a", fa), ("b", fb)):
    with open("%s/%s.jsonl" % (d, name), "w") as f:
        for c in range(40):
            text = "context %02d alpha beta gamma" % c
            acts = [[3, ft, 1.0 + 0.01 * c] for ft, cs in sorted(fires.items()) if c in cs]
            f.write(json.dumps({"text": text, "offsets": list(range(len(text))), "acts": acts,
                                "source": "planted"}) + "\n")
with open(d + "/cofire.tsv", "w") as f:
    f.write("# planted exact counts\n")
    for sae, feat, n in (("a", 0, 1000), ("a", 1, 500), ("a", 2, 0), ("a", 3, 200),
                         ("b", 0, 620), ("b", 1, 400), ("b", 2, 800)):
        f.write("fires\t%s\t%d\t%d\n" % (sae, feat, n))
    for a, b, n in ((0, 0, 600), (0, 1, 350), (0, 2, 30), (1, 2, 100)):
        f.write("both\ta\t%d\tb\t%d\t%d\n" % (a, b, n))
        f.write("both\tb\t%d\ta\t%d\t%d\n" % (b, a, n))
EOF
[ -s "$D/cofire.tsv" ] || fail "fixture" "python3 wrote no fixture"

# build ARGS...: the two dictionaries into $D/OUT with extra first-segment args
build() {
	local out=$1
	shift
	"$FS" build --no-progress -o "$D/$out" "$@" --sae a --model m --hook h --neighbours 0 \
		--decoder "$D/a.npy" "$D/a.jsonl" --and --sae b --model m --hook h --neighbours 0 \
		--decoder "$D/b.npy" "$D/b.jsonl"
}
check_exit "build --cofire: exit 0" 0 build ix.sqlite --cofire "$D/cofire.tsv"
check_exit "build without --cofire: exit 0" 0 build plain.sqlite

"$FS" family "$D/ix.sqlite" a/0 >"$TMP/f0.txt" 2>&1
check_grep "family: the first child's share and inside are the exact counts (600/1000, 600/620)" \
	"^\|- b/0  cos 0\.[0-9]{3}  share of parent 0\.600  inside 0\.968 " "$TMP/f0.txt"
check_grep "family: the second child (350/1000, 350/400)" \
	"^\`- b/1  cos 0\.[0-9]{3}  share of parent 0\.350  inside 0\.875 " "$TMP/f0.txt"
check_nogrep "family: a partner under --min-share is no child (30/1000)" "b/2 " "$TMP/f0.txt"
check_nogrep "family: a tree with children has no why line" "^no children" "$TMP/f0.txt"
"$FS" family --json "$D/ix.sqlite" a/0 >"$TMP/f0.json"
check "family --json: marks the counts, children with the planted shares" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cofire"] is True, d
ch = d["tree"]["children"]
got = [(c["feature"], round(c["share_of_parent"], 6), round(c["inside_parent"], 6)) for c in ch]
assert got == [(0, 0.6, round(600 / 620, 6)), (1, 0.35, 0.875)], got
assert "why" not in d, d
' "$TMP/f0.json"
"$FS" family --min-share 0.4 "$D/ix.sqlite" a/0 >"$TMP/f0s.txt"
check_nogrep "family --min-share 0.4: the 0.35 child goes" "b/1 " "$TMP/f0s.txt"
"$FS" family --min-share 0.01 --min-inside 0.01 "$D/ix.sqlite" a/0 >"$TMP/f0l.txt"
check_grep "family --min-share/--min-inside low: the 30-token partner joins (30/1000, 30/800)" \
	"^\`- b/2  cos 0\.[0-9]{3}  share of parent 0\.030  inside 0\.03[78] " "$TMP/f0l.txt"

"$FS" family "$D/ix.sqlite" a/1 >"$TMP/f1.txt"
check_grep "why: no partner above the thresholds, all three named, with the best one" \
	"^no children: no feature of 'b' passes the thresholds on the exact co-firing counts: .*>= 0\.05 of this feature's firing tokens \(--min-share\), >= 0\.50 of its own inside them \(--min-inside\), decoder cosine > 0\.000 \(--min-cos\); best b/2: share 0\.200, inside 0\.125" \
	"$TMP/f1.txt"
check_eq "why: the heading, the root and one line" 3 "$(wc -l <"$TMP/f1.txt" | tr -d ' ')"
"$FS" family "$D/ix.sqlite" a/2 >"$TMP/f2.txt"
check_grep "why: a feature that never fires says so" "^no children: it fires on no harvested token$" "$TMP/f2.txt"
"$FS" family --json "$D/ix.sqlite" a/2 >"$TMP/f2.json"
check "why: in the JSON too" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["why"] == "no children: it fires on no harvested token", d
' "$TMP/f2.json"
"$FS" family "$D/plain.sqlite" a/0 >"$TMP/p0.txt"
check_grep "why: without counts, the stored examples do not overlap and it says so" \
	"^no children: the index has no co-firing counts \(build --cofire\), and none of the 2 features of 'b' nearest by decoder has >= 0\.50 of its stored firings inside it \(0 of them share a stored context with it\)$" "$TMP/p0.txt"
"$FS" family --json "$D/plain.sqlite" a/0 >"$TMP/p0.json"
check_grep "family --json: an index without counts says cofire false" '"cofire": false' "$TMP/p0.json"

# the browser's family screen says why as well
printf '#a/2\n<Enter>\ny\n:save-display %s\n' "$TMP/tui.out" >"$TMP/tui.keys"
FEATSCOPE_SCRIPT=$TMP/tui.keys FEATSCOPE_SIZE=100x20 TERM=xterm-256color "$FS" "$D/ix.sqlite" \
	>/dev/null 2>"$TMP/tui.err" || fail "tui family" "exit $?: $(head -c 300 "$TMP/tui.err")"
touch "$TMP/tui.out"
check_grep "tui family: the empty tree says why" "no children: it fires on no harvested token" "$TMP/tui.out"
printf '#a/1\n<Enter>\ny\n:save-display %s\n' "$TMP/tui1.out" >"$TMP/tui1.keys"
FEATSCOPE_SCRIPT=$TMP/tui1.keys FEATSCOPE_SIZE=100x20 TERM=xterm-256color "$FS" "$D/ix.sqlite" \
	>/dev/null 2>"$TMP/tui1.err" || fail "tui family a/1" "exit $?: $(head -c 300 "$TMP/tui1.err")"
touch "$TMP/tui1.out"
check_grep "tui family: the thresholds wrapped under the root" "\(--min-inside\)" "$TMP/tui1.out"

# bad co-firing files: one line naming the file and the line, exit 2, no index
n=0
bad() {
	n=$((n + 1))
	printf "$2" >"$D/bad$n.tsv"
	rm -f "$D/bad.sqlite"
	check_exit "--cofire $1: exit 2" 2 build bad.sqlite --cofire "$D/bad$n.tsv"
	check_grep "--cofire $1: names the file and line" "^featscope: .*bad$n\.tsv:$3: $4" "$TMP/.err"
	check_eq "--cofire $1: one line" 1 "$(wc -l <"$TMP/.err" | tr -d ' ')"
	check "--cofire $1: no index written" test ! -e "$D/bad.sqlite"
}
bad "unknown kind" '# c\npairs\ta\t0\t5\n' 2 "kind: expected 'fires' or 'both'"
bad "too few fields" 'fires\ta\t0\n' 1 "fires: expected 4 TAB-separated fields, got 3"
bad "unknown dictionary" 'fires\ta\t0\t5\nfires\tzz\t0\t5\n' 2 "dictionary \(field 2\): not one of this build's --sae names"
bad "negative count" 'fires\ta\t0\t-1\n' 1 "tokens \(field 4\): not a count >= 0"
bad "pair in one dictionary" 'fires\ta\t0\t5\nboth\ta\t0\ta\t1\t2\n' 2 "other dictionary \(field 4\): the same dictionary"
bad "feature out of range" 'fires\ta\t0\t5\nfires\tb\t8\t5\n' 2 "feature \(field 3\): not a feature number in 0\.\.7"
bad "count above the firing tokens" 'fires\ta\t0\t5\nboth\ta\t0\tb\t1\t9\n' 2 "tokens \(field 6\): 9, more than"
bad "pair without fires line" 'fires\tb\t1\t5\nboth\ta\t0\tb\t1\t2\n' 2 "both: no 'fires' line"
bad "second fires line" 'fires\ta\t0\t5\nfires\ta\t0\t6\n' 2 "fires: a second line"
bad "second pair line" 'fires\ta\t0\t5\nboth\ta\t0\tb\t1\t2\nboth\ta\t0\tb\t1\t3\n' 3 "both: a second line for this pair"
check_exit "--cofire after --and: usage error" 2 "$FS" build -o "$D/bad.sqlite" --sae a "$D/a.jsonl" \
	--and --sae b --cofire "$D/cofire.tsv" "$D/b.jsonl"
check_grep "--cofire after --and: says where it goes" "--cofire goes before the first --and" "$TMP/.err"
