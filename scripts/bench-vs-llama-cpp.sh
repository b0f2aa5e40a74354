#!/usr/bin/env bash
# genrm bench and llama.cpp's llama-bench side by side, in one run, on the same shape (issue #23).
#
# Usage: scripts/bench-vs-llama-cpp.sh LLAMA_CPP_DIR [MODEL_DIR] [THREADS]
#   LLAMA_CPP_DIR  a llama.cpp checkout with build/bin/llama-bench built (cmake -B build && cmake --build build
#                  --target llama-bench); it is not part of genrm4j
#   MODEL_DIR      a directory whose config.json gives the shape (default: a new one with the `large` preset's shape
#                  at vocabulary 32,000, as in the issue); weights are random on both sides
#   THREADS        threads for both (default 2)
# DTYPE=bf16 (env): both sides' weights in BF16 (genrm --dtype bf16, a BF16 GGUF); default f32.
# Needs python3 with numpy (for the GGUF, written by scripts/hf-shape-to-gguf.py with llama.cpp's gguf-py).
# Prints one table: genrm4j, llama.cpp, ratio. Each side's own output is kept in $OUT (default: a temp directory).
set -euo pipefail
llama=${1:?usage: scripts/bench-vs-llama-cpp.sh LLAMA_CPP_DIR [MODEL_DIR] [THREADS]}
threads=${3:-2}
dtype=${DTYPE:-f32}
here=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
model=${2:-$out/large-32k}
if [[ ! -f $model/config.json ]]; then
  mkdir -p "$model"
  cat > "$model/config.json" <<'EOF'
{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 32000, "hidden_size": 512,
 "intermediate_size": 1408, "num_hidden_layers": 8, "num_attention_heads": 8, "num_key_value_heads": 4,
 "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": true,
 "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}
EOF
fi
bench=$llama/build/bin/llama-bench
[[ -x $bench ]] || { echo "no $bench: build llama.cpp's llama-bench first" >&2; exit 1; }
gguf=$out/model-$dtype.gguf
python3 "$here/scripts/hf-shape-to-gguf.py" "$model/config.json" "$gguf" "$dtype" "$llama" > /dev/null
genrm() { GENRM_THREADS=$threads "$here/genrm" "$@" --dtype "$dtype" 2> /dev/null; }
value() { grep -F "| $2" "$1" | head -1 | awk -F'|' '{print $3}' | sed 's/[ ,]//g; s/(.*//'; }

echo "uptime: $(uptime)" | tee "$out/uptime.txt"
"$bench" -m "$gguf" -t "$threads" -p 512 -n 128 -r 5 -o md > "$out/llama-bench.md" 2> /dev/null
# ten untimed steps: the JIT compiles the plain-Java prefill's loops during the first few (llama-bench warms up too)
genrm bench forward --model "$model" --seq-len 512 --batch-size 1 --steps 20 --warmup-steps 10 --logits last \
  --threads "$threads" > "$out/forward.md"
genrm bench sample --model "$model" --seq-len 512 --new-tokens 128 --no-recompute --threads "$threads" \
  > "$out/sample.md"
genrm bench score --model "$model" --rationale-tokens 64 --candidates 2 --votes 32 --reencode-votes 0 \
  --threads "$threads" > "$out/score.md"

pp=$(grep pp512 "$out/llama-bench.md" | awk -F'|' '{print $(NF-1)}' | awk '{print $1}')
tg=$(grep tg128 "$out/llama-bench.md" | awk -F'|' '{print $(NF-1)}' | awk '{print $1}')
prefill=$(value "$out/forward.md" "tokens/s")
decode=$(value "$out/sample.md" "decode tokens/s")
cot=$(grep -F "GenRM-CoT, prefix shared" "$out/score.md" | sed 's/.*(\([0-9.]*\)).*/\1/')
cotDecode=$(grep -F "GenRM-CoT decode steps alone" "$out/score.md" | awk -F'|' '{print $3}' | tr -d ' ')
rss=$(grep -F "process RSS peak after GenRM direct" "$out/score.md" | awk -F'|' '{print $3}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
{
  echo
  echo "| work ($threads threads, weights $dtype) | genrm4j | llama.cpp | ratio |"
  echo "|---|---:|---:|---:|"
  echo "| prefill 512 tokens, logits at the last position (tokens/s) | $prefill | pp512 $pp | $(ratio "$prefill" "$pp") |"
  echo "| greedy decode, one stream, after a 512-token prompt (tokens/s) | $decode | tg128 $tg | $(ratio "$decode" "$tg") |"
  echo "| GenRM-CoT K = 32 votes of 64 tokens, shared prefix (sampled tokens/s, all streams) | $cot | tg128 $tg (one stream) | $(ratio "$cot" "$tg") |"
  echo "| the same, decode steps alone (less each prompt's prefill) | $cotDecode | tg128 $tg (one stream) | $(ratio "$cotDecode" "$tg") |"
  echo "| bench score process RSS peak after direct / after CoT |$rss | | |"
} | tee "$out/summary.md"
echo "outputs: $out"
