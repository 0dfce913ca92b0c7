#!/bin/sh
# t-import-hostile.sh: the other importers' files with hostile content:
# explanations, token strings and dictionary names carrying OSC/CSI/C1/bidi
# sequences, and GPT-2 byte-level tokens that decode to ESC and BEL
# ("ě]0;pwnedć" is ESC ] 0 ; pwned BEL once decoded). Each builds (the
# text is data), and what shows it (show, search, token, info, export)
# prints it escaped: no raw control, C1, bidi or invalid UTF-8 byte.
# (neighbours, clusters, notes and JSON outputs: the escaping rule's tests.)
. "$(dirname "$0")/lib.sh"

FX=$S/tests/fixtures/import

bad_bytes() {
	python3 - "$1" <<'PY'
import sys, re
b = open(sys.argv[1], "rb").read()
m = re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", b)
if m:
    print("control byte 0x%02x at %d: %r" % (m.group()[0], m.start(), b[max(0, m.start() - 20):m.start() + 20])); sys.exit()
try:
    s = b.decode("utf-8")
except UnicodeDecodeError as e:
    print("invalid UTF-8 at %d" % e.start); sys.exit()
m = re.search("[\u0080-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]", s)
if m:
    print("invisible/C1 U+%04X at %d" % (ord(m.group()), m.start()))
PY
}
clean() {
	r=$(bad_bytes "$2")
	if [ -z "$r" ]; then ok "$1"; else fail "$1" "$r"; fi
}
# outputs NAME INDEX FEATURE QUERY: the text outputs that show imported text
outputs() {
	"$FS" show "$2" "$3" >"$TMP/o.txt" 2>&1
	clean "$1: show" "$TMP/o.txt"
	grep -q 'x1b' "$TMP/o.txt" && ok "$1: show has the escapes, as text" ||
		fail "$1: show has the escapes, as text" "$(head -c 300 "$TMP/o.txt")"
	"$FS" search "$2" "$4" >"$TMP/o.txt" 2>&1
	clean "$1: search" "$TMP/o.txt"
	"$FS" info "$2" >"$TMP/o.txt" 2>&1
	clean "$1: info" "$TMP/o.txt"
	for fmt in text markdown tsv; do
		"$FS" export "$2" --notes "$TMP/none.sqlite" --format $fmt >"$TMP/o.txt" 2>&1
		clean "$1: export $fmt" "$TMP/o.txt"
	done
}

# the hostile strings, as JSON string literals
OSC='"osc \u001b]0;pwned\u0007 csi \u001b[2J c1 \u009b31m bidi \u202eevil\u202c zw a\u200bb"'
BYTE='"\u011b]0;pwned\u0107\u011b[2J\u0120x"'   # GPT-2 byte-level: ESC ] 0 ; pwned BEL ESC [ 2 J space x

# --- Neuronpedia: explanation, activation tokens (byte-level), logit tokens
rm -rf "$TMP/np"
mkdir -p "$TMP/np"
cp -r "$FX/neuronpedia/." "$TMP/np/"
python3 - "$TMP/np" "$OSC" "$BYTE" <<'PY'
import json, sys
d, osc, byte = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
def edit(path, fn):
    ls = open(path).read().split('\n')
    out = []
    for l in ls:
        if l.strip():
            o = json.loads(l); fn(o); l = json.dumps(o)
        out.append(l)
    open(path, 'w').write('\n'.join(out))
def ex(o):
    if o.get('index') == '0': o['description'] = osc
edit(d + '/explanations/batch-0.jsonl', ex)
def act(o):
    if o.get('tokens'): o['tokens'][1] = byte
edit(d + '/activations/batch-0.jsonl', act)
def feat(o):
    if o.get('pos_str'): o['pos_str'][0] = byte
edit(d + '/features/batch-0.jsonl', feat)
PY
check "neuronpedia hostile: builds" "$FS" build --no-progress -o "$TMP/np.sqlite" "$TMP/np"
outputs "neuronpedia hostile" "$TMP/np.sqlite" 0 pwned
"$FS" token "$TMP/np.sqlite" "$(printf '\033[2J x')" >"$TMP/o.txt" 2>&1
clean "neuronpedia hostile: token lookup of a decoded ESC" "$TMP/o.txt"

# --- SAEDashboard: token strings and the dictionary's name parts
python3 - "$FX/saedashboard/batch-0.json" "$TMP/sd.json" "$OSC" "$BYTE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); osc, byte = json.loads(sys.argv[3]), json.loads(sys.argv[4])
d['sae_set'] = osc
f = d['features'][0]
f['activations'][0]['tokens'][0] = byte
f['activations'][0]['values'][0] = 2.0
if f.get('pos_str'): f['pos_str'][0] = osc
json.dump(d, open(sys.argv[2], 'w'), indent=1)
PY
check "saedashboard hostile: builds" "$FS" build --no-progress -o "$TMP/sd.sqlite" --from saedashboard "$TMP/sd.json"
outputs "saedashboard hostile" "$TMP/sd.sqlite" 0 pwned

# --- sae_vis: a vocabulary whose tokens carry escapes, an interval title
python3 - "$FX/saevis.json" "$TMP/sv.json" "$FX/saevis-vocab.txt" "$TMP/sv-vocab.txt" "$OSC" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); osc = json.loads(sys.argv[5])
k = list(d['feature_data_dict'])[0]
d['feature_data_dict'][k]['sequence_data']['seq_group_data'][0]['title'] = osc
json.dump(d, open(sys.argv[2], 'w'))
v = open(sys.argv[3], 'rb').read().split(b'\n')
v[1] = b'\\x1b]0;pwned\\x07 \\xc2\\x9b31m'   # C escapes in the vocabulary file
open(sys.argv[4], 'wb').write(b'\n'.join(v))
PY
check "sae_vis hostile: builds" "$FS" build --no-progress -o "$TMP/sv.sqlite" --from sae_vis --vocab "$TMP/sv-vocab.txt" "$TMP/sv.json"
outputs "sae_vis hostile" "$TMP/sv.sqlite" "$(python3 -c 'import json,sys; print(list(json.load(open(sys.argv[1]))["feature_data_dict"])[0])' "$FX/saevis.json")" pwned

# --- OpenAI sae-viewer: token strings
rm -rf "$TMP/oa"
mkdir -p "$TMP/oa"
python3 - "$FX/openai/2.json" "$TMP/oa/2.json" "$OSC" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); osc = json.loads(sys.argv[3])
d['top'][0]['tokens'][1] = osc
json.dump(d, open(sys.argv[2], 'w'))
PY
check "openai hostile: builds" "$FS" build --no-progress -o "$TMP/oa.sqlite" --from openai "$TMP/oa"
outputs "openai hostile" "$TMP/oa.sqlite" 2 pwned

# --- delphi: a tokenizer.json whose byte-level tokens decode to ESC/BEL
"$B/tests/import-fix" delphi "$TMP/dl" >/dev/null
python3 - "$FX/delphi-tokenizer.json" "$TMP/tok.json" "$BYTE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); byte = json.loads(sys.argv[3])
v = d['model']['vocab']
inv = {i: t for t, i in v.items()}
for i in (1, 2):
    del v[inv[i]]
    v[byte + str(i)] = i
json.dump(d, open(sys.argv[2], 'w'))
PY
check "delphi hostile: builds" "$FS" build --no-progress -o "$TMP/dl.sqlite" --from delphi --vocab "$TMP/tok.json" "$TMP/dl"
outputs "delphi hostile" "$TMP/dl.sqlite" 1 pwned
