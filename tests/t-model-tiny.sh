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
check_eq "corpus: manifest rows have 7 fields" 0 "$(awk -F'\t' 'NF != 7' "$W/manifest.tsv" | wc -l | tr -d ' ')"
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
bpb=$(fig lm_heldout_bpb)
check "lm: held-out bpb reported and below 8" awk -v b="$bpb" 'BEGIN { exit !(b > 0 && b < 8) }'
check "lm: sliding-window bpb reported and not above plain" awk -v a="$(fig lm_heldout_bpb_sliding64)" -v b="$bpb" \
	'BEGIN { exit !(a > 0 && a <= b + 0.05) }'
"$FSM" eval-lm --lm "$W/lm.bin" --heldout "$W/heldout.txt" --max-bytes 20000 --stride 128 >"$TMP/s128" 2>/dev/null
check_eq "lm: sliding window with stride = context equals plain windows" "$bpb" "$(sed -n 's/^lm_heldout_bpb_sliding128 //p' "$TMP/s128")"
check "lm: gzip and xz figures reported" test -n "$(fig gzip9_bpb)" -a -n "$(fig xz9_bpb)"

# SAE: top-k bounds L0, figures in range
check "sae: mean L0 <= k=8" awk -v l="$(fig sae_l0)" 'BEGIN { exit !(l > 0 && l <= 8) }'
check "sae: FVU in (0,1)" awk -v f="$(fig sae_fvu)" 'BEGIN { exit !(f > 0 && f < 1) }'
check "sae: spliced and zero-ablated bpb reported" test -n "$(fig sae_spliced_bpb)" -a -n "$(fig zero_ablated_bpb)"

# harvest outputs
H=$W/harvest
check_eq "harvest: 60 context records" 60 "$(wc -l <"$H/records.jsonl" | tr -d ' ')"
check_eq "harvest: every record has text, offsets, acts, source" 60 \
	"$(grep -c '^{"text": ".*", "offsets": \[0,1,.*\], "acts": \[\[.*\]\], "source": "[^":]*:[^"]*"}$' "$H/records.jsonl")"
check_eq "harvest: vocab has 256 tokens" 256 "$(wc -l <"$H/vocab.txt" | tr -d ' ')"
check_eq "harvest: vocab escapes newline" '\n' "$(sed -n 11p "$H/vocab.txt")"
check_eq "harvest: vocab byte 0xEA" '\xEA' "$(sed -n 235p "$H/vocab.txt")"
check_eq "harvest: one label per feature" 256 "$(awk -F'\t' 'NF == 3 && $3 == "auto"' "$H/labels.tsv" | wc -l | tr -d ' ')"
check_grep "harvest: decoder.npy shape" "'shape': \(256, 128\)" "$H/decoder.npy"
check_grep "harvest: unembed.npy shape" "'shape': \(128, 256\)" "$H/unembed.npy"
check_eq "harvest: decoder.npy size" $((128 + 256 * 128 * 4)) "$(wc -c <"$H/decoder.npy" | tr -d ' ')"
# every activation's position is inside its context (positions < 128)
check_eq "harvest: positions within contexts" 0 \
	"$(grep -o '\[[0-9]*,[0-9]*,[0-9.e+-]*\]' "$H/records.jsonl" | awk -F'[][,]' '$2 >= 128 || $3 >= 256' | wc -l | tr -d ' ')"

# index
check "index: built" test -s "$W/demo.sqlite"
"$FS" info "$W/demo.sqlite" >"$TMP/info" 2>&1
check_grep "index: info names the demo dictionary" "demo" "$TMP/info"

# bad input: one-line error, exit 2 for usage / bad data, 1 for I/O
check_exit "fsmodel: unknown command exits 2" 2 "$FSM" frobnicate
check_exit "fsmodel: missing option exits 2" 2 "$FSM" train-lm --train "$W/train.txt"
check_exit "fsmodel: missing file exits 1" 1 "$FSM" eval-lm --lm "$TMP/none.bin" --heldout "$W/heldout.txt"
printf 'not a model at all' >"$TMP/bad.bin"
check_exit "fsmodel: corrupt model exits 1" 1 "$FSM" eval-lm --lm "$TMP/bad.bin" --heldout "$W/heldout.txt"
check_grep "fsmodel: corrupt model message names the file" "bad.bin:1: header" "$TMP/.err"
printf 'doc\tgroup\n1\tdna\tpkg\n' >"$TMP/bad.tsv"
check_exit "fsmodel: bad manifest exits 2" 2 "$FSM" harvest --lm "$W/lm.bin" --sae "$W/sae.bin" \
	--heldout "$W/heldout.txt" --manifest "$TMP/bad.tsv" --out "$TMP"
check_grep "fsmodel: bad manifest message has FILE:LINE" "bad.tsv:2: manifest" "$TMP/.err"
