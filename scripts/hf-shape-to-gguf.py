#!/usr/bin/env python3
"""A random-weight GGUF (llama architecture) of a Hugging Face config.json's shape, for llama-bench to run side by side
with `genrm bench --model DIR` (which takes only the same config.json): speed does not depend on the weights' values.

Usage: hf-shape-to-gguf.py CONFIG.json OUT.gguf [f32|f16|bf16] LLAMA_CPP_DIR

Needs numpy and the gguf-py package of a llama.cpp checkout (LLAMA_CPP_DIR/gguf-py; it is not part of genrm4j).
The vocabulary is placeholder tokens: llama-bench feeds random token ids and never tokenises text.
Llama-family shapes with tied or untied embeddings; no bias, no rope scaling.
"""
import json
import sys
import types

import numpy as np

if len(sys.argv) != 5:
    sys.exit(__doc__)
sys.path.insert(0, sys.argv[4] + "/gguf-py")
sys.modules.setdefault("sentencepiece", types.SimpleNamespace(SentencePieceProcessor=None))  # unused by the writer
import gguf  # noqa: E402

cfg = json.load(open(sys.argv[1]))
out = sys.argv[2]
dtype = sys.argv[3]
npd = {"f32": np.float32, "f16": np.float16, "bf16": np.uint16}[dtype]  # bf16: the upper halves of F32 bits
keys = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
        "vocab_size")
h, L, H, KV, I, V = (cfg[k] for k in keys)
hd = cfg.get("head_dim") or h // H

w = gguf.GGUFWriter(out, "llama")
w.add_name("genrm4j-bench")
w.add_context_length(cfg["max_position_embeddings"])
w.add_embedding_length(h)
w.add_block_count(L)
w.add_feed_forward_length(I)
w.add_head_count(H)
w.add_head_count_kv(KV)
w.add_rope_dimension_count(hd)
w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
w.add_rope_freq_base(cfg.get("rope_theta", 10000.0))
w.add_file_type({"f32": 0, "f16": 1, "bf16": 32}[dtype])  # llama.cpp's LLAMA_FTYPE_ALL_F32 / MOSTLY_F16 / _BF16
w.add_vocab_size(V)
w.add_tokenizer_model("llama")
w.add_tokenizer_pre("default")
toks = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % i for i in range(256)]
toks += ["tok%d" % i for i in range(V - len(toks))]
w.add_token_list(toks)
w.add_token_scores([0.0] * V)
w.add_token_types([2, 3, 3] + [6] * 256 + [1] * (V - 259))  # unknown, control x2, bytes, normal
w.add_bos_token_id(1)
w.add_eos_token_id(2)
w.add_unk_token_id(0)

rng = np.random.default_rng(0)


def tensor(name, *shape, norm=False):
    """Norm gains are 1 (F32, as llama.cpp's converter keeps them); matrices N(0, 0.02) in the chosen type."""
    if norm:
        w.add_tensor(name, np.ones(shape, np.float32))
    elif dtype == "bf16":
        f = rng.standard_normal(shape, dtype=np.float32) * 0.02
        w.add_tensor(name, (f.view(np.uint32) >> 16).astype(np.uint16), raw_dtype=gguf.GGMLQuantizationType.BF16)
    else:
        w.add_tensor(name, (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(npd))


tensor("token_embd.weight", V, h)
tensor("output_norm.weight", h, norm=True)
if not cfg.get("tie_word_embeddings", False):
    tensor("output.weight", V, h)
for layer in range(L):
    p = f"blk.{layer}."
    tensor(p + "attn_norm.weight", h, norm=True)
    tensor(p + "ffn_norm.weight", h, norm=True)
    tensor(p + "attn_q.weight", H * hd, h)
    tensor(p + "attn_k.weight", KV * hd, h)
    tensor(p + "attn_v.weight", KV * hd, h)
    tensor(p + "attn_output.weight", h, H * hd)
    tensor(p + "ffn_gate.weight", I, h)
    tensor(p + "ffn_up.weight", I, h)
    tensor(p + "ffn_down.weight", h, I)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print("wrote", out)
