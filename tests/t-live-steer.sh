#!/bin/sh
# t-live-steer.sh: steering has the effect it claims, on the demo model.
# Clamping a DNA feature (found by grep, never by number) high makes
# continuations of an English prompt hold far more [ACGT]{8,} runs than
# the unsteered ones from the same seeds; the same for a Hangul feature and
# \p{Hangul}. Ablating the DNA feature zeroes it on the steered pass and
# raises the loss on its own top context 5x more than ablating the median
# of five features of the same density picked at random.
. "$(dirname "$0")/lib.sh"

D=$TMP/demo
mkdir -p "$D"
cp "$S/data/demo.sqlite" "$S/data/demo-lm.bin" "$S/data/demo-sae-res4k.bin" "$D/"
IX=$D/demo.sqlite
# thousands of generated tokens: the plain program even under valgrind
FS=$B/featscope
check "attach the demo model" "$FS" attach "$IX" --model "$D/demo-lm.bin" --sae "res4k=$D/demo-sae-res4k.bin"
PROMPT="The meaning of life is "
SEEDS=10

# the best feature for a pattern by grep (F1 among those with precision
# >= MINP), and its largest stored activation
best() {
	"$FS" grep --json --sae res4k --limit 100 "$IX" "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = [f for f in d["features"] if f["precision"] >= float(sys.argv[1])]
print(c[0]["feature"] if c else "none")' "$2"
}
maxact() { "$FS" show --json "$IX" "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["max_act"])'; }

# count PATTERN JSON: matches in unsteered and steered continuations
count() {
	python3 -c '
import json, re, sys
d = json.load(open(sys.argv[2]))
p = re.compile(sys.argv[1])
u = sum(len(p.findall(r["unsteered"])) for r in d["runs"])
s = sum(len(p.findall(r["steered"])) for r in d["runs"])
print(u, s, len(d["runs"]))' "$1" "$2"
}

# margin NAME UNSTEERED STEERED RUNS: steered >= 10 and >= 5x (unsteered + 1)
margin() {
	if [ "$4" -ge "$SEEDS" ] && [ "$3" -ge 10 ] && [ "$3" -ge $((5 * ($2 + 1))) ]; then
		ok "$1 ($2 unsteered, $3 steered over $4 seeds)"
	else
		fail "$1" "$2 unsteered, $3 steered over $4 seeds"
	fi
}

DNAF=$(best '[ACGT]{12,}' 0.8)
check "grep finds a DNA feature" test "$DNAF" != none
V=$(python3 -c "print(round(2.5 * $(maxact "$DNAF"), 2))")
"$FS" steer --json "$IX" --feature "$DNAF=$V" --prompt "$PROMPT" --tokens 96 --runs $SEEDS --seed 1 >"$TMP/dna.json"
set -- $(count '[ACGT]{8,}' "$TMP/dna.json")
margin "clamping DNA feature $DNAF at $V: [ACGT]{8,} runs" "$@"

# A Hangul feature: of those that fire on Hangul (precision >= 0.9 by
# grep, in at least 5 of the about 24 contexts a 4096-wide feature keeps),
# the one that writes Hangul most: the largest stored logit effect on the
# lead bytes of Hangul syllables in UTF-8 (0xEA-0xED).
"$FS" grep --json --sae res4k --limit 300 "$IX" '\p{Hangul}' >"$TMP/hg.json"
for f in $(python3 -c '
import json, sys
print(" ".join(f["feature"] for f in json.load(open(sys.argv[1]))["features"] if f["precision"] >= 0.9 and f["contexts"] >= 5))' "$TMP/hg.json"); do
	"$FS" show --json "$IX" "$f" | python3 -c '
import json, sys
d = json.load(sys.stdin)
lead = sum(l["value"] for l in d["logits_pos"] if l["token"].lower() in ("\\xea", "\\xeb", "\\xec", "\\xed"))
print(lead, d["feature"], d["max_act"])'
done | sort -gr >"$TMP/hlead.txt"
set -- $(head -1 "$TMP/hlead.txt") 0 none 0
HF=$2
check "grep finds a Hangul feature that writes Hangul lead bytes" test "$HF" != none
V=$(python3 -c "print(round(2 * $3, 2))")
"$FS" steer --json "$IX" --feature "$HF=$V" --prompt "$PROMPT" --tokens 96 --runs $SEEDS --seed 1 >"$TMP/hangul.json"
set -- $(count '[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]' "$TMP/hangul.json")
margin "clamping Hangul feature $HF at $V: \\p{Hangul} characters" "$@"

# ablation: the DNA feature on its own top context
"$FS" show --json "$IX" "$DNAF" >"$TMP/show.json"
python3 -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["top"][0]["text"])' "$TMP/show.json" >"$TMP/ctx.txt"
"$FS" analyze --json --top 64 --feature "$DNAF=0" "$IX" - <"$TMP/ctx.txt" >"$TMP/abl.json"
check "ablating $DNAF: it reads 0 on every token of the steered pass" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a["tokens"]) > 50
assert not [t["pos"] for t in a["tokens"] if any(x["feature"] == sys.argv[2] for x in t["features"])]
' "$TMP/abl.json" "$DNAF"
# features of about the same density (within 25%), not sequence features
# (DNA letters are protein letters too: a protein-line feature fires on a
# DNA read as well, so runs of capitals stand for both)
"$FS" grep --json --sae res4k --limit 400 "$IX" '[A-Z]{8,}' >"$TMP/dnaset.json"
"$FS" export --format tsv "$IX" >"$TMP/all.tsv"
python3 -c '
import csv, json, random, sys
dna = {f["feature"] for f in json.load(open(sys.argv[1]))["features"] if f["precision"] >= 0.3}
d0 = float(json.load(open(sys.argv[2]))["density"])
rows = list(csv.DictReader(open(sys.argv[3]), delimiter="\t"))
c = [r["feature"].split("/")[-1] for r in rows if r["feature"].startswith("res4k/") and r["density"] and abs(float(r["density"]) - d0) <= 0.25 * d0
     and r["feature"] not in dna]
random.Random(18).shuffle(c)
print(" ".join(c[:5]))' "$TMP/dnaset.json" "$TMP/show.json" "$TMP/all.tsv" >"$TMP/random.txt"
check_eq "five features of the same density to compare with" 5 "$(wc -w <"$TMP/random.txt" | tr -d ' ')"
for r in $(cat "$TMP/random.txt"); do
	"$FS" analyze --json --top 64 --feature "$r=0" "$IX" - <"$TMP/ctx.txt" >"$TMP/abl-$r.json"
done
# (Residual-stream features of a DNA feature's density, 6% of all tokens,
# are general ones: one of them may matter as much on a SAM line, so the
# DNA feature is held to beat the typical one, the median, 5 times over.)
check "ablating $DNAF raises the loss on its top context 5x more than the median of $(cat "$TMP/random.txt")" python3 -c '
import json, sys
d = lambda p: (lambda a: a["loss_steered"] - a["loss"])(json.load(open(p)))
mine = d(sys.argv[1])
others = sorted(d(p) for p in sys.argv[2:])
print("# loss change: %.4f vs %s" % (mine, " ".join("%.4f" % o for o in others)))
assert mine > 0.002, mine
assert mine > 5 * max(others[len(others) // 2], 0), (mine, others)
' "$TMP/abl.json" $(for r in $(cat "$TMP/random.txt"); do echo "$TMP/abl-$r.json"; done)
