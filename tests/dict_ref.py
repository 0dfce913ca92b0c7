# tests/dict_ref.py: the PyTorch reference for featscope's dictionary
# layouts (src/import/saelens_sae.c reads them; src/live/sae_live.c runs them).
#   dict_ref.py check TOOL WORK
#       writes tiny random dictionaries in each real layout: SAELens gated,
#       transcoder, skip_transcoder, jumprelu_transcoder; Gemma Scope 1
#       (params.npz, stored, deflated and in zip64 records, in a release's
#       folder layout; a -transcoders release);
#       Gemma Scope 2 (config.json + params.safetensors, an SAE, a
#       transcoder and one with an affine skip connection); Llama Scope (hyperparams.json +
#       checkpoints/final.safetensors, jumprelu with a dataset-wise norm,
#       topk, a transcoder with different in and out norms, bf16; the SAEs
#       also against SAELens' reading of the folder, saelens_llamascope) and
#       compares TOOL's (tests/dict-tool) encoders (the runtime's and the
#       harvest's), outputs and a transcoder's steering with float64
#       PyTorch written here from the definitions. Prints "ok NAME" /
#       "FAIL NAME: why" lines.
#   dict_ref.py make WORK
#       only writes the dictionaries (for t-dicts-layouts.sh's build and
#       runtime checks): WORK/NAME for each NAME of LAYOUTS, d_in 32.
# Needs torch and numpy (Debian's python3-torch).
import json, math, os, struct, subprocess, sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_ref import st_write, rel_err, load_f32, Checks  # noqa: E402

D = 32          # d_in of every dictionary (the tiny GPT-2's n_embd)
F64 = torch.float64


def rnd(g, *shape, scale=1.0):
    return torch.randn(*shape, generator=g, dtype=F64) * scale


def write_saelens(d, arch, d_sae, hook, hook_out=None, d_out=D, seed=1):
    """A SAELens v6 folder; returns the tensors as the reader sees them."""
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    w = {"W_enc": rnd(g, D, d_sae, scale=0.3), "W_dec": rnd(g, d_sae, d_out, scale=0.3), "b_dec": rnd(g, d_out, scale=0.1)}
    if arch == "gated":
        w.update(b_gate=rnd(g, d_sae, scale=0.2), b_mag=rnd(g, d_sae, scale=0.2), r_mag=rnd(g, d_sae, scale=0.3))
    else:
        w["b_enc"] = rnd(g, d_sae, scale=0.2)
    if arch in ("jumprelu", "jumprelu_transcoder"):
        w["threshold"] = rnd(g, d_sae, scale=0.3).abs()
    if arch == "skip_transcoder":
        w["W_skip"] = rnd(g, d_out, D, scale=0.2)
    cfg = {"d_in": D, "d_sae": d_sae, "architecture": arch, "apply_b_dec_to_input": True,
           "normalize_activations": "none", "dtype": "float32",
           "metadata": {"hook_name": hook, "model_name": "tiny", "prepend_bos": True}}
    if hook_out:
        cfg.update(d_out=d_out, hook_name_out=hook_out)
    json.dump(cfg, open(os.path.join(d, "cfg.json"), "w"))
    return {"layout": "saelens", "arch": arch, "w": st_write(os.path.join(d, "sae_weights.safetensors"), w, "F32"),
            "apply_b_dec": not hook_out}


def zip64_npz(path, arrays):
    """An .npz whose every size and offset is in zip64 fields (as an archive
    over 4 GiB has them), members stored."""
    import io, zlib
    out, central = io.BytesIO(), []
    for name, a in arrays.items():
        buf = io.BytesIO()
        np.save(buf, a)
        data, fname = buf.getvalue(), (name + ".npy").encode()
        off = out.tell()
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 0, 0, 0, zlib.crc32(data), 0xffffffff, 0xffffffff,
                              len(fname), len(extra)) + fname + extra + data)
        cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), off)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 0, 0, 0, zlib.crc32(data),
                                   0xffffffff, 0xffffffff, len(fname), len(cextra), 0, 0, 0, 0, 0xffffffff)
                       + fname + cextra)
    cd_off = out.tell()
    cd = b"".join(central)
    out.write(cd)
    e64 = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, len(central), len(central), len(cd), cd_off))
    out.write(struct.pack("<IIQI", 0x07064b50, 0, e64, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054b50, 0xffff, 0xffff, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0))
    open(path, "wb").write(out.getvalue())


def write_gemmascope(d, d_sae, mode, seed=2):
    """Gemma Scope 1: params.npz; the release's folder says the hook (a
    -transcoders release: SAELens' jumprelu_transcoder from
    ln2.hook_normalized to hook_mlp_out, b_dec the output's)."""
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    w = {"W_enc": rnd(g, D, d_sae, scale=0.3), "W_dec": rnd(g, d_sae, D, scale=0.3), "b_enc": rnd(g, d_sae, scale=0.2),
         "b_dec": rnd(g, D, scale=0.1), "threshold": rnd(g, d_sae, scale=0.3).abs()}
    arrays = {k: v.to(torch.float32).numpy() for k, v in w.items()}
    if mode == "zip64":
        zip64_npz(os.path.join(d, "params.npz"), arrays)
    else:
        (np.savez_compressed if mode == "deflate" else np.savez)(os.path.join(d, "params.npz"), **arrays)
    return {"layout": "gemmascope", "arch": "jumprelu", "apply_b_dec": False,
            "w": {k: v.to(torch.float32).to(F64) for k, v in w.items()}}


def write_gemmascope2(d, d_sae, hook_in, hook_out=None, seed=3, affine=False):
    """Gemma Scope 2; affine: a transcoder with affine_connection true, whose
    params.safetensors' affine_skip_connection SAELens' Gemma 3 loader
    reads as W_skip [d_out, d_in] of a jumprelu_skip_transcoder (its
    output adds x W_skip^T)."""
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    w = {"w_enc": rnd(g, D, d_sae, scale=0.3), "w_dec": rnd(g, d_sae, D, scale=0.3), "b_enc": rnd(g, d_sae, scale=0.2),
         "b_dec": rnd(g, D, scale=0.1), "threshold": rnd(g, d_sae, scale=0.3).abs()}
    if affine:
        # not symmetric, so reading it transposed fails the test
        w["affine_skip_connection"] = rnd(g, D, D, scale=0.2) + torch.triu(torch.ones(D, D, dtype=F64), 1) * 0.3
    cfg = {"hf_hook_point_in": hook_in, "hf_hook_point_out": hook_out or hook_in, "width": d_sae,
           "model_name": "google/gemma-3-tiny", "architecture": "jump_relu", "l0": 7, "affine_connection": affine,
           "type": "transcoder" if hook_out else "sae"}
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
    got = st_write(os.path.join(d, "params.safetensors"), w, "F32")
    out = {"W_enc": got["w_enc"], "W_dec": got["w_dec"], "b_enc": got["b_enc"], "b_dec": got["b_dec"],
           "threshold": got["threshold"]}
    if affine:
        out["W_skip"] = got["affine_skip_connection"]
    return {"layout": "gemmascope", "arch": "jumprelu", "apply_b_dec": False, "w": out}


def write_llamascope(d, d_sae, act, hook_in, hook_out, norm_in, norm_out, dtype="F32", seed=4, log_thr=False):
    os.makedirs(os.path.join(d, "checkpoints"), exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    w = {"encoder.weight": rnd(g, d_sae, D, scale=0.3), "encoder.bias": rnd(g, d_sae, scale=0.2),
         "decoder.weight": rnd(g, D, d_sae, scale=0.3), "decoder.bias": rnd(g, D, scale=0.1)}
    if log_thr:
        w["log_jumprelu_threshold"] = rnd(g, d_sae, scale=0.3) - 1.0
    hp = {"d_model": D, "d_sae": d_sae, "hook_point_in": hook_in, "hook_point_out": hook_out, "act_fn": act,
          "jump_relu_threshold": 0.25, "top_k": 5, "norm_activation": "dataset-wise",
          "dataset_average_activation_norm": {"in": norm_in, "out": norm_out},
          "apply_decoder_bias_to_pre_encoder": False, "expansion_factor": d_sae // D}
    json.dump(hp, open(os.path.join(d, "hyperparams.json"), "w"))
    got = st_write(os.path.join(d, "checkpoints", "final.safetensors"), w, dtype)
    return {"layout": "llamascope", "arch": act, "hp": hp, "w": got}


def encode_ref(m, x):
    """Feature activations [rows, d_sae], float64, from the definitions."""
    w = m["w"]
    if m["layout"] == "llamascope":
        hp = m["hp"]
        s_in = math.sqrt(D) / hp["dataset_average_activation_norm"]["in"]
        pre = (x * s_in) @ w["encoder.weight"].T + w["encoder.bias"]
        if m["arch"] == "jumprelu":
            thr = w["log_jumprelu_threshold"].exp() if "log_jumprelu_threshold" in w else torch.full_like(pre[0], 0.25)
            z = torch.relu(pre) * (pre > thr)
        else:
            z = torch.relu(pre)
            kth = z.topk(hp["top_k"], dim=-1).values[:, -1:]
            z = torch.where(z >= kth, z, torch.zeros_like(z))
        # the folded dictionary reads raw activations; its features are
        # the trained ones (SAELens' values)
        return z
    xc = x - w["b_dec"] if m["apply_b_dec"] else x
    if m["arch"] == "gated":
        gate = xc @ w["W_enc"] + w["b_gate"]
        mag = xc @ (w["W_enc"] * w["r_mag"].exp()) + w["b_mag"]
        return (gate > 0).to(F64) * torch.relu(mag)
    pre = xc @ w["W_enc"] + w["b_enc"]
    z = torch.relu(pre)
    if "threshold" in w:
        z = z * (pre > w["threshold"])
    return z


def decode_ref(m, x, z):
    """The dictionary's output (a transcoder's: the MLP output) in raw units."""
    w = m["w"]
    if m["layout"] == "llamascope":
        hp = m["hp"]
        s_out = math.sqrt(D) / hp["dataset_average_activation_norm"]["out"]
        out_n = z @ w["decoder.weight"].T + w["decoder.bias"]
        return out_n / s_out
    out = z @ w["W_dec"] + w["b_dec"]
    if "W_skip" in w:
        out = out + x @ w["W_skip"].T
    return out


def saelens_llamascope(m, x):
    """SAELens' reading of a Llama Scope folder, written from its loader
    (sae_lens/loading/pretrained_sae_loaders.py: get_llama_scope_config_from_hf
    and llama_scope_sae_huggingface_loader; the R1-distill loader's
    log_jumprelu_threshold) and SAE.fold_activation_norm_scaling_factor(s):
    W_enc = encoder.weight^T * s, W_dec = decoder.weight^T / s, b_dec =
    decoder.bias / s, b_enc as stored, the threshold jump_relu_threshold * s
    for every feature (exp(log_jumprelu_threshold) when stored), s =
    sqrt(d_model) / dataset_average_activation_norm.in. Its features on raw x
    and its output; and s."""
    hp, w = m["hp"], m["w"]
    s = math.sqrt(hp["d_model"]) / hp["dataset_average_activation_norm"]["in"]
    pre = x @ (w["encoder.weight"].T * s) + w["encoder.bias"]
    if "log_jumprelu_threshold" in w:
        thr = w["log_jumprelu_threshold"].exp()
    else:
        thr = torch.full_like(pre[0], hp["jump_relu_threshold"] * s)
    z = torch.relu(pre) * (pre > thr)
    return z, z @ (w["decoder.weight"].T / s) + w["decoder.bias"] / s, s


def check_saelens_llamascope(c, m, short, z_got, y_got, x):
    """featscope's Llama Scope fold against SAELens' reading: featscope's
    features are SAELens' (the trained ones), its output SAELens' (an SAE's:
    one norm in and out). A scalar jump_relu_threshold SAELens
    multiplies by s; featscope keeps it on the trained pre-activation: where
    the two gate a feature differently is counted and printed, and every
    other value must agree."""
    if z_got is None or y_got is None:
        print("FAIL saelens-%s: featscope's output missing" % short)
        c.failed += 1
        return
    z_sl, y_sl, s = saelens_llamascope(m, x)
    same = (z_sl > 0) == (z_got > 0)
    rows = same.all(1)
    nd = int((~same).sum())
    if "log_jumprelu_threshold" in m["w"] and nd:
        print("FAIL saelens-gates-%s: %d features gated differently with per-feature thresholds" % (short, nd))
        c.failed += 1
    if nd:
        print("# saelens-%s: SAELens gates %d of %d feature activations differently (its threshold %.4g = "
              "jump_relu_threshold * s, featscope's %.4g); the %d rows where every gate agrees are compared"
              % (short, nd, same.numel(), m["hp"]["jump_relu_threshold"] * s, m["hp"]["jump_relu_threshold"],
                 int(rows.sum())))
    if int(rows.sum()) == 0:
        print("FAIL saelens-%s: no row where the gates agree" % short)
        c.failed += 1
        return
    c.cmp("saelens-features-" + short, (z_got * same)[rows], (z_sl * same)[rows])
    c.cmp("saelens-output-" + short, y_got[rows], y_sl[rows])


def dec_rows(m):
    w = m["w"]
    if m["layout"] == "llamascope":
        hp = m["hp"]
        s_out = math.sqrt(D) / hp["dataset_average_activation_norm"]["out"]
        return w["decoder.weight"].T / s_out
    return w["W_dec"]


LAYOUTS = [
    # name, writer, arguments, is a transcoder
    ("sl-gated", write_saelens, ("gated", 48, "blocks.1.hook_resid_pre")),
    ("sl-tc", write_saelens, ("transcoder", 40, "blocks.0.ln2.hook_normalized", "blocks.0.hook_mlp_out")),
    ("sl-skip", write_saelens, ("skip_transcoder", 40, "blocks.1.hook_mlp_in", "blocks.1.hook_mlp_out")),
    ("sl-jtc", write_saelens, ("jumprelu_transcoder", 36, "blocks.0.hook_mlp_in", "blocks.0.hook_mlp_out")),
    ("gemma-scope-2b-pt-res/layer_1/width_16k/average_l0_5", write_gemmascope, (64, "stored")),
    ("gemma-scope-2b-pt-mlp-canonical/layer_0/width_16k/average_l0_9", write_gemmascope, (56, "deflate")),
    ("gemma-scope-9b-it-res/layer_0/width_16k/average_l0_3", write_gemmascope, (40, "zip64", 7)),
    ("gemma-scope-2b-pt-transcoders/layer_1/width_16k/average_l0_7", write_gemmascope, (44, "stored", 8)),
    ("gs2-res", write_gemmascope2, (48, "model.layers.1.output")),
    ("gs2-tc", write_gemmascope2, (40, "model.layers.0.pre_feedforward_layernorm.output",
                                   "model.layers.0.post_feedforward_layernorm.output")),
    ("gs2-aff", write_gemmascope2, (40, "model.layers.1.pre_feedforward_layernorm.output",
                                    "model.layers.1.post_feedforward_layernorm.output", 10, True)),
    ("ls-jump", write_llamascope, (64, "jumprelu", "blocks.1.hook_resid_post", "blocks.1.hook_resid_post", 7.5, 7.5)),
    ("ls-topk", write_llamascope, (48, "topk", "blocks.0.hook_resid_pre", "blocks.0.hook_resid_pre", 3.0, 3.0, "BF16")),
    ("ls-log", write_llamascope, (56, "jumprelu", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_pre", 4.0, 4.0,
                                  "F32", 11, True)),
    ("ls-tc", write_llamascope, (64, "jumprelu", "blocks.0.ln2.hook_normalized", "blocks.0.hook_mlp_out", 5.5, 0.75,
                                 "F32", 6, True)),
]


def make_all(work):
    out = {}
    for name, fn, args in LAYOUTS:
        out[name] = fn(os.path.join(work, name), *args)
    return out


def check(tool, work):
    c = Checks()
    ms = make_all(work)
    g = torch.Generator().manual_seed(9)
    rows = 7
    x = rnd(g, rows, D, scale=2.0)
    xin = os.path.join(work, "x.bin")
    x.to(torch.float32).numpy().tofile(xin)
    x = x.to(torch.float32).to(F64)
    for name, m in ms.items():
        short = name.split("/")[0]
        d = os.path.join(work, name)
        z = encode_ref(m, x)
        out = os.path.join(work, short + ".enc")
        if c.run("enc-" + short, [tool, "enc", d, xin, str(rows), out]):
            c.cmp("enc-runtime-" + short, load_f32(out, z.shape), z)
            c.cmp("enc-harvest-" + short, load_f32(out + ".h", z.shape), z)
        nz = int((z > 0).sum())
        if 0 < nz < z.numel():
            print("ok enc-sparse-" + short)
        else:
            print("FAIL enc-sparse-%s: %d of %d active (the test wants some of each)" % (short, nz, z.numel()))
        y = decode_ref(m, x, z)
        out = os.path.join(work, short + ".dec")
        if c.run("dec-" + short, [tool, "dec", d, xin, str(rows), out]):
            c.cmp("dec-" + short, load_f32(out, y.shape), y)
            if short in ("ls-jump", "ls-log"):
                check_saelens_llamascope(c, m, short, load_f32(os.path.join(work, short + ".enc"), z.shape),
                                         load_f32(out, y.shape), x)
        is_tc = short in ("sl-tc", "sl-skip", "sl-jtc", "gs2-tc", "gs2-aff", "ls-tc", "gemma-scope-2b-pt-transcoders")
        if short in ("sl-gated", "ls-jump", "gs2-res"):
            # a dictionary's clamp: the steered input encodes to V at f (the
            # reference encoder on what the hook wrote), for a feature whose
            # encoder and decoder rows agree (W_enc[f] . W_dec[f] > 0.5, as a
            # trained dictionary's do; a random one's may point apart)
            w = m["w"]
            enc = w["encoder.weight"].T if "encoder.weight" in w else w["W_enc"]
            agree = ((enc.T * dec_rows(m)).sum(1) > 0.5).to(F64)
            f = int((z.sum(0) * agree).argmax())
            V = 2.0
            out = os.path.join(work, short + ".clamp")
            if c.run("steer-clamp-" + short, [tool, "steer", d, xin, str(rows), out, str(f), str(V), "clamp"]):
                got = load_f32(out, x.shape)
                c.cmp("steer-clamp-reads-V-" + short, None if got is None else encode_ref(m, got)[:, f],
                      torch.full((rows,), V, dtype=F64))
        if is_tc:
            # steering edits the output: clamp f to V adds (V - z_f) W_dec[f];
            # add adds V W_dec[f]
            f = int(z.sum(0).argmax())
            V = 3.5
            rowsd = dec_rows(m)
            for mode in ("clamp", "add"):
                out = os.path.join(work, short + "." + mode)
                want = ((V - z[:, f:f + 1]) if mode == "clamp" else torch.full((rows, 1), V, dtype=F64)) * rowsd[f]
                if c.run("steer-%s-%s" % (mode, short), [tool, "steer", d, xin, str(rows), out, str(f), str(V), mode]):
                    c.cmp("steer-%s-%s" % (mode, short), load_f32(out, want.shape), want)
    sys.stdout.flush()
    return c.failed


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make_all(sys.argv[2])
        return 0
    print(__doc__ or "usage: dict_ref.py check TOOL WORK | make WORK", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
