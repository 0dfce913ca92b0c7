#!/bin/sh
# t-model-tiny.sh: the demo-model pipeline end to end at tiny size: corpus
# (--tiny, files on any Debian machine), language model, SAE, harvest and
# a featscope index of the harvested records. Checks each stage's output
# and figures, that the corpus is deterministic, and bad-input handling.
. "$(dirname "$0")/lib.sh"

FSM=$B/model/fsmodel
W=$TMP/w
if [ ! -x "$FSM" ]; then
	fail "fsmodel built" "$FSM missing"
	exit 1
fi
if ! bash "$S/model/demo-data.sh" --tiny "$W" "$B" "$S" >"$TMP/dd.out" 2>"$TMP/dd.err"; then
	fail "tiny pipeline runs" "$(tail -5 "$TMP/dd.err")"
	exit 1
fi
ok "tiny pipeline runs"
fig() { sed -n "s/^$1 //p" "$W/figures.txt" | head -1; }

# corpus
check "corpus: train and held-out text exist" test -s "$W/train.txt" -a -s "$W/heldout.txt"
check "corpus: text is valid UTF-8" sh -c "iconv -f UTF-8 -t UTF-8 '$W/train.txt' >/dev/null && iconv -f UTF-8 -t UTF-8 '$W/heldout.txt' >/dev/null"
check_eq "corpus: manifest rows have 9 fields" 0 "$(awk -F'\t' 'NF != 9' "$W/manifest.tsv" | wc -l | tr -d ' ')"
# every document's recorded SHA-256 is that of its bytes in the split's text
bad=0
while IFS='	' read -r id g p path split off n ver sum; do
	[ "$id" = doc ] && continue
	f=$W/train.txt
	[ "$split" = heldout ] && f=$W/heldout.txt
	got=$(tail -c +$((off + 1)) "$f" | head -c "$n" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$sum" ] || bad=$((bad + 1))
done <"$W/manifest.tsv"
check_eq "corpus: manifest sha256 matches every document" 0 "$bad"
check_eq "corpus: manifest sizes add up to train.txt" "$(wc -c <"$W/train.txt" | tr -d ' ')" \
	"$(awk -F'\t' '$5 == "train" { s += $7 } END { print s }' "$W/manifest.tsv")"
check_eq "corpus: manifest sizes add up to heldout.txt" "$(wc -c <"$W/heldout.txt" | tr -d ' ')" \
	"$(awk -F'\t' '$5 == "heldout" { s += $7 } END { print s }' "$W/manifest.tsv")"
check_grep "corpus: all five groups present" "^[0-9]+	structured	" "$W/manifest.tsv"
check_grep "corpus: DNA documents present" "^[0-9]+	dna	" "$W/manifest.tsv"
bash "$S/model/corpus.sh" --tiny "$TMP/w2" 2>/dev/null
check "corpus: deterministic (second run identical)" cmp -s "$W/manifest.tsv" "$TMP/w2/manifest.tsv"
check "corpus: deterministic train text" cmp -s "$W/train.txt" "$TMP/w2/train.txt"

# language model: 40 steps must already beat a uniform byte model (8 bpb)
bpb=$(fig lm_heldout_bpb_window128)
check "lm: held-out bpb reported and below 8" awk -v b="$bpb" 'BEGIN { exit !(b > 0 && b < 8) }'
check "lm: sliding-window bpb reported and not above plain" awk -v a="$(fig lm_heldout_bpb_sliding64)" -v b="$bpb" \
	'BEGIN { exit !(a > 0 && a <= b + 0.05) }'
"$FSM" eval-lm --lm "$W/lm.bin" --heldout "$W/heldout.txt" --stride 128 >"$TMP/s128" 2>/dev/null
check_eq "lm: sliding window with stride = context equals plain windows" "$bpb" "$(sed -n 's/^lm_heldout_bpb_sliding128 //p' "$TMP/s128")"
"$FSM" eval-lm --lm "$W/lm.bin" --heldout "$W/heldout.txt" --window 64 >"$TMP/w64" 2>/dev/null
check "lm: 64-byte windows score worse than 128-byte ones" awk -v a="$(sed -n 's/^lm_heldout_bpb_window64 //p' "$TMP/w64")" \
	-v b="$bpb" 'BEGIN { exit !(a > 0 && a >= b) }'
# f16 weights: the same model within half-precision rounding
"$FSM" convert --in "$W/lm.bin" --out "$TMP/lm16.bin" --dtype f16 2>/dev/null
check "lm: f16 file is about half the f32 one" awk -v a="$(wc -c <"$TMP/lm16.bin")" -v b="$(wc -c <"$W/lm.bin")" \
	'BEGIN { exit !(a < b * 0.51 && a > b * 0.49) }'
"$FSM" eval-lm --lm "$TMP/lm16.bin" --heldout "$W/heldout.txt" --window 128 >"$TMP/e16" 2>/dev/null
check "lm: f16 model's bpb within 0.01 of f32" awk -v a="$(sed -n 's/^lm_heldout_bpb_window128 //p' "$TMP/e16")" \
	-v b="$bpb" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && d < 0.01) }'
# sampling: deterministic for a seed, different across seeds, prompt echoed
s1=$("$FSM" sample --lm "$W/lm.bin" --prompt 'ACGT' --bytes 40 --seed 3 2>/dev/null | od -An -tx1)
s2=$("$FSM" sample --lm "$W/lm.bin" --prompt 'ACGT' --bytes 40 --seed 3 2>/dev/null | od -An -tx1)
s3=$("$FSM" sample --lm "$W/lm.bin" --prompt 'ACGT' --bytes 40 --seed 4 2>/dev/null | od -An -tx1)
check_eq "sample: same seed, same bytes" "$s1" "$s2"
check "sample: another seed, other bytes" test "$s1" != "$s3"
check_eq "sample: prompt then 40 bytes and a newline" 45 "$("$FSM" sample --lm "$W/lm.bin" --prompt ACGT --bytes 40 2>/dev/null | wc -c | tr -d ' ')"
# a killed run resumes to the same weights as an uninterrupted one
A="--train $W/train.txt --heldout $W/heldout.txt --layers 1 --d-model 16 --heads 2 --ctx 32 --batch 2 --steps 30 --checkpoint-every 5 --eval-every 1000"
"$FSM" train-lm $A --out "$TMP/full.bin" >/dev/null 2>&1
"$FSM" train-lm $A --out "$TMP/part.bin" --stop-at 15 >/dev/null 2>&1
"$FSM" train-lm $A --out "$TMP/part.bin" --resume 1 >/dev/null 2>&1
check "lm: --resume after a stop gives the uninterrupted run's weights" cmp -s "$TMP/full.bin" "$TMP/part.bin"
check "lm: gzip and xz figures reported" test -n "$(fig gzip9_bpb)" -a -n "$(fig xz9_bpb)"

# SAE: top-k bounds L0, figures in range
for d in res64 res256; do
	check "sae $d: mean L0 <= k=8" awk -v l="$(fig ${d}_sae_l0)" 'BEGIN { exit !(l > 0 && l <= 8) }'
	check "sae $d: FVU in (0,1)" awk -v f="$(fig ${d}_sae_fvu)" 'BEGIN { exit !(f > 0 && f < 1) }'
	check "sae $d: spliced bpb between clean and mean-ablated" awk -v s="$(fig ${d}_sae_spliced_bpb)" \
		-v c="$(fig lm_bpb)" -v m="$(fig mean_ablated_bpb)" 'BEGIN { exit !(s >= c - 0.01 && s <= m + 0.5) }'
done
check "sae: zero- and mean-ablated bpb reported" test -n "$(fig zero_ablated_bpb)" -a -n "$(fig mean_ablated_bpb)"
check_eq "sae: FSSAE002 magic" FSSAE002 "$(head -c 8 "$W/sae-res64.bin")"
# header: d_in 32 (the residual stream), 64 features, k 8, hook 1 (resid), layer 0, dtype 0
check_eq "sae: header fields" "32 64 8 1 0 0" "$(od -An -t d4 -j 8 -N 24 "$W/sae-res64.bin" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')"
check_eq "lm: FSLM0002 magic" FSLM0002 "$(head -c 8 "$W/lm.bin")"

# harvest outputs: both dictionaries on the same contexts
H=$W/harvest/res256
check_eq "harvest: both dictionaries saw the same contexts" \
	"$(sed 's/"acts": .*"source"/"source"/' "$W/harvest/res64/records.jsonl" | cksum)" \
	"$(sed 's/"acts": .*"source"/"source"/' "$H/records.jsonl" | cksum)"
check_eq "harvest: 60 context records" 60 "$(wc -l <"$H/records.jsonl" | tr -d ' ')"
check_eq "harvest: every record has text, offsets, acts, source" 60 \
	"$(grep -c '^{"text": ".*", "offsets": \[0,1,.*\], "acts": \[\[.*\]\], "source": "[^":]*:[^"]*"}$' "$H/records.jsonl")"
check_eq "harvest: vocab has 256 tokens" 256 "$(wc -l <"$H/vocab.txt" | tr -d ' ')"
check_eq "harvest: vocab escapes newline" '\n' "$(sed -n 11p "$H/vocab.txt")"
check_eq "harvest: vocab byte 0xEA" '\xEA' "$(sed -n 235p "$H/vocab.txt")"
check_eq "harvest: one label per feature, name and description" 256 "$(awk -F'\t' 'NF == 4 && $3 == "auto" && $4 != ""' "$H/labels.tsv" | wc -l | tr -d ' ')"
check_eq "harvest: names are at most 63 bytes" 0 "$(awk -F'\t' 'length($2) > 63' "$H/labels.tsv" | wc -l | tr -d ' ')"
check_grep "harvest: a DNA feature is named by its layout" "	nucleotide sequence line: '[ACGT]'" "$H/labels.tsv"
check_grep "harvest: decoder.npy shape" "'shape': \(256, 32\)" "$H/decoder.npy"
check_grep "harvest: unembed.npy shape" "'shape': \(32, 256\)" "$H/unembed.npy"
check_eq "harvest: decoder.npy size" $((128 + 256 * 32 * 4)) "$(wc -c <"$H/decoder.npy" | tr -d ' ')"
# every activation's position is inside its context (positions < 128)
check_eq "harvest: positions within contexts" 0 \
	"$(grep -o '\[[0-9]*,[0-9]*,[0-9.e+-]*\]' "$H/records.jsonl" | awk -F'[][,]' '$2 >= 128 || $3 >= 256' | wc -l | tr -d ' ')"

# co-firing counts: recounted here from every token of the records (each
# dictionary's records hold all its activations), they are the harvest's
check "harvest: co-firing counts are exact over every token, each feature's 16 top partners" python3 -c '
import json, sys
from collections import Counter
w = sys.argv[1]
names = ["res64", "res256"]
fire = {}
for n in names:
    with open("%s/harvest/%s/records.jsonl" % (w, n)) as f:
        for i, line in enumerate(f):
            for t, ft, v in json.loads(line)["acts"]:
                fire.setdefault((n, ft), set()).add((i, t))
fires, both = {}, {}
for line in open(w + "/harvest/cofire.tsv"):
    if line.startswith("#"):
        continue
    x = line.rstrip("\n").split("\t")
    if x[0] == "fires":
        fires[(x[1], int(x[2]))] = int(x[3])
    else:
        both.setdefault((x[1], int(x[2]), x[3]), {})[int(x[4])] = int(x[5])
assert len(fires) == 64 + 256, len(fires)
for k, n in fires.items():
    assert n == len(fire.get(k, ())), (k, n, len(fire.get(k, ())))
npairs = 0
for a in names:
    for b in names:
        if a == b:
            continue
        for fa in range(64 if a == "res64" else 256):
            s = fire.get((a, fa), set())
            c = Counter()
            for fb in range(64 if b == "res64" else 256):
                k = len(s & fire.get((b, fb), set()))
                if k:
                    c[fb] = k
            got = both.get((a, fa, b), {})
            assert len(got) == min(16, len(c)), (a, fa, b, len(got), len(c))
            for fb, k in got.items():
                assert c[fb] == k, (a, fa, b, fb, k, c[fb])
            rest = [k for fb, k in c.items() if fb not in got]
            assert not rest or min(got.values()) >= max(rest), (a, fa, b)
            npairs += len(got)
assert npairs > 1000, npairs
' "$W"
check_grep "harvest: the co-firing figure" "^harvest_cofire_partners [1-9][0-9]*$" "$W/figures.txt"

# index
check "index: built" test -s "$W/demo.sqlite"
"$FS" family --json "$W/demo.sqlite" res64/0 >"$TMP/fam.json" 2>&1
check "index: the co-firing counts are stored and family uses them" python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); assert d["cofire"] is True, d' "$TMP/fam.json"
"$FS" info "$W/demo.sqlite" >"$TMP/info" 2>&1
check_grep "index: info lists the first dictionary" "res64 .*64 features" "$TMP/info"
check_grep "index: info lists the second dictionary" "res256 .*256 features" "$TMP/info"
"$FS" show --json "$W/demo.sqlite" res256/5 >"$TMP/f5.json" 2>&1
check "index: a feature page has a description and random samples" python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))
assert d["description"] and d["description"].startswith("fires on "), d["description"]
assert d["label"] and len(d["label"]) < 64, d["label"]
assert len(d["random"]) > 0' "$TMP/f5.json"

# bad input: one-line error, exit 2 for usage / bad data, 1 for I/O
check_exit "fsmodel: unknown command exits 2" 2 "$FSM" frobnicate
check_exit "fsmodel: missing option exits 2" 2 "$FSM" train-lm --train "$W/train.txt"
check_exit "fsmodel: missing file exits 1" 1 "$FSM" eval-lm --lm "$TMP/none.bin" --heldout "$W/heldout.txt"
printf 'not a model at all' >"$TMP/bad.bin"
check_exit "fsmodel: corrupt model exits 1" 1 "$FSM" eval-lm --lm "$TMP/bad.bin" --heldout "$W/heldout.txt"
check_grep "fsmodel: corrupt model message names the file" "bad.bin:1: header" "$TMP/.err"
printf 'doc\tgroup\n1\tdna\tpkg\n' >"$TMP/bad.tsv"
check_exit "fsmodel: bad manifest exits 2" 2 "$FSM" harvest --lm "$W/lm.bin" --sae "$W/sae-res64.bin" \
	--heldout "$W/heldout.txt" --manifest "$TMP/bad.tsv" --out "$TMP"
check_grep "fsmodel: bad manifest message has FILE:LINE" "bad.tsv:2: manifest" "$TMP/.err"
