#!/bin/sh
# t-core-numbers.sh: a number that does not fit the index's 32-bit floats
# (1e39, 3.5e38, 1e308, -1e39) or an infinity/NaN spelled out is bad input
# in the native builder and in every numeric field of every importer: one
# line "featscope: FILE:LINE: FIELD: ...", exit 2, no index left, and never
# a hang (a build once spun forever in the histogram on 1e39).
. "$(dirname "$0")/lib.sh"

FX=$S/tests/fixtures/import
mkdir -p "$TMP/out"

# bad NAME FIELD-REGEX BUILD-ARGS...: exit 2 within 20 s, one line naming
# the field, nothing left behind
bad() {
	n=$1 want=$2
	shift 2
	timeout 20 "$FS" build --no-progress -o "$TMP/out/x.sqlite" "$@" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	if [ "$rc" = 124 ]; then
		fail "$n" "hung (killed after 20 s)"
	elif [ "$rc" != 2 ]; then
		fail "$n" "exit $rc, wanted 2: $(head -c 300 "$TMP/.err")"
	elif ! grep -Eq -- "^featscope: .*$want" "$TMP/.err"; then
		fail "$n" "no /$want/ in: $(head -c 300 "$TMP/.err")"
	elif [ "$(wc -l <"$TMP/.err")" != 1 ]; then
		fail "$n" "more than one line: $(head -c 300 "$TMP/.err")"
	elif [ -n "$(ls -A "$TMP/out")" ]; then
		fail "$n" "left behind: $(ls -A "$TMP/out")"
	else
		ok "$n"
	fi
	rm -rf "$TMP/out"/* "$TMP/out"/.[!.]* 2>/dev/null
}

# mut FILE LINE KEYPATH VALUE: replace the JSON value at KEYPATH (dotted,
# numbers index arrays) of line LINE (0: the whole file is one document)
# with the raw text VALUE
mut() {
	python3 - "$@" <<'PY'
import json, sys
path, line, keys, raw = sys.argv[1], int(sys.argv[2]), sys.argv[3].split('.'), sys.argv[4]
def put(doc):
    o = doc
    for k in keys[:-1]:
        o = o[int(k)] if isinstance(o, list) else o[k]
    k = keys[-1]
    if isinstance(o, list):
        o[int(k)] = '@@V@@'
    else:
        o[k] = '@@V@@'
    return json.dumps(doc, indent=None if line else 1).replace('"@@V@@"', raw)
if line == 0:
    out = put(json.load(open(path)))
else:
    ls = open(path).read().split('\n')
    ls[line - 1] = put(json.loads(ls[line - 1]))
    out = '\n'.join(ls)
open(path, 'w').write(out)
PY
}

RANGE="1e39 3.5e38 1e308 -1e39"
# vals N: every value of RANGE at a format's first site (N = 1), two at the others
vals() { if [ "$1" = 1 ]; then echo "$RANGE"; else echo "3.5e38 -1e39"; fi; }
SPELL="NaN Infinity -Infinity 1e999"

# --- native builder: the activation value
for v in $RANGE; do
	printf '{"tokens":["a","b"],"acts":[[0,1,%s]]}\n' "$v" >"$TMP/r.jsonl"
	bad "native: acts value $v" "r\.jsonl:1: acts\[0\]: value .*(out of range|finite)" "$TMP/r.jsonl"
done
for v in $SPELL; do
	printf '{"tokens":["a","b"],"acts":[[0,1,1]]}\n{"tokens":["a","b"],"acts":[[0,1,%s]]}\n' "$v" >"$TMP/r.jsonl"
	bad "native: acts value spelled $v" "r\.jsonl:2: " "$TMP/r.jsonl"
done
# the largest float itself is fine
printf '{"tokens":["a","b"],"acts":[[0,1,3.4028234e38],[1,0,1e-50]]}\n' >"$TMP/r.jsonl"
check "native: FLT_MAX and a tiny value build" timeout 20 "$FS" build --no-progress -o "$TMP/ok.sqlite" "$TMP/r.jsonl"

# --- Neuronpedia: activation rows and feature rows
np() { rm -rf "$TMP/np"; mkdir -p "$TMP/np"; cp -r "$FX/neuronpedia/." "$TMP/np/"; }
A=activations/batch-0.jsonl F=features/batch-0.jsonl
i=0
for site in "$A 2 values.1 values" "$A 2 binMax binMax" "$F 1 maxActApprox maxActApprox" \
	"$F 1 pos_values.0 pos_values" "$F 1 neg_values.1 neg_values" \
	"$F 1 topkCosSimValues.1 topkCosSimValues" "$F 1 freq_hist_data_bar_values.2 freq_hist_data_bar_values" \
	"$F 1 freq_hist_data_bar_heights.0 freq_hist_data_bar_heights" "$F 1 vector.0 vector" \
	"$F 1 umap_x umap_x" "$F 1 frac_nonzero frac_nonzero"; do
	i=$((i + 1))
	for v in $(vals $i); do
		set -- $site
		np
		mut "$TMP/np/$1" "$2" "$3" "$v"
		bad "neuronpedia: $3 = $v" "np/$1:$2: $4: " "$TMP/np"
	done
done
# numbers given as strings ("index": "12" style) may not spell an infinity
for site in "$A 2 binMax binMax" "$F 1 maxActApprox maxActApprox" "$F 1 umap_y umap_y"; do
	set -- $site
	for v in '"inf"' '"-Infinity"'; do
		np
		mut "$TMP/np/$1" "$2" "$3" "$v"
		bad "neuronpedia: $3 = $v" "np/$1:$2: $4: " "$TMP/np"
	done
done
for v in $SPELL; do
	np
	mut "$TMP/np/$A" 2 values.1 "$v"
	bad "neuronpedia: values spelled $v" "np/$A:2: " "$TMP/np"
done

np
mut "$TMP/np/$F" 1 maxActApprox '"nan"'
bad "neuronpedia: maxActApprox = \"nan\"" "np/$F:1: maxActApprox: not a number" "$TMP/np"

# --- SAEDashboard: one batch document (the JSON path names the feature; a
# number beyond a float sends the streaming scanner back to jansson, which
# knows no lines)
i=0
for site in "features.0.activations.0.values.0 values" "features.0.pos_values.0 pos_values" \
	"features.0.frac_nonzero frac_nonzero" "features.0.activations.0.bin_max bin_max"; do
	i=$((i + 1))
	for v in $(vals $i); do
		set -- $site
		cp "$FX/saedashboard/batch-0.json" "$TMP/sd.json"
		mut "$TMP/sd.json" 0 "$1" "$v"
		bad "saedashboard: $1 = $v" "sd\.json(:[0-9]+)?: features\[0\].*$2: " --from saedashboard "$TMP/sd.json"
	done
done
for v in $SPELL; do
	cp "$FX/saedashboard/batch-0.json" "$TMP/sd.json"
	mut "$TMP/sd.json" 0 features.0.activations.0.values.0 "$v"
	bad "saedashboard: value spelled $v" "sd\.json(:[0-9]+)?: " --from saedashboard "$TMP/sd.json"
done

# --- sae_vis
K=$(python3 -c 'import json,sys; print(list(json.load(open(sys.argv[1]))["feature_data_dict"])[0])' "$FX/saevis.json")
i=0
for site in "sequence_data.seq_group_data.0.seq_data.1.feat_acts.2 feat_acts" \
	"logits_table_data.top_logits.0 top_logits" "logits_table_data.bottom_logits.0 bottom_logits" \
	"acts_histogram_data.bar_values.1 bar_values" "acts_histogram_data.bar_heights.1 bar_heights"; do
	i=$((i + 1))
	for v in $(vals $i); do
		set -- $site
		cp "$FX/saevis.json" "$TMP/sv.json"
		mut "$TMP/sv.json" 0 "feature_data_dict.$K.$1" "$v"
		bad "sae_vis: $1 = $v" "sv\.json.*$2: " --from sae_vis --vocab "$FX/saevis-vocab.txt" "$TMP/sv.json"
	done
done
for v in 3.5e38 -1e39 inf; do
	cp "$FX/saevis.json" "$TMP/sv.json"
	mut "$TMP/sv.json" 0 "feature_data_dict.$K.sequence_data.seq_group_data.1.title" "\"INTERVAL $v - 1.375<br>CONTAINS 75.000%\""
	bad "sae_vis: interval title with $v" "sv\.json.*title: " --from sae_vis --vocab "$FX/saevis-vocab.txt" "$TMP/sv.json"
done
for v in $SPELL; do
	cp "$FX/saevis.json" "$TMP/sv.json"
	mut "$TMP/sv.json" 0 "feature_data_dict.$K.sequence_data.seq_group_data.0.seq_data.1.feat_acts.2" "$v"
	bad "sae_vis: feat_acts spelled $v" "sv\.json:[0-9]+: " --from sae_vis --vocab "$FX/saevis-vocab.txt" "$TMP/sv.json"
done

# --- OpenAI sae-viewer
i=0
for site in "top.0.acts.2 acts" "random.1.acts.1 acts" "top.1.act top.act" "random.0.act random.act" \
	"density density" "mean_act mean_act" "hist.1.5 hist"; do
	i=$((i + 1))
	for v in $(vals $i); do
		set -- $site
		rm -rf "$TMP/oa"
		mkdir -p "$TMP/oa"
		cp "$FX/openai/2.json" "$TMP/oa/2.json"
		if [ "$1" = "hist.1.5" ]; then
			python3 -c 'import sys; p=sys.argv[1]; s=open(p).read(); open(p,"w").write(s.replace("\"1.5\": 4", "\"1.5\": "+sys.argv[2]))' "$TMP/oa/2.json" "$v"
		else
			mut "$TMP/oa/2.json" 0 "$1" "$v"
		fi
		bad "openai: $1 = $v" "oa/2\.json.*$2: " --from openai "$TMP/oa"
	done
done
for site in "top.1.act top.act" "mean_act mean_act"; do
	set -- $site
	rm -rf "$TMP/oa"
	mkdir -p "$TMP/oa"
	cp "$FX/openai/2.json" "$TMP/oa/2.json"
	mut "$TMP/oa/2.json" 0 "$1" '"inf"'
	bad "openai: $1 = \"inf\"" "oa/2\.json.*$2: " --from openai "$TMP/oa"
done
for v in $SPELL; do
	rm -rf "$TMP/oa"
	mkdir -p "$TMP/oa"
	cp "$FX/openai/2.json" "$TMP/oa/2.json"
	mut "$TMP/oa/2.json" 0 top.0.acts.2 "$v"
	bad "openai: acts spelled $v" "oa/2\.json:[0-9]+: " --from openai "$TMP/oa"
done

# --- delphi: f16 activations that are infinite or NaN in the tensor file
for bits in 7c00 fc00 7e00; do
	rm -rf "$TMP/dl"
	"$B/tests/import-fix" delphi "$TMP/dl" >/dev/null
	python3 - "$TMP/dl/latents/layers.3/0_3.safetensors" "$bits" <<'PY'
import json, struct, sys
p, bits = sys.argv[1], int(sys.argv[2], 16)
b = bytearray(open(p, 'rb').read())
n = struct.unpack('<Q', b[:8])[0]
at = 8 + n + json.loads(b[8:8 + n])['activations']['data_offsets'][0] + 2
b[at:at + 2] = struct.pack('<H', bits)
open(p, 'wb').write(b)
PY
	bad "delphi: f16 activation 0x$bits" "0_3\.safetensors: activations: row 1: " --from delphi \
		--vocab "$FX/delphi-tokenizer.json" "$TMP/dl"
done
