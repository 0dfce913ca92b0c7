#!/bin/sh
# t-live-dicts.sh: the live commands on every dictionary of an index
# (issue 32): a feature named with its dictionary (res1k/N, #FID) selects
# that dictionary for steer and analyze; -f F=1e9 is out of range, not
# "not a number"; analyze's short labels end outside a quoted item; a
# GPT-2 config.json with n_positions 1 << 20 runs in bounded memory
# (issue 31).
. "$(dirname "$0")/lib.sh"

D=$TMP/demo
mkdir -p "$D"
cp "$S/data/demo.sqlite" "$S/data/demo-lm.bin" "$S/data/demo-sae-res1k.bin" "$S/data/demo-sae-res4k.bin" "$D/"
IX=$D/demo.sqlite
check "attach res4k and res1k" "$FS" attach "$IX" --model "$D/demo-lm.bin" --sae "res4k=$D/demo-sae-res4k.bin" \
	--sae "res1k=$D/demo-sae-res1k.bin"

# res1k/275 with the default dictionary being res4k
check "steer: a res1k feature by name runs" "$FS" steer "$IX" -f res1k/275=11 -t 8
check_grep "steer: it steers res1k/275" "clamp res1k/275=11" "$TMP/.out"
check_exit "steer: --json with a res1k feature exits 0" 0 "$FS" steer --json "$IX" -f res1k/275=11 -t 4
check_grep "steer: the JSON names the res1k feature" '"res1k/275"' "$TMP/.out"
FID=$("$FS" show --json "$IX" res1k/275 2>/dev/null | grep -oE '"id": *[0-9]+' | head -1 | grep -oE '[0-9]+$')
check "steer: a res1k feature by #FID runs" "$FS" steer --json "$IX" -f "#$FID=11" -t 4
check_grep "steer: #FID steers res1k/275" '"feature": "res1k/275"' "$TMP/.out"
check "analyze: a res1k feature by name runs" "$FS" analyze "$IX" -f res1k/275=5 "The cat sat"
check_grep "analyze: it analyses with res1k" "dictionary res1k" "$TMP/.out"
# a bare number still means the default dictionary's feature
check "analyze: a bare feature number uses the first dictionary" "$FS" analyze "$IX" -f 275=5 "The cat"
check_grep "analyze: that is res4k" "dictionary res4k" "$TMP/.out"
# two dictionaries at once: one line naming the dictionary steered
check_exit "steer: features of two dictionaries exit 2" 2 "$FS" steer "$IX" -f res1k/275=11 -f res4k/1=2 -t 4
check_grep "steer: says one dictionary at a time" "res4k/1: not in dictionary 'res1k'.*one dictionary at a time" "$TMP/.err"

# values: 1e9 is a number out of range; 1e1 is fine
check_exit "steer: -f X=1e9 exits 2" 2 "$FS" steer "$IX" -f res1k/275=1e9 -t 4
check_grep "steer: 1e9 is out of range" "value '1e9' is out of range \(-1e6 to 1e6\)" "$TMP/.err"
check_nogrep "steer: 1e9 is not called not a number" "not a number" "$TMP/.err"
check "steer: -f X=1e1 runs" "$FS" steer "$IX" -f res1k/275=1e1 -t 4
check_exit "steer: -f X=nan is not a number" 2 "$FS" steer "$IX" -f res1k/275=nan -t 4
check_grep "steer: nan says not a number" "value 'nan' is not a number" "$TMP/.err"

# analyze's labels: never cut inside a quoted item ('...' of a list):
# a cut label ends with its last whole item and "…"
"$FS" analyze "$IX" --sae res1k --top 30 '!*;%&^}\-/.:' >"$TMP/an.txt" 2>&1
grep -o "ASCII punctuation: .*" "$TMP/an.txt" | sed 's/ | .*//; s/ *$//' | sort -u >"$TMP/labels.txt"
check_grep "analyze: labels of punctuation are listed" "ASCII punctuation: '" "$TMP/labels.txt"
check_grep "analyze: a cut label ends with a whole item and …" "^ASCII punctuation: '.{1,2}'…$" "$TMP/labels.txt"
check_eq "analyze: every label is whole items ('X',...), … when cut" "" "$(grep -Ev "^ASCII punctuation: ('.{1,2}'(,'.{1,2}')*(…)?)?$" "$TMP/labels.txt")"

# GPT-2: n_positions 1 << 20 in config.json (wpe of that size, 1 MB
# positions x 32 f16) runs in bounded memory
PY=/usr/bin/python3
if ! "$PY" -c 'import torch' 2>/dev/null; then
	fail gpt2-torch "PyTorch is missing for $PY (./bootstrap installs python3-torch)"
	exit 0
fi
G=$TMP/g
mkdir -p "$G"
cd "$G" || exit 1
"$PY" "$S/tests/gpt2_ref.py" model m 2 32 4 64 400 F16 tok &&
	"$PY" "$S/tests/gpt2_ref.py" model big 2 32 4 1048576 400 F16 tok &&
	"$PY" "$S/tests/gpt2_ref.py" sae std m blocks.1.hook_resid_pre 16 standard || fail gpt2-setup "gpt2_ref.py failed"
printf 'the quick brown fox jumps over the lazy dog\n' >t.txt
check "gpt2: harvest" "$FS" harvest --model m --sae std -o h.sqlite t.txt
check "gpt2: attach the model of n_positions 1048576" "$FS" attach h.sqlite --model big --sae std=std
# before: ctx x vocab logits (1.6 GB) and a KV cache of 1 M positions
(ulimit -v 1200000 && exec "$FS" analyze h.sqlite "the quick brown fox") >"$TMP/big.out" 2>"$TMP/big.err"
check_eq "gpt2: analyze with n_positions 1 << 20 under 1.2 GB of address space exits 0" "0" "$?"
check_grep "gpt2: it analyses the text" "^[0-9]+ tokens, dictionary std" "$TMP/big.out"
(ulimit -v 1200000 && exec "$FS" steer h.sqlite -f 1=2 -t 4 --prompt "the") >"$TMP/big.out" 2>"$TMP/big.err"
check_eq "gpt2: steer with n_positions 1 << 20 under 1.2 GB of address space exits 0" "0" "$?"
