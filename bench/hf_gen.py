# bench/hf_gen.py: the random checkpoints of bench/hf.sh, and the PyTorch
# side of its forward-pass comparison.
#   hf_gen.py make DIR SHAPE [LAYERS]
#       a random bf16 checkpoint in the real Hugging Face layout (config.json,
#       shards with model.safetensors.index.json, a small tokenizer.json):
#       SHAPE llama-3.2-1b (hidden 2048, intermediate 8192, 32 heads / 8 KV,
#       vocab 128256, tied) or gemma-2-2b (26 layers, hidden 2304, 8 heads /
#       4 KV, head_dim 256, intermediate 9216, vocab 256000); LAYERS keeps
#       the first ones (default: all). Tensors are written one at a time.
#   hf_gen.py torch DIR T RUNS THREADS
#       the same weights as float32 torch tensors and tests/hf_ref.py's
#       reference forward pass in float32 over T tokens (logits included)
#       on THREADS threads: "torch_s=MEDIAN" (seconds).
#   hf_gen.py serve DIR T THREADS
#       the same pass, driven by its input (bench/hf.sh alternates it with
#       hfbench serve): after the load and a warm pass, "ready"; then for
#       each line read, one pass: "torch_s=SECONDS".
import json, os, struct, sys, time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import hf_ref  # noqa: E402

SHAPES = {
    "llama-3.2-1b": {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
                     "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 128256,
                     "tie_word_embeddings": True, "rope_theta": 500000.0, "rms_norm_eps": 1e-5, "hidden_act": "silu",
                     "max_position_embeddings": 131072, "bos_token_id": 128000,
                     "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                      "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}},
    "gemma-2-2b": {"model_type": "gemma2", "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
                   "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "vocab_size": 256000,
                   "query_pre_attn_scalar": 256, "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0,
                   "sliding_window": 4096, "rope_theta": 10000.0, "rms_norm_eps": 1e-6,
                   "hidden_activation": "gelu_pytorch_tanh", "max_position_embeddings": 8192, "bos_token_id": 2},
}


def shapes(c):
    """(name, shape, std) of every tensor, in file order."""
    D, F, L = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    H, Hkv, hd, V = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["vocab_size"]
    gem = c["model_type"].startswith("gemma")
    out = [("model.embed_tokens.weight", (V, D), 0.02), ("model.norm.weight", (D,), 0.0)]
    for l in range(L):
        p = "model.layers.%d." % l
        out += [(p + "input_layernorm.weight", (D,), 0.0), (p + "self_attn.q_proj.weight", (H * hd, D), D ** -0.5),
                (p + "self_attn.k_proj.weight", (Hkv * hd, D), D ** -0.5),
                (p + "self_attn.v_proj.weight", (Hkv * hd, D), D ** -0.5),
                (p + "self_attn.o_proj.weight", (D, H * hd), (H * hd) ** -0.5),
                (p + "mlp.gate_proj.weight", (F, D), D ** -0.5), (p + "mlp.up_proj.weight", (F, D), D ** -0.5),
                (p + "mlp.down_proj.weight", (D, F), F ** -0.5)]
        out += [(p + n, (D,), 0.0) for n in (("post_attention_layernorm.weight", "pre_feedforward_layernorm.weight",
                                               "post_feedforward_layernorm.weight") if gem
                                              else ("post_attention_layernorm.weight",))]
    return out


def rand_bf16(shape, std, g):
    n = 1
    for s in shape:
        n *= s
    if std == 0.0:  # a norm's weight: 1 (llama) or 0 (Gemma's 1 + w)
        return torch.zeros(n, dtype=torch.bfloat16)
    out = torch.empty(n, dtype=torch.bfloat16)
    for a in range(0, n, 1 << 24):
        b = min(n, a + (1 << 24))
        out[a:b] = (torch.randn(b - a, generator=g) * std).to(torch.bfloat16)
    return out


def make(d, shape, layers=None):
    os.makedirs(d, exist_ok=True)
    c = dict(SHAPES[shape])
    if layers:
        c["num_hidden_layers"] = layers
    ts = shapes(c)
    if not c["model_type"].startswith("gemma"):  # llama norms are 1
        ts = [(n, s, -1.0 if std == 0.0 else std) for n, s, std in ts]
    g = torch.Generator().manual_seed(0)
    # shards of about 1 GB
    shards, cur, size = [], [], 0
    for t in ts:
        nb = 2 * int(torch.tensor(t[1]).prod())
        if cur and size + nb > (1 << 30):
            shards.append(cur)
            cur, size = [], 0
        cur.append(t)
        size += nb
    shards.append(cur)
    wmap = {}
    for i, part in enumerate(shards):
        fn = "model-%05d-of-%05d.safetensors" % (i + 1, len(shards))
        header, off = {}, 0
        for n, s, _ in part:
            nb = 2 * int(torch.tensor(s).prod())
            header[n] = {"dtype": "BF16", "shape": list(s), "data_offsets": [off, off + nb]}
            off += nb
            wmap[n] = fn
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * ((8 - len(h) % 8) % 8)
        with open(os.path.join(d, fn), "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for n, s, std in part:
                t = torch.ones(int(torch.tensor(s).prod()), dtype=torch.bfloat16) if std < 0 else rand_bf16(s, std, g)
                f.write(t.view(torch.int16).numpy().tobytes())
    json.dump({"metadata": {}, "weight_map": wmap}, open(os.path.join(d, "model.safetensors.index.json"), "w"))
    json.dump(c, open(os.path.join(d, "config.json"), "w"), indent=1)
    hf_ref.write_tokenizer(d, 300)
    vocab = json.load(open(os.path.join(d, "vocab.json"), encoding="utf-8"))
    merges = [l.rstrip("\n") for l in open(os.path.join(d, "merges.txt"), encoding="utf-8")][1:]
    json.dump({"version": "1.0", "model": {"type": "BPE", "vocab": vocab, "merges": merges}},
              open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8"), ensure_ascii=False)
    os.remove(os.path.join(d, "vocab.json"))
    os.remove(os.path.join(d, "merges.txt"))


def load_f32(d):
    idx = json.load(open(os.path.join(d, "model.safetensors.index.json")))
    w = {}
    for fn in sorted(set(idx["weight_map"].values())):
        raw = open(os.path.join(d, fn), "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        hdr = json.loads(raw[8:8 + n])
        for k, e in hdr.items():
            if k == "__metadata__":
                continue
            a, b = e["data_offsets"]
            t = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.bfloat16)
            w[k] = t.to(torch.float32).view(*e["shape"])
    return w


def bench_torch(d, T, runs, threads):
    torch.set_num_threads(threads)
    hf_ref.DT = torch.float32
    c = json.load(open(os.path.join(d, "config.json")))
    w = load_f32(d)
    ids = [(i * 7919 + 11) % c["vocab_size"] for i in range(T)]
    times = []
    with torch.no_grad():
        hf_ref.reference(c, w, ids)
        for _ in range(runs):
            a = time.perf_counter()
            hf_ref.reference(c, w, ids)
            times.append(time.perf_counter() - a)
    times.sort()
    print("torch_s=%.4f" % times[len(times) // 2])


def serve_torch(d, T, threads):
    torch.set_num_threads(threads)
    hf_ref.DT = torch.float32
    c = json.load(open(os.path.join(d, "config.json")))
    w = load_f32(d)
    ids = [(i * 7919 + 11) % c["vocab_size"] for i in range(T)]
    with torch.no_grad():
        hf_ref.reference(c, w, ids)
        print("ready", flush=True)
        for _ in sys.stdin:
            a = time.perf_counter()
            hf_ref.reference(c, w, ids)
            print("torch_s=%.4f" % (time.perf_counter() - a), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else None)
    elif sys.argv[1] == "serve":
        serve_torch(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "torch":
        bench_torch(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit("usage: hf_gen.py make DIR SHAPE [LAYERS] | torch DIR T RUNS THREADS | serve DIR T THREADS")
