#!/usr/bin/env python3
"""Writes a small Qwen2-style tokenizer directory: a byte-level BPE tokenizer.json (GPT-2 byte alphabet, merges
learned here from the shipped GSM8K training text), the ChatML special tokens, and a tokenizer_config.json naming
<|im_end|> as eos and carrying a ChatML chat_template, as Qwen2.5-Instruct's does.

It stands in for a real checkpoint's tokenizer where none can be downloaded: docs/usage.md's LoRA worked example was
checked end to end on `genrm create --config <qwen2 config> --tokenizer <this dir>`. Standard library only.

usage: scripts/qwen-style-tokenizer.py OUT_DIR [MERGES]   (default 1000 merges)
"""
import collections
import json
import os
import re
import sys

GSM8K = os.path.join(os.path.dirname(__file__), "..", "src/main/resources/io/genrm4j/data/gsm8k/train.jsonl")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# GPT-2's pre-tokenizer regex, with \p{L} / \p{N} approximated for Python's re (only the merges learned depend on it;
# the Rust library splits with the real one)
WORDS = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")
CHAT_TEMPLATE = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] "
                 "+ '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
                 "{% endif %}")


def byte_alphabet():
    """GPT-2's bytes_to_unicode: every byte as a printable character."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) \
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def learn_merges(texts, count, alphabet):
    words = collections.Counter()
    for t in texts:
        for w in WORDS.findall(t):
            words[tuple(alphabet[b] for b in w.encode("utf-8"))] += 1
    merges = []
    for _ in range(count):
        pairs = collections.Counter()
        for w, f in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += f
        if not pairs:
            break
        best = max(pairs, key=lambda p: (pairs[p], p))
        merges.append(best)
        merged = collections.Counter()
        for w, f in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += f
        words = merged
    return merges


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    with open(GSM8K, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    texts = [r["question"] + "\n" + r["answer"] for r in records]
    alphabet = byte_alphabet()
    merges = learn_merges(texts, count, alphabet)
    vocab = {}
    for b in range(256):
        vocab[alphabet[b]] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    added = [{"id": len(vocab) + i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, s in enumerate(SPECIALS)]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True}
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
           "normalizer": {"type": "NFC"}, "pre_tokenizer": byte_level, "post_processor": None,
           "decoder": byte_level,
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                     "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                     "vocab": vocab, "merges": [a + " " + b for a, b in merges]}}
    cfg = {"tokenizer_class": "Qwen2Tokenizer", "bos_token": None, "eos_token": "<|im_end|>",
           "pad_token": "<|endoftext|>", "unk_token": None, "model_max_length": 32768,
           "chat_template": CHAT_TEMPLATE}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=1)
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
    print(f"{out}: {len(vocab) + len(SPECIALS)} tokens ({len(merges)} merges learned from {len(texts)} GSM8K problems)")


if __name__ == "__main__":
    main()
