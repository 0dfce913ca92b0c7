# t-live-weights-hostile.sh: weights that are not numbers, and interrupted
# harvests (issue 31). A tiny GPT-2 checkpoint and SAELens dictionary are
# written here with Python's standard library only (no torch); copies get
# one NaN, Inf or 3e38 in a named tensor. harvest, attach and analyze
# refuse each with one line naming the file and the tensor and exit 2 (no
# "NOT NULL constraint", no index, no temporary folder). A harvest
# interrupted with SIGINT or SIGTERM while it writes its records leaves
# no .featscope-harvest-* folder and no index, and ends by the signal.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
cd "$TMP" || exit 1

# gen.py DIR D L CTX VOCAB_EXTRA: a GPT-2 folder (config.json, model.safetensors
# F32, vocab.json of the 256 byte tokens + <|endoftext|>, merges.txt);
# gen.py sae DIR D_IN D_SAE HOOK: a SAELens folder;
# gen.py poke FILE TENSOR INDEX VALUE: overwrite one F32 element in place.
cat >gen.py <<'PY'
import json, math, os, random, struct, sys
from array import array

def st_write(path, tensors):
    header, off = {}, 0
    for name, (shape, vals) in sorted(tensors.items()):
        n = len(vals) * 4
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name, (shape, vals) in sorted(tensors.items()):
            a = array("f", vals)
            if sys.byteorder != "little":
                a.byteswap()
            f.write(a.tobytes())

def rnd(rng, n, std, base=0.0):
    return [base + rng.gauss(0, std) for _ in range(n)]

def byte_alphabet():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))

def model(d, D, L, ctx):
    os.makedirs(d, exist_ok=True)
    rng = random.Random(7)
    V = 257
    t = {"wte.weight": ([V, D], rnd(rng, V * D, 0.5)), "wpe.weight": ([ctx, D], rnd(rng, ctx * D, 0.3)),
         "ln_f.weight": ([D], rnd(rng, D, 0.1, 1.0)), "ln_f.bias": ([D], rnd(rng, D, 0.1))}
    for l in range(L):
        p = "h.%d." % l
        t.update({p + "ln_1.weight": ([D], rnd(rng, D, 0.1, 1.0)), p + "ln_1.bias": ([D], rnd(rng, D, 0.1)),
                  p + "attn.c_attn.weight": ([D, 3 * D], rnd(rng, 3 * D * D, 1.5 / math.sqrt(D))),
                  p + "attn.c_attn.bias": ([3 * D], rnd(rng, 3 * D, 0.1)),
                  p + "attn.c_proj.weight": ([D, D], rnd(rng, D * D, 1 / math.sqrt(D))),
                  p + "attn.c_proj.bias": ([D], rnd(rng, D, 0.1)),
                  p + "ln_2.weight": ([D], rnd(rng, D, 0.1, 1.0)), p + "ln_2.bias": ([D], rnd(rng, D, 0.1)),
                  p + "mlp.c_fc.weight": ([D, 4 * D], rnd(rng, 4 * D * D, 1 / math.sqrt(D))),
                  p + "mlp.c_fc.bias": ([4 * D], rnd(rng, 4 * D, 0.1)),
                  p + "mlp.c_proj.weight": ([4 * D, D], rnd(rng, 4 * D * D, 1 / math.sqrt(4 * D))),
                  p + "mlp.c_proj.bias": ([D], rnd(rng, D, 0.1))})
    st_write(os.path.join(d, "model.safetensors"), t)
    json.dump({"model_type": "gpt2", "n_layer": L, "n_embd": D, "n_head": 4, "n_positions": ctx, "vocab_size": V,
               "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}, open(os.path.join(d, "config.json"), "w"))
    b2u = byte_alphabet()
    vocab = {b2u[b]: b for b in range(256)}
    vocab["<|endoftext|>"] = 256
    json.dump(vocab, open(os.path.join(d, "vocab.json"), "w", encoding="utf-8"), ensure_ascii=False)
    open(os.path.join(d, "merges.txt"), "w").write("#version: 0.2\n")

def sae(d, din, dsae, hook):
    os.makedirs(d, exist_ok=True)
    rng = random.Random(11)
    st_write(os.path.join(d, "sae_weights.safetensors"),
             {"W_enc": ([din, dsae], rnd(rng, din * dsae, 1 / math.sqrt(din))), "b_enc": ([dsae], rnd(rng, dsae, 0.1)),
              "W_dec": ([dsae, din], rnd(rng, dsae * din, 1 / math.sqrt(dsae))), "b_dec": ([din], rnd(rng, din, 0.1))})
    json.dump({"d_in": din, "d_sae": dsae, "architecture": "standard", "apply_b_dec_to_input": True,
               "normalize_activations": "none",
               "metadata": {"model_name": "tiny", "hook_name": hook, "prepend_bos": True}},
              open(os.path.join(d, "cfg.json"), "w"))

def poke(path, name, i, value):
    with open(path, "r+b") as f:
        hl = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(hl))
        f.seek(8 + hl + h[name]["data_offsets"][0] + 4 * i)
        f.write(struct.pack("<f", value))

if sys.argv[1] == "model":
    model(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
elif sys.argv[1] == "sae":
    sae(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
elif sys.argv[1] == "poke":
    poke(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
elif sys.argv[1] == "text":
    rng = random.Random(3)
    words = "the quick brown fox jumps over a lazy dog while features fire on tokens of text".split()
    with open(sys.argv[2], "w") as f:
        for _ in range(int(sys.argv[3])):
            f.write(" ".join(rng.choice(words) for _ in range(60)) + "\n\n")
PY
"$PY" gen.py model m 32 2 64 && "$PY" gen.py sae s 32 48 blocks.1.hook_resid_pre &&
	"$PY" gen.py text docs.txt 20 || { fail hostile-setup "gen.py failed"; exit 0; }

check "harvest: the clean checkpoint harvests" "$FS" harvest --model m --sae s --ctx 16 -o good.sqlite docs.txt

# harvest one hostile copy: exit 2, one line naming FILE: TENSOR, nothing left
hostile_harvest() { # NAME WANT_PATTERN
	check_exit "harvest $1: exit 2" 2 "$FS" harvest --model hm --sae hs --ctx 16 -o bad.sqlite docs.txt
	check_grep "harvest $1: names the file and tensor" "$2" "$TMP/.err"
	check_eq "harvest $1: one line" 1 "$(wc -l <"$TMP/.err" | tr -d ' ')"
	check_nogrep "harvest $1: no SQL error, no temporary file named" "NOT NULL|constraint|featscope-harvest" "$TMP/.err"
	check_eq "harvest $1: no index, no temporary folder" "" "$(ls -d bad.sqlite* .featscope-harvest-* 2>/dev/null)"
}
fresh() { rm -rf hm hs && cp -r m hm && cp -r s hs; }

fresh
"$PY" gen.py poke hm/model.safetensors h.1.mlp.c_fc.weight 17 nan
hostile_harvest "NaN in the model" 'hm/model.safetensors: h\.1\.mlp\.c_fc\.weight: element 17 is nan'
fresh
"$PY" gen.py poke hm/model.safetensors wte.weight 0 inf
hostile_harvest "Inf in the model" 'hm/model.safetensors: wte\.weight: element 0 is inf'
fresh
"$PY" gen.py poke hm/model.safetensors ln_f.bias 3 -3e38
hostile_harvest "-3e38 in the model" 'hm/model.safetensors: ln_f\.bias: element 3 is -3e\+38'
fresh
"$PY" gen.py poke hs/sae_weights.safetensors W_dec 5 nan
hostile_harvest "NaN in the dictionary" 'hs/sae_weights.safetensors: W_dec: element 5 is nan'
fresh
"$PY" gen.py poke hs/sae_weights.safetensors b_enc 1 inf
hostile_harvest "Inf in the dictionary" 'hs/sae_weights.safetensors: b_enc: element 1 is inf'

# attach (which loads what it records, so that analyze and steer never
# run on it) refuses a checkpoint made NaN after the harvest
cp -r m m2 && cp -r s s2 &&
	"$FS" harvest --model m2 --sae s2 --ctx 16 -o live.sqlite docs.txt 2>/dev/null || fail "harvest for attach" "failed"
"$PY" gen.py poke m2/model.safetensors h.0.attn.c_attn.bias 2 nan
check_exit "attach: a GPT-2 checkpoint with a NaN exits 2" 2 "$FS" attach live.sqlite --model m2 --sae s2=s2
check_grep "attach: names the checkpoint's tensor" 'm2/model\.safetensors: h\.0\.attn\.c_attn\.bias: element 2 is nan' "$TMP/.err"
check_exit "analyze: the changed checkpoint exits 2" 2 "$FS" analyze live.sqlite "the quick brown fox"
check_nogrep "analyze: no 'loss nan'" "loss nan" "$TMP/.out"

# the demo model (FSLM0002 f16): one half made NaN in wte; attach refuses it
D=$TMP/demo
mkdir -p "$D"
cp "$S/data/demo.sqlite" "$S/data/demo-lm.bin" "$S/data/demo-sae-res4k.bin" "$D/"
"$PY" - "$D/demo-lm.bin" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(8 + 5 * 4 + 2 * 10)   # header, then wte element 10 (f16)
    f.write(b"\x00\x7e")         # a quiet NaN
PY
check_exit "attach: a demo model with a NaN exits 2" 2 "$FS" attach "$D/demo.sqlite" --model "$D/demo-lm.bin" --sae "res4k=$D/demo-sae-res4k.bin"
check_grep "attach: names the demo model's tensor" 'demo-lm\.bin: wte: element 10 is nan' "$TMP/.err"

# interrupted harvests: a bigger model over more text, stopped once its
# records are being written. A background job of a script has SIGINT
# ignored (POSIX), which featscope leaves alone: the job is started with
# SIGINT back to the default.
"$PY" gen.py model big 128 4 128 && "$PY" gen.py text big.txt 4000 || fail "interrupt setup" "gen.py failed"
interrupt() { # SIGNAL NAME
	rm -rf int.sqlite .featscope-harvest-*
	"$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
		"$FS" harvest --model big --sae sbig --ctx 64 --batch 2 -o int.sqlite big.txt 2>int.err &
	pid=$!
	i=0
	while [ $i -lt 600 ]; do
		f=$(ls .featscope-harvest-*/records-0.jsonl 2>/dev/null | head -1)
		[ -n "$f" ] && [ -s "$f" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if ! kill -0 $pid 2>/dev/null; then
		fail "harvest $2: interrupted while writing" "it ended first: $(head -c 300 int.err)"
		return
	fi
	kill -"$1" $pid
	wait $pid
	rc=$?
	[ "$rc" -ne 0 ] && ok "harvest $2: exits non-zero ($rc)" || fail "harvest $2: exits non-zero" "exit 0"
	check_eq "harvest $2: no temporary folder left" "" "$(ls -d .featscope-harvest-* 2>/dev/null)"
	check_eq "harvest $2: no index, no temporary index" "" "$(ls -d int.sqlite* 2>/dev/null)"
}
"$PY" gen.py sae sbig 128 64 blocks.1.hook_resid_pre
interrupt INT "SIGINT"
interrupt TERM "SIGTERM"
