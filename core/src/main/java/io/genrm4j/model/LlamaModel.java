package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Llama-family decoder (Llama 2/3.x, Qwen2, Qwen3, Mistral, Gemma, Gemma2) written out in plain DJL ops: RMSNorm,
 * rotate-half RoPE (with Llama 3 frequency scaling), grouped-query attention with causal + padding (+ sliding window)
 * masks (Qwen3: RMSNorm on each query and key head first; Gemma2: soft-capped logits), SwiGLU or GeGLU MLP, tied or
 * untied LM head, and an optional scalar score head.
 * Parameters are kept under their Hugging Face names, so checkpoints load in transformers and vLLM unchanged.
 *
 * <p>Every op result belongs to its first operand's manager, so activations always come first: they then live in
 * the caller's per-step manager and are freed with it, while parameters stay in the model's manager. Scalars that
 * take part in the autograd graph are arrays made with {@code full} (docs/djl-traps.md: Number overloads of mul/div
 * free their scalar before backward reads it).
 */
public final class LlamaModel implements AutoCloseable {
  private final ModelConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params; // HF name -> tensor, insertion order = checkpoint order
  private final NDArray ropeCos; // [maxPos, headDim]
  private final NDArray ropeSin; // [maxPos, headDim], the first half negated (see rope)
  private final SplitGemv splitGemv = new SplitGemv();
  private volatile RowDecoder rowDecoder; // made on first use; dropped by a training step (the weights may change)
  private volatile DecodeDtype decodeDtype = DecodeDtype.F32;
  private Lora lora; // null: no adapters
  /** LoRA adapters by PEFT-style name without the {@code base_model.model.} prefix, e.g. {@code ...q_proj.lora_A.weight}. */
  private final Map<String, NDArray> adapters = new LinkedHashMap<>();
  private long loraSeed; // the adapters' initialisation seed, which also seeds their dropout masks
  private SplittableRandom loraDropoutDraws; // where the next dropout mask comes from (null: not started)

  private LlamaModel(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
    this.config = config;
    this.manager = manager;
    this.params = params;
    int hd = config.headDim();
    int maxPos = config.maxPositionEmbeddings();
    float[] cos = new float[maxPos * hd];
    float[] sin = new float[maxPos * hd];
    double[] invFreq = config.inverseFrequencies();
    for (int p = 0; p < maxPos; p++) {
      for (int i = 0; i < hd / 2; i++) {
        double angle = p * invFreq[i];
        // HF layout: the two halves of the head dimension share frequencies (rotate_half).
        cos[p * hd + i] = cos[p * hd + i + hd / 2] = (float) Math.cos(angle);
        sin[p * hd + i + hd / 2] = (float) Math.sin(angle);
        sin[p * hd + i] = -sin[p * hd + i + hd / 2];
      }
    }
    this.ropeCos = manager.create(cos, new Shape(maxPos, hd));
    this.ropeSin = manager.create(sin, new Shape(maxPos, hd));
  }

  /** The parameter names and shapes of a config, in checkpoint order. */
  public static Map<String, Shape> parameterShapes(ModelConfig c) {
    Map<String, Shape> s = new LinkedHashMap<>();
    int d = c.hiddenSize();
    int q = c.numAttentionHeads() * c.headDim();
    int kv = c.numKeyValueHeads() * c.headDim();
    s.put("model.embed_tokens.weight", new Shape(c.vocabSize(), d));
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".";
      s.put(p + "input_layernorm.weight", new Shape(d));
      s.put(p + "self_attn.q_proj.weight", new Shape(q, d));
      s.put(p + "self_attn.k_proj.weight", new Shape(kv, d));
      s.put(p + "self_attn.v_proj.weight", new Shape(kv, d));
      if (c.qkvBias()) {
        s.put(p + "self_attn.q_proj.bias", new Shape(q));
        s.put(p + "self_attn.k_proj.bias", new Shape(kv));
        s.put(p + "self_attn.v_proj.bias", new Shape(kv));
      }
      if (c.qkNorm()) {
        s.put(p + "self_attn.q_norm.weight", new Shape(c.headDim()));
        s.put(p + "self_attn.k_norm.weight", new Shape(c.headDim()));
      }
      s.put(p + "self_attn.o_proj.weight", new Shape(d, q));
      if (c.oBias()) {
        s.put(p + "self_attn.o_proj.bias", new Shape(d));
      }
      s.put(p + "post_attention_layernorm.weight", new Shape(d));
      if (c.sandwichNorms()) {
        s.put(p + "pre_feedforward_layernorm.weight", new Shape(d));
        s.put(p + "post_feedforward_layernorm.weight", new Shape(d));
      }
      s.put(p + "mlp.gate_proj.weight", new Shape(c.intermediateSize(), d));
      s.put(p + "mlp.up_proj.weight", new Shape(c.intermediateSize(), d));
      s.put(p + "mlp.down_proj.weight", new Shape(d, c.intermediateSize()));
    }
    s.put("model.norm.weight", new Shape(d));
    if (!c.tieWordEmbeddings()) {
      s.put("lm_head.weight", new Shape(c.vocabSize(), d));
    }
    if (c.numLabels() == 1) {
      s.put("score.weight", new Shape(1, d));
    }
    return s;
  }

  /**
   * A freshly initialised model, reproducible from {@code seed} alone: weights ~ N(0, 0.02) drawn in Java (so the
   * draw does not depend on the engine), output projections scaled by 1/sqrt(2 * layers) as in GPT-2, norm gains at
   * 1 (Gemma stores gain - 1: 0), biases at 0.
   */
  public static LlamaModel init(ModelConfig c, long seed, NDManager parent) {
    NDManager m = parent.newSubManager();
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, NDArray> p = new LinkedHashMap<>();
    double residualStd = 0.02 / Math.sqrt(2.0 * c.numHiddenLayers());
    for (Map.Entry<String, Shape> e : parameterShapes(c).entrySet()) {
      String name = e.getKey();
      Shape shape = e.getValue();
      float[] w = new float[Math.toIntExact(shape.size())];
      if (name.endsWith("norm.weight")) { // layernorms, q/k norms, the final norm
        java.util.Arrays.fill(w, c.gemma() ? 0f : 1f);
      } else if (!name.endsWith(".bias")) {
        double std = name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight") ? residualStd : 0.02;
        for (int i = 0; i < w.length; i++) {
          w[i] = (float) (gaussian(rng) * std);
        }
      }
      p.put(name, m.create(w, shape));
    }
    return new LlamaModel(c, m, p);
  }

  /** A model over given tensors (checkpoint loading); names and shapes must match {@link #parameterShapes}. */
  public static LlamaModel of(ModelConfig c, NDManager parent, Map<String, float[]> tensors) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : parameterShapes(c).entrySet()) {
      float[] data = tensors.get(e.getKey());
      if (data == null) {
        m.close();
        throw new IllegalArgumentException("missing tensor '" + e.getKey() + "'");
      }
      p.put(e.getKey(), m.create(data, e.getValue()));
    }
    return new LlamaModel(c, m, p);
  }

  /** A copy with the same weights in new tensors (e.g. DPO's frozen reference), under the same parent manager. */
  public LlamaModel copy() {
    return of(config, manager.getParentManager(), floatWeights());
  }

  /** A copy with a scalar score head ({@code num_labels = 1}, weights ~ N(0, 0.02) from {@code seed}) added. */
  public LlamaModel withScoreHead(long seed) {
    Map<String, float[]> w = floatWeights();
    float[] head = new float[config.hiddenSize()];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < head.length; i++) {
      head[i] = (float) (gaussian(rng) * 0.02);
    }
    w.put("score.weight", head);
    return of(config.withNumLabels(1), manager.getParentManager(), w);
  }

  private Map<String, float[]> floatWeights() {
    Map<String, float[]> w = new LinkedHashMap<>();
    params.forEach((k, v) -> w.put(k, v.toFloatArray()));
    return w;
  }

  private static double gaussian(SplittableRandom rng) {
    // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
  }

  public ModelConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  /** Parameters by Hugging Face name (read-only view; the arrays themselves are live). */
  public Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(params);
  }

  /** With LoRA adapters only they train (the base weights never get gradients); without, every parameter. */
  public void setRequiresGradient(boolean on) {
    params.values().forEach(a -> a.setRequiresGradient(on && lora == null));
    adapters.values().forEach(a -> a.setRequiresGradient(on));
  }

  /** What training updates: the LoRA adapters when attached, else {@link #parameters()}. */
  public Map<String, NDArray> trainableParameters() {
    return Collections.unmodifiableMap(lora == null ? params : adapters);
  }

  /** The attached LoRA configuration, or null. */
  public Lora lora() {
    return lora;
  }

  /** The LoRA adapters by name (read-only view; empty without LoRA). */
  public Map<String, NDArray> adapters() {
    return Collections.unmodifiableMap(adapters);
  }

  /**
   * Attaches LoRA adapters to every linear layer named in {@code cfg.targets()}: A [r, in] drawn as PEFT draws it
   * (kaiming-uniform, bound 1/sqrt(in)) from {@code seed}, B [out, r] zero, so the model computes what it did
   * before until B trains; or, with {@code weights}, the given adapters (PEFT names without the
   * {@code base_model.model.} prefix).
   */
  public void attachLora(Lora cfg, long seed, Map<String, float[]> weights) {
    if (lora != null) {
      throw new IllegalStateException("LoRA adapters are already attached");
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      String name = e.getKey();
      if (!name.endsWith(".weight") || !cfg.targets(name)) {
        continue;
      }
      String module = name.substring(0, name.length() - ".weight".length());
      long out = e.getValue().getShape().get(0);
      long in = e.getValue().getShape().get(1);
      float[] a = new float[Math.toIntExact(cfg.rank() * in)];
      float[] b = new float[Math.toIntExact(out * cfg.rank())];
      if (weights == null) {
        double bound = 1 / Math.sqrt(in);
        for (int i = 0; i < a.length; i++) {
          a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
      } else {
        a = require(weights, module + ".lora_A.weight", a.length);
        b = require(weights, module + ".lora_B.weight", b.length);
      }
      adapters.put(module + ".lora_A.weight", manager.create(a, new Shape(cfg.rank(), in)));
      adapters.put(module + ".lora_B.weight", manager.create(b, new Shape(out, cfg.rank())));
    }
    if (adapters.isEmpty()) {
      throw new IllegalArgumentException("no linear layer matches the LoRA targets " + cfg.targetModules());
    }
    if (weights != null && weights.size() != adapters.size()) {
      List<String> extra = weights.keySet().stream().filter(k -> !adapters.containsKey(k)).toList();
      adapters.clear();
      throw new IllegalArgumentException("adapter tensors the targets do not name: " + extra);
    }
    lora = cfg;
    loraSeed = seed;
    loraDropoutDraws = null;
  }

  /**
   * Restarts the LoRA dropout masks at micro-batch {@code microBatch} of a run: the masks of the training forwards that
   * follow are a function of the adapters' seed and {@code microBatch} alone, so a resumed run draws the ones the
   * uninterrupted run would have. Without dropout (or adapters) nothing changes.
   */
  public void startLoraDropout(long microBatch) {
    // + 1: never the very stream that drew A (seed 0, micro-batch 0)
    loraDropoutDraws = new SplittableRandom(loraSeed * 0x9E3779B97F4A7C15L + microBatch * 0xBF58476D1CE4E5B9L + 1);
  }

  private static float[] require(Map<String, float[]> w, String name, int size) {
    float[] v = w.get(name);
    if (v == null || v.length != size) {
      throw new IllegalArgumentException("adapter tensor '" + name + "' is " + (v == null ? "missing"
          : "of " + v.length + " values, expected " + size));
    }
    return v;
  }

  /** A copy without adapters whose weights are W + (alpha / r) B A: the same function in the base's layout. */
  public LlamaModel merged() {
    Map<String, float[]> w = floatWeights();
    if (lora != null) {
      for (Map.Entry<String, float[]> e : w.entrySet()) {
        String module = e.getKey().substring(0, Math.max(0, e.getKey().length() - ".weight".length()));
        NDArray a = adapters.get(module + ".lora_A.weight");
        if (a == null) {
          continue;
        }
        try (NDManager tmp = manager.newSubManager()) {
          NDArray product = adapters.get(module + ".lora_B.weight").matMul(a); // [out, in]
          product.attach(tmp);
          NDArray delta = product.mul((float) lora.scale()); // not in a graph: a Number is fine here
          float[] d = delta.toFloatArray();
          float[] base = e.getValue();
          for (int i = 0; i < base.length; i++) {
            base[i] += d[i];
          }
        }
      }
    }
    return of(config, manager.getParentManager(), w);
  }

  /** An empty cache for {@code batch} rows. */
  public KvCache emptyCache(int batch) {
    return new KvCache(new NDArray[config.numHiddenLayers()], new NDArray[config.numHiddenLayers()], null,
        new long[batch]);
  }

  /** Output of one forward call: final hidden states and the extended cache (null when none was given). */
  public record Output(NDArray hidden, KvCache cache) {}

  /**
   * What every layer of one forward call reads: the chunk's sizes, its rotary tables, the attention mask and the
   * scalar constants (arrays, not Java numbers: see the class comment).
   *
   * @param cos [B, T, 1, headDim], broadcast over heads; likewise {@code sin}, its first half negated (see {@link #rope})
   * @param mask [B, 1, T, S] additive, S = past + T
   * @param slidingMask the same for sliding-window layers ({@code mask} when the window covers every key)
   * @param gemvThreads threads a large matrix-vector product may use ({@link SplitGemv})
   */
  private record Chunk(long batch, long t, long s, NDArray cos, NDArray sin, NDArray mask, NDArray slidingMask,
      NDArray scale, NDArray eps, int gemvThreads) {}

  /**
   * Runs the decoder over a chunk of tokens.
   *
   * @param ids [B, T] int64 token ids (padding slots may hold any valid id)
   * @param valid [B, T] float, 1 for real tokens, 0 for padding; padding keys are masked out
   * @param positions [B, T] int64 rotary positions
   * @param cache earlier tokens' keys/values, or null for a plain forward pass (training, scoring)
   * @return hidden states after the final norm, [B, T, hidden]
   */
  public Output forward(NDArray ids, NDArray valid, NDArray positions, KvCache cache) {
    // A decode step's ops are mostly per-call overhead, to which OpenMP's hand-offs to more threads only add (one
    // thread decodes faster than two: docs/bench.md): such a step runs on one intra-op thread (a per-thread setting,
    // restored after) and only its large matrix-vector products use the others, through SplitGemv.
    int threads = JniUtils.getNumThreads();
    boolean narrow = threads > 1 && !Autograd.recording() && ids.size() <= SplitGemv.MAX_ROWS;
    if (narrow) {
      JniUtils.setNumThreads(1);
    }
    try {
      return forward(ids, valid, positions, cache, threads);
    } finally {
      if (narrow) {
        JniUtils.setNumThreads(threads);
      }
    }
  }

  /**
   * The plain-Java decoder (prompt prefill, sampling's decode steps) over copies of these weights, or null when this
   * model decodes in the engine only: its configuration ({@link RowDecoder#supports}), or copies that would take more
   * than half the Java heap.
   */
  public RowDecoder rowDecoder() {
    DecodeDtype dtype = decodeDtype;
    if (!RowDecoder.supports(config, lora != null)
        || config.parameterCount() * dtype.bytes() > Runtime.getRuntime().maxMemory() / 2) {
      return null;
    }
    RowDecoder d = rowDecoder;
    if (d == null || d.dtype() != dtype) {
      synchronized (this) {
        if (rowDecoder == null || rowDecoder.dtype() != dtype) {
          rowDecoder = new RowDecoder(config, params, ropeCos, ropeSin, dtype);
        }
        d = rowDecoder;
      }
    }
    return d;
  }

  /**
   * The format of the plain-Java decoder's weight copies ({@link #rowDecoder}): F32 (the default) or BF16, which
   * halves their memory and the bytes a one-row product reads; its logits differ from F32's by the weights' rounding
   * (docs/bench.md). The engine's own forward stays F32.
   */
  public void decodeIn(DecodeDtype dtype) {
    decodeDtype = java.util.Objects.requireNonNull(dtype);
  }

  private Output forward(NDArray ids, NDArray valid, NDArray positions, KvCache cache, int threads) {
    if (Autograd.recording()) {
      rowDecoder = null; // a training step: the weights are about to change
    }
    NDManager fm = ids.getManager();
    long batch = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    NDArray x = lookup(ids, params.get("model.embed_tokens.weight")); // [B, T, D]
    if (config.gemma()) { // HF rounds the normalizer to the activations' dtype first
      x = x.mul(fm.full(new Shape(), (float) Math.sqrt(config.hiddenSize())));
    }
    NDArray cos = lookup(positions, ropeCos).expandDims(2); // [B, T, 1, headDim]
    NDArray sin = lookup(positions, ropeSin).expandDims(2);
    CacheWrite write = new CacheWrite(cache, t);
    NDArray keyValid = write.keyValid(valid); // [B, S]
    NDArray mask = causalMask(keyValid, batch, write.past(), t, 0, fm); // [B, 1, T, S]
    KvCache.SharedPrefix shared = write.prefix();
    if (shared != null) { // the prefix's real slots are visible from every query: [B, 1, T, P + S]
      if (config.slidingWindow() > 0) {
        throw new IllegalArgumentException("a shared prefix is not supported with a sliding attention window");
      }
      NDArray pv = shared.cache().valid(); // [C, P]
      long p = pv.getShape().get(1);
      NDArray big = fm.full(new Shape(), 1e9f);
      NDArray rows = pv.repeat(0, shared.k()); // [B, P]
      rows.attach(fm); // made from the prefix's array, it would otherwise live as long as the prefix
      NDArray prefixMask = rows.reshape(batch, 1, 1, p).mul(big).sub(big).repeat(2, t); // [B, 1, T, P]
      mask = NDArrays.concat(new NDList(prefixMask, mask), 3);
    }
    // a window covering every key of this call changes nothing: the full mask serves the sliding layers too
    NDArray slidingMask = config.slidingWindow() > 0 && config.slidingWindow() < write.past() + t
        ? causalMask(keyValid, batch, write.past(), t, config.slidingWindow(), fm) : mask;
    NDArray scale = fm.full(new Shape(), (float) config.attentionScale());
    NDArray eps = fm.full(new Shape(), (float) config.rmsNormEps());
    KvCache next = write.nextCache(keyValid, valid);
    if (write.inPlace()) {
      keyValid.attach(fm); // the view is this call's; the buffer stays the cache's
    }
    Chunk c = new Chunk(batch, t, write.past() + t, cos, sin, mask, slidingMask, scale, eps, threads);

    // Without autograd nothing needs a layer's intermediates once the layer is done, but DJL frees an array only
    // with its manager: each layer then works in its own sub-manager (results follow their first operand, the
    // residual stream x), and only x and fresh keys/values leave it. Long prompts need one layer's memory, not all.
    boolean inference = !Autograd.recording();
    for (int l = 0; l < config.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".";
      NDManager layer = inference ? fm.newSubManager() : null;
      if (layer != null) {
        x.attach(layer);
      }
      x = x.add(attention(p, l, x, c, write, layer != null ? layer : fm)); // [B, T, D]
      x = x.add(mlp(p, x, c));
      if (layer != null) {
        x.attach(fm);
        write.keepLayer(l, layer, fm);
        layer.close();
      }
    }
    return new Output(norm(x, "model.norm.weight", eps), next);
  }

  /**
   * Additive attention mask [B, 1, T, S]: key slot s is visible from the query at slot past + t iff s <= past + t and
   * the slot holds a real token ({@code keyValid} [B, S]), and, with a {@code window} > 0, fewer than {@code window}
   * real tokens lie after it up to the query (counted over real tokens, so padding between appended chunks does not
   * shorten the window). 0 where visible, -1e9 where not (finite: no NaN on rows that are all padding).
   */
  private static NDArray causalMask(NDArray keyValid, long batch, int past, long t, int window, NDManager fm) {
    long s = past + t;
    NDArray qIdx = fm.arange(past, (int) s).reshape(t, 1);
    NDArray kIdx = fm.arange(0, (int) s).reshape(1, s);
    NDArray causal = kIdx.lte(qIdx).toType(DataType.FLOAT32, false); // [T, S]
    NDArray keyValidView = keyValid.reshape(batch, 1, 1, s);
    keyValidView.attach(fm); // keyValid may belong to the cache's manager
    NDArray visible = keyValidView.mul(causal.reshape(1, 1, t, s)); // [B, 1, T, S]
    if (window > 0) {
      NDArray count = keyValidView.reshape(batch, s).cumSum(1); // [B, S]: real tokens up to and including slot s
      NDArray queries = count.get(":, " + past + ":").reshape(batch, 1, t, 1);
      NDArray near = queries.sub(count.reshape(batch, 1, 1, s)).lt(fm.full(new Shape(), (float) window));
      visible = visible.mul(near.toType(DataType.FLOAT32, false));
    }
    NDArray big = fm.full(new Shape(), 1e9f);
    return visible.mul(big).sub(big);
  }

  /**
   * Layer {@code p}'s self-attention on the pre-norm residual stream {@code x} [B, T, D]: the update to add to it,
   * [B, T, D]. Stores the chunk's keys and values through {@code write}; {@code scratch} is the layer's manager.
   */
  private NDArray attention(String p, int l, NDArray x, Chunk c, CacheWrite write, NDManager scratch) {
    int heads = config.numAttentionHeads();
    int kvHeads = config.numKeyValueHeads();
    int hd = config.headDim();
    NDArray h = norm(x, p + "input_layernorm.weight", c.eps());
    NDArray q = linear(h, p + "self_attn.q_proj", c).reshape(c.batch(), c.t(), heads, hd); // [B, T, H, hd]
    NDArray k = linear(h, p + "self_attn.k_proj", c).reshape(c.batch(), c.t(), kvHeads, hd); // [B, T, KV, hd]
    NDArray v = linear(h, p + "self_attn.v_proj", c).reshape(c.batch(), c.t(), kvHeads, hd);
    if (config.qkNorm()) { // over each head's hd features
      q = rmsNorm(q, params.get(p + "self_attn.q_norm.weight"), c.eps());
      k = rmsNorm(k, params.get(p + "self_attn.k_norm.weight"), c.eps());
    }
    q = rope(q, c.cos(), c.sin()).transpose(0, 2, 1, 3); // [B, H, T, hd]
    k = rope(k, c.cos(), c.sin()).transpose(0, 2, 1, 3); // [B, KV, T, hd]
    v = v.transpose(0, 2, 1, 3); // [B, KV, T, hd]
    CacheWrite.KeysValues kv = write.store(l, k, v, scratch); // [B, KV, S, hd] each
    NDArray mask = config.slidingLayer(l) ? c.slidingMask() : c.mask();
    NDArray y = groupedAttention(l, q, kv, write, c, mask, scratch); // [B, T, H*hd]
    NDArray out = linear(y, p + "self_attn.o_proj", c);
    return config.sandwichNorms() ? norm(out, p + "post_attention_layernorm.weight", c.eps()) : out;
  }

  /**
   * Attention of q [B, H, T, hd] over keys/values [B, KV, S, hd] (and a shared prefix) under {@code mask}
   * [B, 1, T, S] ([B, 1, T, P + S] with a prefix): [B, T, H*hd], by {@link #attend}, all queries at once or, for long
   * chunks without autograd, a block of queries at a time.
   */
  private NDArray groupedAttention(int l, NDArray q, CacheWrite.KeysValues kv, CacheWrite write, Chunk c, NDArray mask,
      NDManager scratch) {
    long t = c.t();
    long s = c.s();
    int heads = config.numAttentionHeads();
    int hd = config.headDim();
    KvCache.SharedPrefix shared = write.prefix();
    // Without autograd, long prompts attend a block of queries at a time, each block reading only the keys up to its
    // last query: the scores of all T queries at once (B x H x T x S floats; 41 MB a layer at T = 1,135) were
    // allocated and page-faulted afresh several times per layer, and half of them are masked anyway.
    long block = Math.max(1, QUERY_BLOCK_FLOATS / (c.batch() * heads * s));
    NDArray y; // [B, H, T, hd]
    if (shared != null || Autograd.recording() || block >= t) {
      y = attend(l, q, kv.keys(), kv.values(), shared, mask, c, scratch);
    } else {
      NDList blocks = new NDList();
      for (long a = 0; a < t; a += block) {
        long b = Math.min(t, a + block);
        long keys = s - t + b; // the block's last query, at slot past + b - 1, sees slots < past + b
        NDArray qb = q.get(new NDIndex(":, :, {}:{}, :", a, b));
        NDArray kb = kv.keys().get(new NDIndex(":, :, :{}, :", keys));
        NDArray vb = kv.values().get(new NDIndex(":, :, :{}, :", keys));
        NDArray mb = mask.get(new NDIndex(":, :, {}:{}, :{}", a, b, keys));
        kb.attach(scratch);
        vb.attach(scratch);
        mb.attach(scratch);
        blocks.add(attend(l, qb, kb, vb, null, mb, c, scratch));
      }
      y = NDArrays.concat(blocks, 2);
    }
    return y.transpose(0, 2, 1, 3).reshape(c.batch(), t, (long) heads * hd); // [B, T, H*hd]
  }

  /** Query-block size of {@link #groupedAttention}: at most this many score floats (8 MB) per block. */
  private static final long QUERY_BLOCK_FLOATS = 1 << 21;

  /**
   * softmax(q k^T / sqrt(hd) + mask) v for q [B, H, Tq, hd] over keys/values [B, KV, Sk, hd] with {@code mask}
   * [B, 1, Tq, P + Sk]: [B, H, Tq, hd]. GQA without materialising repeat_kv: the G = H / KV query heads that share
   * key/value head j are stacked along the query axis (head h = j * G + g, as in HF's repeat_interleave), so each
   * key/value head is read once. With a shared prefix ([C, KV, P, hd], see {@link KvCache#sharing}) the K rows of
   * each prefix row are stacked the same way to read its keys and values once; its P slots come first in the scores
   * and the mask. Without autograd the scores are scaled and masked in place.
   */
  private NDArray attend(int l, NDArray q, NDArray keys, NDArray values, KvCache.SharedPrefix shared, NDArray mask,
      Chunk c, NDManager scratch) {
    int heads = config.numAttentionHeads();
    int kvHeads = config.numKeyValueHeads();
    int hd = config.headDim();
    long batch = c.batch();
    long t = q.getShape().get(2);
    long s = keys.getShape().get(2);
    int g = heads / kvHeads;
    NDArray kT = keys.transpose(0, 1, 3, 2); // [B, KV, hd, S]
    // With a cache the keys live in the cache's manager, and so would anything derived from them: without this
    // move every decode step would leak a copy of the cache until the generation ends.
    kT.attach(scratch);
    NDArray qg = q.reshape(batch, kvHeads, (long) g * t, hd); // [B, KV, G*T, hd]
    NDArray scores = qg.matMul(kT); // [B, KV, G*T, S]
    long p = shared == null ? 0 : shared.cache().keys()[l].getShape().get(2);
    if (shared != null) { // each prefix row's keys read once for its K rows: [B, KV, G*T, P + S]
      NDArray pkT = shared.cache().keys()[l].transpose(0, 1, 3, 2); // [C, KV, hd, P]
      pkT.attach(scratch);
      NDArray sp = fromPrefixRows(toPrefixRows(qg, shared.k()).matMul(pkT), shared.k()); // [B, KV, G*T, P]
      scores = NDArrays.concat(new NDList(sp, scores), 3);
    }
    long all = p + s;
    boolean inPlace = !Autograd.recording() && config.attnLogitSoftcapping() <= 0;
    NDArray logits = (inPlace ? scores.muli(c.scale()) : softcap(scores.mul(c.scale()), config.attnLogitSoftcapping()))
        .reshape(batch, kvHeads, g, t, all);
    NDArray m = mask.reshape(batch, 1, 1, t, all);
    NDArray att = (inPlace ? logits.addi(m) : logits.add(m)).softmax(4).reshape(batch, kvHeads, (long) g * t, all);
    NDArray y; // [B, KV, G*T, hd]
    if (shared == null) {
      y = att.matMul(values);
    } else {
      NDList parts = att.split(new long[] {p}, 3);
      NDArray pv = shared.cache().values()[l]; // [C, KV, P, hd]
      y = fromPrefixRows(toPrefixRows(parts.get(0), shared.k()).matMul(pv), shared.k())
          .add(parts.get(1).matMul(values));
    }
    return y.reshape(batch, heads, t, hd);
  }

  /** [C*K, KV, N, X] -> [C, KV, K*N, X]: the K rows of a prefix row side by side, to multiply by its keys once. */
  private static NDArray toPrefixRows(NDArray a, int k) {
    Shape sh = a.getShape();
    long c = sh.get(0) / k;
    return a.reshape(c, k, sh.get(1), sh.get(2), sh.get(3)).transpose(0, 2, 1, 3, 4)
        .reshape(c, sh.get(1), k * sh.get(2), sh.get(3));
  }

  /** The inverse of {@link #toPrefixRows}: [C, KV, K*N, X] -> [C*K, KV, N, X]. */
  private static NDArray fromPrefixRows(NDArray a, int k) {
    Shape sh = a.getShape();
    long n = sh.get(2) / k;
    return a.reshape(sh.get(0), sh.get(1), k, n, sh.get(3)).transpose(0, 2, 1, 3, 4)
        .reshape(sh.get(0) * k, sh.get(1), n, sh.get(3));
  }

  /**
   * Layer {@code p}'s gated MLP on the pre-norm residual stream {@code x} [B, T, D]: the update, [B, T, D]. SwiGLU,
   * or for Gemma GeGLU with tanh-approximated GELU; Gemma2 norms before (its own norm) and after.
   */
  private NDArray mlp(String p, NDArray x, Chunk c) {
    NDArray h = norm(x, p + (config.sandwichNorms() ? "pre_feedforward_layernorm" : "post_attention_layernorm")
        + ".weight", c.eps());
    NDArray gate = linear(h, p + "mlp.gate_proj", c); // [B, T, I]
    NDArray up = linear(h, p + "mlp.up_proj", c);
    NDArray act = (config.gemma() ? geluTanh(gate) : gate.mul(gate.getNDArrayInternal().sigmoid())).mul(up);
    NDArray out = linear(act, p + "mlp.down_proj", c);
    return config.sandwichNorms() ? norm(out, p + "post_feedforward_layernorm.weight", c.eps()) : out;
  }

  /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), PyTorch's gelu(approximate="tanh"). */
  private static NDArray geluTanh(NDArray x) {
    NDManager m = x.getManager();
    NDArray inner = x.mul(x).mul(x).mul(m.full(new Shape(), 0.044715f)).add(x)
        .mul(m.full(new Shape(), (float) Math.sqrt(2 / Math.PI)));
    return x.mul(inner.tanh().add(m.full(new Shape(), 1f))).mul(m.full(new Shape(), 0.5f));
  }

  /** cap * tanh(x / cap); x itself when cap is 0 (no soft-capping). */
  private static NDArray softcap(NDArray x, double cap) {
    if (cap <= 0) {
      return x;
    }
    NDArray c = x.getManager().full(new Shape(), (float) cap);
    return x.div(c).tanh().mul(c);
  }

  /** Rows of {@code table} [N, E] at {@code idx} [B, T] (int64): [B, T, E]. */
  private static NDArray lookup(NDArray idx, NDArray table) {
    return idx.getNDArrayInternal().embedding(idx, table, SparseFormat.DENSE).singletonOrThrow();
  }

  /**
   * Appends token rows of different lengths to a cache: rows are right-aligned (left-padded with masked slots), and
   * each row's positions continue from where that row stopped. Prefill, decode steps and label scoring all use this.
   * A prefill (an empty cache) runs in plain Java when the model has a {@link #rowDecoder} (issue #23: its products
   * ran at 1.5-2x libtorch's rate on prefill-sized blocks); the same maths, summed in another order.
   */
  public Output append(KvCache cache, List<int[]> rows, int padId, NDManager mgr) {
    RowDecoder d = cache.length() == 0 && cache.prefix() == null && !Autograd.recording() && inTables(rows, cache)
        ? rowDecoder() : null;
    if (d != null) {
      return d.prefill(rows, cache.nextPosition(), mgr);
    }
    TokenBatch tb = TokenBatch.leftPadded(rows, padId, cache.nextPosition(), mgr);
    return forward(tb.ids(), tb.valid(), tb.positions(), cache);
  }

  /** Whether every id is in the vocabulary and every position in the rotary table (else the engine says what fails). */
  private boolean inTables(List<int[]> rows, KvCache cache) {
    for (int r = 0; r < rows.size(); r++) {
      long from = cache.nextPosition()[r];
      if (from < 0 || from + rows.get(r).length > config.maxPositionEmbeddings()) {
        return false;
      }
      for (int id : rows.get(r)) {
        if (id < 0 || id >= config.vocabSize()) {
          return false;
        }
      }
    }
    return true;
  }

  /** Next-token logits, [B, T, vocab] (Gemma2: soft-capped). */
  public NDArray logits(NDArray hidden) {
    NDArray head = config.tieWordEmbeddings() ? params.get("model.embed_tokens.weight") : params.get("lm_head.weight");
    return softcap(plainLinear(hidden, head, null, JniUtils.getNumThreads()), config.finalLogitSoftcapping());
  }

  /** The scalar score head's logit, [B, T] (discriminative reward models). */
  public NDArray scoreLogits(NDArray hidden) {
    NDArray w = params.get("score.weight");
    if (w == null) {
      throw new IllegalStateException("this model has no score head (num_labels = 0)");
    }
    return hidden.getNDArrayInternal().linear(hidden, w, null).singletonOrThrow().squeeze(2);
  }

  /**
   * x [.., in] times weight [out, in]^T (+ bias): [.., out]; a decode step's large products on {@code threads}
   * threads.
   */
  private NDArray plainLinear(NDArray x, NDArray weight, NDArray bias, int threads) {
    NDArray split = splitGemv.linear(x, weight, bias, threads);
    return split != null ? split : x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
  }

  private NDArray linear(NDArray x, String prefix, Chunk c) {
    NDArray y = plainLinear(x, params.get(prefix + ".weight"), params.get(prefix + ".bias"), c.gemvThreads());
    NDArray a = lora == null ? null : adapters.get(prefix + ".lora_A.weight");
    if (a == null) {
      return y;
    }
    // PEFT's lora_dropout acts on the adapter's input only, and only while training (recording for backward)
    NDArray in = lora.dropout() > 0 && Autograd.recording() ? x.mul(loraDropoutMask(x)) : x;
    NDArray down = in.getNDArrayInternal().linear(in, a, null).singletonOrThrow(); // [.., r]
    NDArray up = down.getNDArrayInternal().linear(down, adapters.get(prefix + ".lora_B.weight"), null)
        .singletonOrThrow(); // [.., out]
    return y.add(up.mul(x.getManager().full(new Shape(), (float) lora.scale())));
  }

  /**
   * Inverted dropout's mask for {@code x} (as PyTorch's Dropout): each entry 0 with probability p, else 1 / (1 - p),
   * drawn in Java so that the masks follow the seed whatever the engine.
   */
  private NDArray loraDropoutMask(NDArray x) {
    if (loraDropoutDraws == null) {
      startLoraDropout(0);
    }
    double p = lora.dropout();
    float kept = (float) (1 / (1 - p));
    float[] mask = new float[Math.toIntExact(x.size())];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = loraDropoutDraws.nextDouble() < p ? 0f : kept;
    }
    return x.getManager().create(mask, x.getShape());
  }

  /** The RMSNorm {@code name}: gain w, or for Gemma (1 + w), which it stores. */
  private NDArray norm(NDArray x, String name, NDArray eps) {
    if (!config.gemma()) {
      return rmsNorm(x, params.get(name), eps);
    }
    NDArray n = rmsNorm(x, null, eps);
    return n.mul(params.get(name)).add(n); // n (1 + w), activations first (see the class comment)
  }

  /** x * rsqrt(mean(x^2) + eps) * weight (none when null), over the last axis. */
  private static NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
    NDArray ms = x.square().mean(new int[] {-1}, true);
    NDArray n = x.div(ms.add(eps).sqrt());
    return weight == null ? n : n.mul(weight);
  }

  /**
   * Rotate-half RoPE on [B, T, heads, hd] with cos/sin [B, T, 1, hd]: x cos + concat(-x2, x1) sin, computed as
   * x cos + concat(x2, x1) sin' with the sign in the first half of sin' (the same floats, one op fewer: a decode
   * step's ops are mostly per-call overhead).
   */
  private static NDArray rope(NDArray x, NDArray cos, NDArray sinSigned) {
    long hd = x.getShape().get(3);
    NDList halves = x.split(new long[] {hd / 2}, 3);
    NDArray swapped = NDArrays.concat(new NDList(halves.get(1), halves.get(0)), 3);
    return x.mul(cos).add(swapped.mul(sinSigned));
  }

  @Override
  public void close() {
    manager.close();
  }
}
