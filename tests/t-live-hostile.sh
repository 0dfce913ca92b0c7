#!/bin/sh
# t-live-hostile.sh: the live commands (analyze, steer) against a hostile
# index and model (issue 31): dictionary names carrying terminal escapes
# or invalid UTF-8 are printed escaped and never drop a JSON key; a
# feature out of range names the valid range; memory does not grow with
# the length of an analysed text; a GPT-2 whose context is too short for
# its dictionary is refused with one line (exit 2) instead of looping or
# corrupting the heap, and harvest names n_positions when it is below 8.
. "$(dirname "$0")/lib.sh"

D=$TMP/demo
mkdir -p "$D"
cp "$S/data/demo.sqlite" "$D/demo.sqlite"
cp "$S/data/demo-lm.bin" "$S/data/demo-sae-res4k.bin" "$D/"
IX=$D/demo.sqlite
# Under FS_TEST_VALGRIND, the runs over long texts use the plain program
# (as t-live-cli.sh does); valgrind checks the short ones
FSX=$B/featscope
ESC=$(printf '\033')

# ---- a dictionary name with a terminal escape (OSC title + colour)
cp "$IX" "$D/evil.sqlite"
EV=$D/evil.sqlite
sqlite3 "$EV" "UPDATE saes SET name=CAST(X'65761b5d303b50574e4544071b5b33316d' AS TEXT) WHERE name='res4k';
UPDATE live_files SET name=CAST(X'65761b5d303b50574e4544071b5b33316d' AS TEXT) WHERE name='res4k';"
check "analyze: runs with an escape in the dictionary name" "$FS" analyze "$EV" "GATTACA the"
cp "$TMP/.out" "$TMP/evil-analyze.txt"
check_grep "analyze: the dictionary name is shown escaped" 'dictionary ev\\x1b' "$TMP/evil-analyze.txt"
check_nogrep "analyze: no raw escape byte in the output" "$ESC" "$TMP/evil-analyze.txt"
check_nogrep "analyze: no raw BEL byte in the output" "$(printf '\007')" "$TMP/evil-analyze.txt"
check "steer: runs with an escape in the dictionary name" "$FS" steer "$EV" -f 5=2 --tokens 8
cp "$TMP/.out" "$TMP/evil-steer.txt"
check_nogrep "steer: no raw escape byte in the output" "$ESC" "$TMP/evil-steer.txt"
check_exit "steer: a feature out of range in an escaped dictionary exits 2" 2 "$FS" steer "$EV" -f 99999=2 --tokens 8
check_nogrep "steer: the error names the dictionary escaped" "$ESC" "$TMP/.err"

# ---- a dictionary name that is not UTF-8: no JSON key is dropped
cp "$IX" "$D/bad8.sqlite"
B8=$D/bad8.sqlite
sqlite3 "$B8" "UPDATE saes SET name=CAST(X'72ff346b' AS TEXT) WHERE name='res4k';
UPDATE live_files SET name=CAST(X'72ff346b' AS TEXT) WHERE name='res4k';"
check_exit "analyze --json: runs with a non-UTF-8 dictionary name" 0 "$FS" analyze --json "$B8" "GATTACA the"
cp "$TMP/.out" "$TMP/b8-analyze.json"
check "analyze --json: keeps sae, loss and every feature key" /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["sae"] == "r\\xff4k", j.get("sae")
assert "loss" in j
n = 0
for t in j["tokens"]:
    for f in t["features"]:
        assert f["feature"].startswith("r\\xff4k/"), f
        n += 1
for f in j["features"]:
    assert "feature" in f, f
assert n > 0' "$TMP/b8-analyze.json"
check_exit "steer --json: runs with a non-UTF-8 dictionary name" 0 "$FS" steer --json "$B8" -f 5=2 --tokens 8
cp "$TMP/.out" "$TMP/b8-steer.json"
check "steer --json: keeps sae and every feature key" /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["sae"] == "r\\xff4k", j.get("sae")
assert j["features"] and all(f["feature"] == "r\\xff4k/5" for f in j["features"]), j["features"]' "$TMP/b8-steer.json"

# ---- a feature out of range names the valid range, as show does
check_exit "steer: SAE/N out of range exits 2" 2 "$FS" steer "$IX" -f res4k/4096=1
check_grep "steer: SAE/N out of range names the range" 'res4k/4096: no such feature \(res4k has features 0 to 4095\)' "$TMP/.err"
check_exit "steer: N out of range exits 2" 2 "$FS" steer "$IX" -f 4096=1
check_grep "steer: N out of range names the range" "4096: no such feature in dictionary 'res4k' \(features 0 to 4095\)" "$TMP/.err"

# ---- analyze streams: its peak memory does not grow with the text
# (it held every token's activations and encoder rows at once: about
# 18 KB a token with res4k, 360 MB more for the longer text here), and
# the output of a text read in pieces is that of the same text at once
/usr/bin/python3 - "$TMP" <<'PY'
import random, sys
r = random.Random(11)
w = "the quick brown fox GATTACA ACGTACGT int main(void) { return 0; } 12345 hello world\n".split(" ")
t = " ".join(r.choice(w) for _ in range(6000))
open(sys.argv[1] + "/t2k.txt", "w").write(t[:2000])
open(sys.argv[1] + "/t22k.txt", "w").write(t[:22000])
PY
rss() { # peak RSS in KiB of analyze over FILE on standard input
	/usr/bin/python3 -c '
import resource, subprocess, sys
with open(sys.argv[3], "rb") as f:
    r = subprocess.run([sys.argv[1], "analyze", sys.argv[2], "-"], stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)' "$B/featscope" "$IX" "$1"
}
r2=$(rss "$TMP/t2k.txt")
r22=$(rss "$TMP/t22k.txt")
if [ "$r2" -gt 0 ] && [ "$r22" -gt 0 ] && [ "$r22" -lt $((r2 + 40000)) ]; then
	ok "analyze: peak memory does not grow with the text (2 KB: ${r2} KiB, 22 KB: ${r22} KiB)"
else
	fail "analyze: peak memory does not grow with the text" "2 KB: ${r2} KiB, 22 KB: ${r22} KiB"
fi
"$FSX" analyze "$IX" "$(cat "$TMP/t2k.txt")" >"$TMP/arg.txt" 2>/dev/null
"$FSX" analyze "$IX" - <"$TMP/t2k.txt" >"$TMP/stdin.txt" 2>/dev/null
check "analyze: a text on standard input gives what the same argument gives" cmp "$TMP/arg.txt" "$TMP/stdin.txt"
check_grep "analyze: the header counts every token of a streamed text" "^2000 tokens, dictionary res4k" "$TMP/stdin.txt"
check_eq "analyze: a streamed text lists every token once" 2000 "$(grep -cE '^ *[0-9]+  ' "$TMP/stdin.txt")"

# ---- GPT-2 (random, the real layout; tests/gpt2_ref.py) with a SAELens
# dictionary that prepends BOS
PY=/usr/bin/python3
REF=$S/tests/gpt2_ref.py
if ! err=$("$PY" -c 'import torch' 2>&1); then
	fail gpt2-torch "PyTorch is missing for $PY (./bootstrap installs python3-torch): $(printf '%s' "$err" | tail -1)"
	exit 0
fi
G=$TMP/g
mkdir -p "$G"
cd "$G" || exit 1
"$PY" "$REF" model m 2 32 4 64 400 F16 tok && "$PY" "$REF" model m1 2 32 4 1 400 F16 tok &&
	"$PY" "$REF" model m5 2 32 4 5 400 F16 tok &&
	"$PY" "$REF" sae std m blocks.1.hook_resid_pre 16 standard || fail gpt2-setup "gpt2_ref.py failed"
printf 'the quick brown fox jumps over the lazy dog\nthey jumped over the brown dog\n' >t.txt
check "gpt2: harvest of a model of n_positions 64" "$FS" harvest --model m --sae std -o h.sqlite t.txt
cp h.sqlite short.sqlite
check "gpt2: attach accepts a model of n_positions 1" "$FS" attach short.sqlite --model m1 --sae std=std

# n_positions 1 less the BOS leaves no context: one line, exit 2, at once
check_exit "short context: analyze exits 2 (no endless loop)" 2 timeout 20 "$FS" analyze short.sqlite "hello there"
check_grep "short context: analyze says the context is too short" "m1: the model's context is 1 token, 0 after the beginning-of-sequence token that std prepends: the live model needs at least 2" "$TMP/.err"
check_eq "short context: analyze's message is one line" 1 "$(wc -l <"$TMP/.err" | tr -d ' ')"
check_nogrep "short context: analyze prints no negative context" "context of -" "$TMP/.err"
check_exit "short context: steer exits 2 (no heap corruption)" 2 timeout 20 "$FS" steer short.sqlite -f 1=2 --tokens 4
check_grep "short context: steer says the context is too short" "the live model needs at least 2" "$TMP/.err"
check_exit "short context: analyze --json exits 2" 2 timeout 20 "$FS" analyze --json short.sqlite "hello"
# the browser: E on a feature page and the prompt screen show the error
# on the status line and go on
printf '#1<Enter>\n<Enter>\nE\n:save-display %s/sc1\n<Esc>\nA\nab\n:save-display %s/sc2\n<Esc>\nQ\n' "$TMP" "$TMP" >"$TMP/sc.keys"
FEATSCOPE_SCRIPT=$TMP/sc.keys FEATSCOPE_SIZE=140x30 TERM=xterm-256color timeout 30 "$FS" short.sqlite >/dev/null 2>"$TMP/sc.err"
check_eq "short context: the browser keeps running after E" 0 $?
check_grep "short context: E shows the error on the status line" "needs at least 2" "$TMP/sc1"
check_grep "short context: the prompt screen shows the error" "needs at least 2" "$TMP/sc2"

# n_positions below 8 and no --ctx: harvest names the file and the value
check_exit "harvest: n_positions 5 exits 2" 2 "$FS" harvest --model m5 --sae std -o h5.sqlite t.txt
check_grep "harvest: n_positions 5 names config.json and the value" "m5/config.json: n_positions: 5: the model's context is too short to harvest \(at least 8 tokens\)" "$TMP/.err"
check_nogrep "harvest: n_positions 5 does not blame --ctx" "--ctx" "$TMP/.err"
check_exit "harvest: --ctx past n_positions still exits 2" 2 "$FS" harvest --model m --sae std --ctx 65 -o h6.sqlite t.txt
check_grep "harvest: --ctx past n_positions names the range" "--ctx 65: must be 8..64" "$TMP/.err"

# the ablation panel labels each token by its text, not by the byte at
# offset t + 1: every listed token is the one analyze/show give there
printf '#1<Enter>\n<Enter>\nE\n:save-display %s/ab1\nQ\n' "$TMP" >"$TMP/ab.keys"
FEATSCOPE_SCRIPT=$TMP/ab.keys FEATSCOPE_SIZE=140x30 TERM=xterm-256color timeout 30 "$FS" h.sqlite >/dev/null 2>"$TMP/ab.err"
"$FS" show --json h.sqlite std/0 >"$TMP/ab-show.json"
check "ablation panel: tokens labelled by their text" "$PY" -c '
import json, re, sys
toks = json.load(open(sys.argv[2]))["top"][0]["tokens"]
rows = [re.match(r"^   token +([0-9]+) (.*?) +[-+][0-9.]+ *$", l) for l in open(sys.argv[1]).read().split("\n")]
rows = [(int(m.group(1)), m.group(2).replace("\u2423", " ")) for m in rows if m]
assert rows, "no token rows"
for i, t in rows:
    assert toks[i] == t, (i, t, toks[i])
assert any(len(t.encode()) > 1 for i, t in rows) or all(len(t) == 1 for t in toks), rows' "$TMP/ab1" "$TMP/ab-show.json"

# a text longer than the pieces analyze reads (64 KiB) is cut where the
# tokenizer cuts the whole text too: the tokens are those of the whole
# text (runs of spaces and newlines, no-break spaces, CJK, contractions)
"$PY" - <<'PY'
import json, random
r = random.Random(7)
words = ["the", "quick", "brown", "fox's", "jumps", "  over", "\n\n", "lazy", "dog.", "42", "1999", "they're",
         "\u00a0nb", "\u65e5\u672c", "x\ny", "\t", "   ", "!!"]
t = " ".join(r.choice(words) for _ in range(15000))
open("big.txt", "w").write(t)
open("big.jsonl", "w").write(json.dumps(t) + "\n")
PY
"$B/tests/gpt2-tool" encode m big.jsonl >big.ids 2>big.err
"$FSX" analyze --json -k 1 -n 1 h.sqlite - <big.txt >big.json 2>/dev/null
check "analyze: a text read in pieces has the whole text's tokens" "$PY" -c '
import json, sys
sys.path.insert(0, sys.argv[4])
from gpt2_ref import bytes_to_unicode
dec = {c: b for b, c in bytes_to_unicode().items()}
vocab = {i: t for t, i in json.load(open(sys.argv[3])).items()}
ids = [int(x) for x in open(sys.argv[1]).read().split()]
# a byte of a character cut across tokens is written \\xHH, as Python writes it
want = [bytes(dec[c] for c in vocab[i]).decode("utf-8", "backslashreplace") for i in ids]
j = json.load(open(sys.argv[2]))
got = [t["text"] for t in j["tokens"]]
text = open("big.txt", "rb").read()
assert len(text) > 65536 and j["tokens_n"] == len(ids), (len(text), j["tokens_n"], len(ids))
assert got == want, next((k, got[k], want[k]) for k in range(len(got)) if got[k] != want[k])' big.ids big.json m/vocab.json "$S/tests"

# a NaN in ln_f.bias: since the weights are checked at load (issue 31,
# item 10), no NaN loss reaches analyze's JSON; attach refuses the model and
# names the tensor (the JSON writer's null for a NaN is checked in unit-cli)
"$PY" - <<'PY'
import json, shutil, struct
shutil.copytree("m", "mnan")
p = "mnan/model.safetensors"
b = bytearray(open(p, "rb").read())
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
s, e = h["ln_f.bias"]["data_offsets"]
nan = b"\x00\x7e" if h["ln_f.bias"]["dtype"] == "F16" else struct.pack("<f", float("nan"))
b[8 + n + s:8 + n + s + len(nan)] = nan
open(p, "wb").write(b)
PY
cp h.sqlite nan.sqlite
check_exit "a NaN in the weights: attach refuses the model" 2 "$FS" attach nan.sqlite --model mnan --sae std=std
check_grep "a NaN in the weights: the tensor named" 'ln_f\.bias.*nan' "$TMP/.err"
