#!/bin/sh
# t-dicts-layouts.sh: the dictionary layouts of issue 34 (SAELens gated and
# the transcoders, Gemma Scope 1 params.npz (residual, MLP and transcoder
# releases), Gemma Scope 2 (an affine skip too), Llama Scope
# with its dataset-wise norm): each encoder, output and a transcoder's
# steering against a float64 PyTorch reference (tests/dict_ref.py, through
# tests/dict-tool: the runtime's and the harvest's encoder); each layout
# through `featscope build` (the decoder stored, neighbours) and through
# the runtime on a tiny GPT-2 (harvest, analyze); bad input (a hook the
# model does not have, a d_in that does not fit, an attention dictionary,
# a params.npz that does not say its hook, a damaged archive): one line
# naming the file and field, exit 2.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! err=$("$PY" -c 'import torch, numpy' 2>&1); then
	fail dicts-torch "PyTorch or numpy is missing for $PY (./bootstrap installs python3-torch): $(printf '%s' "$err" | tail -1)"
	exit 0
fi
cd "$TMP" || exit 1
mkdir -p ref d
"$PY" "$S/tests/dict_ref.py" check "$B/tests/dict-tool" "$TMP/ref" 2>py.err
[ -s py.err ] && fail dicts-ref-python "$(tail -3 py.err | tr '\n' ' ')"
"$PY" "$S/tests/dict_ref.py" make "$TMP/d" || fail dicts-make "dict_ref.py make failed"
GS1=d/gemma-scope-2b-pt-res/layer_1/width_16k/average_l0_5
GS1M=d/gemma-scope-2b-pt-mlp-canonical/layer_0/width_16k/average_l0_9
GS1T=d/gemma-scope-2b-pt-transcoders/layer_1/width_16k/average_l0_7

# build: each layout is a dictionary of the index, its decoder stored
for x in sl-gated:48:32:blocks.1.hook_resid_pre sl-tc:40:32:blocks.0.ln2.hook_normalized \
	gs2-res:48:32:blocks.1.hook_resid_post gs2-tc:40:32:blocks.0.hook_mlp_in \
	ls-jump:64:32:blocks.1.hook_resid_post ls-tc:64:32:blocks.0.ln2.hook_normalized \
	gs1:64:32:blocks.1.hook_resid_post gs1m:56:32:blocks.0.hook_mlp_out \
	gs1t:44:32:blocks.1.ln2.hook_normalized gs2-aff:40:32:blocks.1.hook_mlp_in; do
	name=${x%%:*}
	rest=${x#*:}
	nf=${rest%%:*}
	rest=${rest#*:}
	dm=${rest%%:*}
	hook=${rest#*:}
	dir=d/$name
	[ "$name" = gs1 ] && dir=$GS1
	[ "$name" = gs1m ] && dir=$GS1M
	[ "$name" = gs1t ] && dir=$GS1T
	check "build-$name" "$FS" build --no-progress -o "$name.sqlite" --sae "$name" "$dir"
	"$FS" info "$name.sqlite" >"$name.info" 2>&1
	check_grep "build-$name-info" "$name +$nf features, d_model $dm, .*hook $hook" "$name.info"
	check_eq "build-$name-decoder" "$nf $dm" "$(sqlite3 "$name.sqlite" "select sum(n), min(d) from decoders" 2>&1 | tr '|' ' ')"
	n=$(sqlite3 "$name.sqlite" "select count(*) from neighbours" 2>&1)
	[ "$n" -gt 0 ] 2>/dev/null && ok "build-$name-neighbours" || fail "build-$name-neighbours" "no neighbours ($n)"
done
# build reads only the decoder: an architecture the runtime does not run
# (batchtopk) still builds, and the runtime refuses it in one line
mkdir -p btk && cp d/sl-gated/sae_weights.safetensors btk/ && sed 's/"gated"/"batchtopk"/' d/sl-gated/cfg.json >btk/cfg.json
check build-batchtopk "$FS" build --no-progress -o btk.sqlite --sae btk btk
check_eq build-batchtopk-arch "batchtopk" "$(sqlite3 btk.sqlite "select value from meta where key = 'saelens.btk.architecture'" 2>&1)"
check_eq build-format-names "saelens saelens gemmascope2 llamascope gemmascope" \
	"$(for n in sl-gated sl-tc gs2-res ls-jump gs1; do sqlite3 "$n.sqlite" "select source_format from saes"; done | tr '\n' ' ' | sed 's/ $//')"
check_eq build-transcoder-hook-out "blocks.0.hook_mlp_out" \
	"$(sqlite3 sl-tc.sqlite "select value from meta where key = 'saelens.sl-tc.hook_out'")"
# Gemma Scope 1 transcoders write the MLP's output; Gemma Scope 2's affine
# connection makes a skip transcoder
check_eq build-gs1-transcoder-hook-out "blocks.1.hook_mlp_out" \
	"$(sqlite3 gs1t.sqlite "select value from meta where key = 'saelens.gs1t.hook_out'")"
check_eq build-gs2-affine-hook-out "blocks.1.hook_mlp_out" \
	"$(sqlite3 gs2-aff.sqlite "select value from meta where key = 'saelens.gs2-aff.hook_out'")"
"$FS" neighbours ls-jump.sqlite ls-jump/0 >ls-nb.txt 2>&1
check_grep build-ls-neighbours-listed '^ +1 ' ls-nb.txt

# the runtime: a tiny GPT-2 (n_embd 32, 2 blocks) harvests with the
# dictionaries that read points GPT-2 runs, analyze encodes with them
"$PY" "$S/tests/gpt2_ref.py" model m 2 32 4 64 400 F32 tokenizer || fail dicts-model "gpt2_ref.py model failed"
printf 'the quick brown fox jumps over the lazy dog\nit is 42 and 1999 they said\n' >plain.txt
mkdir -p g && ln -s "$TMP/$GS1" g/gs1 && ln -s "$TMP/$GS1M" g/gs1m
check harvest-layouts "$FS" harvest --model m --sae d/sl-gated --sae d/ls-jump --sae d/gs2-res \
	--sae g/gs1 --sae g/gs1m --sae d/ls-topk --ctx 16 -o h.sqlite plain.txt
for n in sl-gated ls-jump gs2-res gs1 gs1m ls-topk; do
	check "analyze-$n" "$FS" analyze h.sqlite --sae "$n" --json --top 1000 "the quick brown fox"
	check_grep "analyze-$n-features" '"index": [0-9]+' "$TMP/.out"
done
# analyze's values are the encoder's (the runtime's) on GPT-2's residual:
# the stored maximum of a feature is what analyze gives its top context
"$PY" - "$FS" h.sqlite ls-jump gs2-res gs1 sl-gated <<'PY'
import json, subprocess, sys
fs, ix, saes = sys.argv[1], sys.argv[2], sys.argv[3:]
for sae in saes:
    n = 0
    worst = 0.0
    for f in range(0, 48, 5):
        r = subprocess.run([fs, "show", ix, "%s/%d" % (sae, f), "--json"], capture_output=True, text=True)
        if r.returncode != 0:
            break
        j = json.loads(r.stdout)
        if not j["top"]:
            continue
        ex = j["top"][0]
        a = subprocess.run([fs, "analyze", ix, "--sae", sae, "--json", "--top", "1000", ex["text"]],
                           capture_output=True, text=True)
        toks = json.loads(a.stdout)["tokens"]
        p = ex["max_pos"]
        if p >= len(toks) or toks[p]["text"] != ex["tokens"][p]:
            continue
        got = sum(fe["value"] for fe in toks[p]["features"] if fe["index"] == f)
        worst = max(worst, abs(got - j["max_act"]) / max(abs(j["max_act"]), 1e-6))
        n += 1
    tag = "analyze-stored-max-" + sae
    if n < 2:
        print("FAIL %s: only %d maxima compared" % (tag, n))
    elif worst > 1e-4:
        print("FAIL %s: relative error %.3g" % (tag, worst))
    else:
        print("ok %s (%d maxima)" % (tag, n))
PY

# bad input: one line naming the file and field, exit 2
bad() { # NAME REGEX ARGS...
	name=$1 re=$2
	shift 2
	"$FS" "$@" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/.err")" = 1 ] && grep -Eq -- "$re" "$TMP/.err"; then
		ok "$name"
	else
		fail "$name" "exit $rc, stderr: $(head -c 300 "$TMP/.err")"
	fi
}
# the runtime checks a dictionary against the model when it binds it
# (attach, on an index of the dictionary), and so does the harvest
mkdir -p deep && cp -r d/ls-jump/. deep/ && sed -i 's/blocks\.1\.hook_resid_post/blocks.7.hook_resid_post/g' deep/hyperparams.json
"$FS" build --no-progress -o hd.sqlite --sae deep deep >/dev/null 2>&1
bad bad-hook-layer "deep/hyperparams\.json: hook_point_in: the model has no resid_post\.7 \(2 blocks\)" \
	attach hd.sqlite --model m --sae deep=deep
bad bad-hook-harvest "deep/hyperparams\.json: hook 'blocks\.7\.hook_resid_post' is not a hook point of m" \
	harvest --model m --sae deep -o x.sqlite plain.txt
mkdir -p wide && cp d/gs2-res/config.json wide/ && "$PY" - <<'PY'
import sys, os
sys.path.insert(0, os.environ["FS_SRCDIR"] + "/tests")
import torch
from gpt2_ref import st_write
g = torch.Generator().manual_seed(1)
st_write("wide/params.safetensors", {"w_enc": torch.randn(48, 48, generator=g), "w_dec": torch.randn(48, 48, generator=g),
         "b_enc": torch.zeros(48), "b_dec": torch.zeros(48), "threshold": torch.zeros(48)}, "F32")
PY
"$FS" build --no-progress -o hw.sqlite --sae wide wide >/dev/null 2>&1
bad bad-d-in "wide/params\.safetensors: w_enc: 48 wide, but the model's resid_post\.1 is 32 wide" \
	attach hw.sqlite --model m --sae wide=wide
bad bad-d-in-harvest "wide/params\.safetensors: w_enc 48 does not fit m/config\.json: n_embd 32" \
	harvest --model m --sae wide -o x.sqlite plain.txt
# affine_connection on a dictionary that reads and writes one point
mkdir -p gaff && sed 's/"affine_connection": false/"affine_connection": true/' d/gs2-res/config.json >gaff/config.json &&
	cp d/gs2-res/params.safetensors gaff/
bad bad-gs2-affine-sae "gaff/config\.json: affine_connection: true, but the dictionary reads and writes one point" \
	build --no-progress -o x.sqlite gaff
# a transcoder reads mlp_in, which GPT-2 runs (issue 34's live core):
# the harvest encodes its features there
check_exit tc-harvest 0 "$FS" harvest --no-progress --model m --sae d/sl-tc -o tc.sqlite plain.txt
ln -s "$TMP/$GS1T" g/gs1t
check_exit tc-harvest-gs1 0 "$FS" harvest --no-progress --model m --sae g/gs1t --sae d/gs2-aff -o tc1.sqlite plain.txt
for n in gs1t gs2-aff; do
	check "analyze-$n" "$FS" analyze tc1.sqlite --sae "$n" --json --top 1000 "the quick brown fox"
	check_grep "analyze-$n-features" '"index": [0-9]+' "$TMP/.out"
done
"$FS" info tc.sqlite >"$TMP/tcinfo" 2>&1
check_grep tc-harvest-hook "blocks\.0\.ln2\.hook_normalized" "$TMP/tcinfo"
mkdir -p ghook && sed 's/model\.layers\.1\.output/model.layers.1.self_attn.o_proj.input/' d/gs2-res/config.json >ghook/config.json &&
	cp d/gs2-res/params.safetensors ghook/
bad bad-gs2-hook "ghook/config.json: hf_hook_point_in: 'model\.layers\.1\.self_attn\.o_proj\.input' is not a point featscope runs" \
	build --no-progress -o x.sqlite ghook
mkdir -p gemma-scope-2b-pt-att/layer_1/width_16k/average_l0_5 nosite/layer_1
cp "$GS1/params.npz" gemma-scope-2b-pt-att/layer_1/width_16k/average_l0_5/
cp "$GS1/params.npz" nosite/layer_1/
bad bad-gs1-att "average_l0_5/params\.npz: hook: an attention \(-att\) dictionary reads attn\.hook_z" \
	build --no-progress -o x.sqlite gemma-scope-2b-pt-att/layer_1/width_16k/average_l0_5
bad bad-gs1-nosite "nosite/layer_1/params\.npz: hook: params\.npz does not say where it reads" \
	build --no-progress -o x.sqlite nosite/layer_1
mkdir -p gemma-scope-x-res/layer_2
head -c 3000 "$GS1/params.npz" >gemma-scope-x-res/layer_2/params.npz
bad bad-gs1-truncated "layer_2/params\.npz: zip: " build --no-progress -o x.sqlite gemma-scope-x-res/layer_2
# hostile archives: sizes and offsets that lie are refused before anything
# of their size is allocated or read
"$PY" - "$GS1/params.npz" "$GS1M/params.npz" <<'PY'
import os, struct, sys
stored, deflated = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
def eocd(b):
    return b.rindex(b"PK\x05\x06")
def cd(b):
    return struct.unpack_from("<I", b, eocd(b) + 16)[0]
def put(name, b):
    os.makedirs("gemma-scope-h-res/%s/layer_1" % name, exist_ok=True)
    open("gemma-scope-h-res/%s/layer_1/params.npz" % name, "wb").write(b)
b = bytearray(deflated)
struct.pack_into("<I", b, cd(b) + 24, 0x7fffffff)  # 2 GiB from a few hundred bytes
put("bomb", b)
b = bytearray(stored)
struct.pack_into("<I", b, eocd(b) + 16, len(b) + 100)  # the directory past the end
put("cdoff", b)
b = bytearray(stored)
struct.pack_into("<I", b, cd(b) + 42, len(b) - 10)  # a member's header at the end
put("local", b)
b = bytearray(stored)
struct.pack_into("<II", b, cd(b) + 20, 0x10000000, 0x10000000)  # a member longer than the file
put("long", b)
PY
bad bad-npz-bomb "bomb/layer_1/params\.npz: W_enc\.npy: [0-9]+ compressed bytes cannot hold 2147483647" \
	build --no-progress -o x.sqlite gemma-scope-h-res/bomb/layer_1
bad bad-npz-cd "cdoff/layer_1/params\.npz: zip: central directory: .* not inside the file" \
	build --no-progress -o x.sqlite gemma-scope-h-res/cdoff/layer_1
bad bad-npz-local "local/layer_1/params\.npz: W_enc\.npy: local header at [0-9]+: missing" \
	build --no-progress -o x.sqlite gemma-scope-h-res/local/layer_1
bad bad-npz-long "long/layer_1/params\.npz: W_enc\.npy: 268435456 bytes at [0-9]+ run past the end of the file" \
	build --no-progress -o x.sqlite gemma-scope-h-res/long/layer_1
mkdir -p lsbad/checkpoints && cp d/ls-jump/checkpoints/final.safetensors lsbad/checkpoints/ &&
	sed 's/"d_sae": 64/"d_sae": 65/' d/ls-jump/hyperparams.json >lsbad/hyperparams.json
bad bad-ls-d-sae "lsbad/checkpoints/final\.safetensors: decoder\.weight: shape \[32, 64\], expected \[32, 65\]" \
	build --no-progress -o x.sqlite lsbad
sed 's/"dataset-wise"/"dataset-wise", "x": 1/; s/"in": 7.5/"in": -1/' d/ls-jump/hyperparams.json >lsbad/hyperparams.json
bad bad-ls-norm "lsbad/hyperparams\.json: dataset_average_activation_norm\.in: missing or not a positive number" \
	build --no-progress -o x.sqlite lsbad
check_exit harvest-batchtopk 2 "$FS" harvest --model m --sae btk -o x.sqlite plain.txt
check_grep harvest-batchtopk-says "btk/cfg\.json: architecture: 'batchtopk' is not supported" "$TMP/.err"
[ -e x.sqlite ] && fail bad-no-index "an index was left" || ok bad-no-index
exit 0
