package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prompt prefill and decode steps of one or more sequences in plain Java, over float copies of the weights (issue
 * #23). A prefill multiplies all its prompts' tokens by each weight at once ({@link #prefill}). An engine step
 * of a few rows is ~60 small calls a layer at 5-8 us each and skinny products (32 rows by a weight matrix ran at
 * 47-102 GFLOP/s in libtorch, docs/bench.md); here a step is a few loops a layer, its products over weights packed in
 * panels ({@link PanelMatrix}, {@link Kernels}) and split over the intra-op threads. K samples of one prompt fork one
 * prefix {@link State}: they read its keys and values once per step, all their query heads against its keys in one
 * product. The same maths as {@link LlamaModel#forward} for the plain Llama family (optionally with q/k/v biases, an
 * o bias, per-head q/k norms); other configurations ({@link #supports}) decode in the engine. Sums run in another
 * order, so logits agree with the engine's to float rounding, not bit for bit.
 *
 * <p>The copies add the weights' memory again while the decoder lives (half of it in {@link DecodeDtype#BF16}, whose
 * products sum the weights rounded to BF16; a tied embedding is read from the packed head, not copied twice);
 * {@link LlamaModel} makes one on the first decode and drops it when a training step may change the weights.
 */
public final class RowDecoder {
  private final ModelConfig c;
  private final DecodeDtype dtype;
  private final float[] embed; // [V, D]; null when tied: rows are read from the head
  private final PanelMatrix head; // [V, D]
  private final float[] finalNorm; // [D]
  private final float[] cos; // [maxPos, hd]
  private final float[] sin; // [maxPos, hd], the first half negated (as LlamaModel's table)
  private final Layer[] layers;

  /**
   * One layer's weights, [out, in] in panels; q, k and v as one matrix of H*hd + 2*KV*hd rows (likewise gate and up),
   * so a step makes four products a layer. Biases and q/k norms are null when the model has none.
   */
  private record Layer(float[] inputNorm, PanelMatrix qkv, float[] qkvBias, float[] qNorm, float[] kNorm,
      PanelMatrix o, float[] oBias, float[] postNorm, PanelMatrix gateUp, PanelMatrix down) {}

  /** Whether {@code model} decodes here: the plain Llama family, no adapters, nothing soft-capped or windowed. */
  static boolean supports(ModelConfig c, boolean hasAdapters) {
    return !hasAdapters && !c.gemma() && !c.sandwichNorms() && c.attnLogitSoftcapping() <= 0
        && c.finalLogitSoftcapping() <= 0
        && (c.slidingWindow() <= 0 || c.slidingWindow() >= c.maxPositionEmbeddings());
  }

  RowDecoder(ModelConfig c, Map<String, NDArray> params, NDArray ropeCos, NDArray ropeSin, DecodeDtype dtype) {
    Kernels.warmUp();
    this.c = c;
    this.dtype = dtype;
    embed = c.tieWordEmbeddings() ? null : params.get("model.embed_tokens.weight").toFloatArray();
    head = panels(params, dtype, c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
    finalNorm = params.get("model.norm.weight").toFloatArray();
    cos = ropeCos.toFloatArray();
    sin = ropeSin.toFloatArray();
    layers = new Layer[c.numHiddenLayers()];
    for (int l = 0; l < layers.length; l++) {
      String p = "model.layers." + l + ".";
      String a = p + "self_attn.";
      layers[l] = new Layer(floats(params, p + "input_layernorm.weight"),
          panels(params, dtype, a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"),
          c.qkvBias() ? concat(params, a + "q_proj.bias", a + "k_proj.bias", a + "v_proj.bias") : null,
          floats(params, a + "q_norm.weight"), floats(params, a + "k_norm.weight"),
          panels(params, dtype, a + "o_proj.weight"),
          floats(params, a + "o_proj.bias"), floats(params, p + "post_attention_layernorm.weight"),
          panels(params, dtype, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"),
          panels(params, dtype, p + "mlp.down_proj.weight"));
    }
  }

  private static float[] floats(Map<String, NDArray> params, String name) {
    NDArray a = params.get(name);
    return a == null ? null : a.toFloatArray();
  }

  /** The named [out_i, n] tensors' rows one after another, packed in {@code dtype}. */
  private static PanelMatrix panels(Map<String, NDArray> params, DecodeDtype dtype, String... names) {
    List<NDArray> parts = new ArrayList<>();
    for (String name : names) {
      parts.add(params.get(name));
    }
    return PanelMatrix.of(parts, dtype);
  }

  /** The format of the weight copies. */
  public DecodeDtype dtype() {
    return dtype;
  }

  /** The named tensors' floats one after another, read straight into one array (no per-tensor copy to discard). */
  private static float[] concat(Map<String, NDArray> params, String... names) {
    long n = 0;
    for (String name : names) {
      n += params.get(name).size();
    }
    float[] out = new float[Math.toIntExact(n)];
    int at = 0;
    for (String name : names) {
      NDArray a = params.get(name);
      a.toByteBuffer().asFloatBuffer().get(out, at, (int) a.size());
      at += (int) a.size();
    }
    return out;
  }

  /**
   * A sequence's keys and values (rotated keys, as the engine's cache holds them): layer l's keys at
   * [kvHead][slot][hd], room for {@code capacity} slots, doubled when full. A state may read a {@code prefix} state's
   * slots before its own: K samples of one prompt read its keys and values once (the prefix is never written).
   */
  public final class State {
    private final State prefix;
    private float[][] keys;
    private float[][] values;
    private int capacity;
    private int length;
    private float[][] keysByDim; // layer l's keys at [kvHead][dim][slot], byDimStride slots a row
    private int byDimStride;
    private int[] byDimLength; // layer l's slots made so far

    State(int capacity, State prefix) {
      this.prefix = prefix;
      this.capacity = Math.max(1, capacity);
      int size = c.numKeyValueHeads() * this.capacity * c.headDim();
      keys = new float[c.numHiddenLayers()][size];
      values = new float[c.numHiddenLayers()][size];
    }

    /** Slots this state holds, its prefix's included. */
    public int length() {
      return (prefix == null ? 0 : prefix.length) + length;
    }

    /**
     * Layer l's keys laid out [kvHead][dim][slot] in rows of {@link #byDimStride} slots, made up to slot {@code upTo}
     * (only the slots not made before are copied), so the scores of many queries come out of plain multiply-adds, a
     * vector of slots at a time, with no sums across lanes to reduce (over head dimensions of 64 those reductions
     * cost more than the products). Read by K votes of a prompt (as their prefix) and by a prefill's query blocks.
     */
    private float[] keysByDim(int l, int upTo) {
      if (keysByDim != null && upTo <= byDimLength[l]) {
        return keysByDim[l]; // made already: K votes of a prompt ask once each a step
      }
      int hd = c.headDim();
      int kv = c.numKeyValueHeads();
      if (keysByDim == null || upTo > byDimStride) {
        int stride = Math.max(upTo, capacity);
        float[][] grown = new float[keys.length][kv * hd * stride];
        for (int layer = 0; keysByDim != null && layer < keys.length; layer++) {
          for (int row = 0; row < kv * hd; row++) {
            System.arraycopy(keysByDim[layer], row * byDimStride, grown[layer], row * stride, byDimLength[layer]);
          }
        }
        byDimLength = byDimLength == null ? new int[keys.length] : byDimLength;
        keysByDim = grown;
        byDimStride = stride;
      }
      float[] out = keysByDim[l];
      for (int g = 0; g < kv; g++) {
        for (int j = 0; j < hd; j++) {
          int row = (g * hd + j) * byDimStride;
          for (int t = byDimLength[l]; t < upTo; t++) {
            out[row + t] = keys[l][(g * capacity + t) * hd + j];
          }
        }
      }
      byDimLength[l] = Math.max(byDimLength[l], upTo);
      return out;
    }

    /** Room for {@code more} more slots: the capacity doubled, or more if that is not enough. */
    private void makeRoom(int more) {
      if (length + more <= capacity) {
        return;
      }
      int to = Math.max(2 * capacity, length + more);
      int hd = c.headDim();
      for (int l = 0; l < keys.length; l++) {
        keys[l] = moved(keys[l], capacity, to, hd);
        values[l] = moved(values[l], capacity, to, hd);
      }
      capacity = to;
    }

    /** Each key/value head's slots copied from rows of {@code from} slots to rows of {@code to}. */
    private float[] moved(float[] a, int from, int to, int hd) {
      float[] b = new float[c.numKeyValueHeads() * to * hd];
      for (int g = 0; g < c.numKeyValueHeads(); g++) {
        System.arraycopy(a, g * from * hd, b, g * to * hd, length * hd);
      }
      return b;
    }
  }

  /**
   * One state per row of an engine cache that shares no prefix (keys/values [B, KV, S, hd]): the row's real slots in
   * order, its padding left out (a masked slot adds nothing to attention).
   */
  public List<State> fromCache(KvCache cache) {
    if (cache.prefix() != null) {
      throw new IllegalArgumentException("a cache that shares a prefix: read the prefix's states and fork them");
    }
    int b = cache.batchSize();
    int slots = cache.length();
    int stored = cache.capacity(); // a reserved cache's buffers are longer than its length
    float[] valid = cache.valid() == null ? null : cache.valid().toFloatArray(); // [B, stored]
    List<State> states = new ArrayList<>();
    int[][] real = new int[b][];
    for (int r = 0; r < b; r++) {
      int row = r;
      real[r] = java.util.stream.IntStream.range(0, slots)
          .filter(t -> valid == null || valid[row * stored + t] == 1f).toArray();
      states.add(new State(real[r].length, null));
    }
    int hd = c.headDim();
    int kv = c.numKeyValueHeads();
    for (int l = 0; l < layers.length; l++) {
      float[] k = cache.keys()[l].toFloatArray();
      float[] v = cache.values()[l].toFloatArray();
      for (int r = 0; r < b; r++) {
        State st = states.get(r);
        for (int g = 0; g < kv; g++) {
          for (int i = 0; i < real[r].length; i++) {
            int from = ((r * kv + g) * stored + real[r][i]) * hd;
            int to = (g * st.capacity + i) * hd;
            System.arraycopy(k, from, st.keys[l], to, hd);
            System.arraycopy(v, from, st.values[l], to, hd);
          }
        }
      }
    }
    for (int r = 0; r < b; r++) {
      states.get(r).length = real[r].length;
    }
    return states;
  }

  /**
   * An engine cache of what {@code states} hold after their prefixes, which were read from {@code prompts} (state r's
   * from row r / k): row r's own slots, shorter rows padded and masked, with {@code prompts} as the shared prefix and
   * each row continuing at {@code nextPosition[r]}; so the engine can go on from where plain-Java sampling stopped
   * (GenRM-CoT reads p(Yes) after its rationales). The arrays are made in {@code mgr}; {@code prompts} is not copied.
   */
  public KvCache toCache(List<State> states, KvCache prompts, int k, long[] nextPosition, NDManager mgr) {
    KvCache shared = KvCache.sharing(prompts, k).continuingAt(nextPosition);
    int slots = states.stream().mapToInt(st -> st.length).max().orElse(0);
    if (slots == 0) {
      return shared;
    }
    int b = states.size();
    float[] valid = new float[b * slots];
    for (int r = 0; r < b; r++) {
      java.util.Arrays.fill(valid, r * slots, r * slots + states.get(r).length, 1f);
    }
    NDArray[][] kv = engineArrays(states, slots, new int[b], mgr);
    return new KvCache(kv[0], kv[1], mgr.create(valid, new Shape(b, slots)), shared.nextPosition(), -1,
        shared.prefix());
  }

  /**
   * Each layer's keys ([0]) and values ([1]) of the states' own slots as engine arrays [B, KV, slots, hd], state r's
   * at columns [at[r], at[r] + its length), the rest zeros.
   */
  private NDArray[][] engineArrays(List<State> states, int slots, int[] at, NDManager mgr) {
    int b = states.size();
    int kv = c.numKeyValueHeads();
    int hd = c.headDim();
    NDArray[][] out = new NDArray[2][layers.length];
    Shape shape = new Shape(b, kv, slots, hd);
    for (int l = 0; l < layers.length; l++) {
      float[] k = new float[b * kv * slots * hd];
      float[] v = new float[k.length];
      for (int r = 0; r < b; r++) {
        State st = states.get(r);
        for (int g = 0; g < kv; g++) {
          int to = ((r * kv + g) * slots + at[r]) * hd;
          System.arraycopy(st.keys[l], g * st.capacity * hd, k, to, st.length * hd);
          System.arraycopy(st.values[l], g * st.capacity * hd, v, to, st.length * hd);
        }
      }
      out[0][l] = mgr.create(k, shape);
      out[1][l] = mgr.create(v, shape);
    }
    return out;
  }

  /**
   * Prompt prefill in plain Java, as {@link LlamaModel#append} to an empty cache would encode it in the engine: row r
   * at positions start[r], start[r] + 1, ...; returns the final hidden states [B, T, D] and the cache [B, KV, T, hd],
   * both left-padded to the longest row T (padding masked; its hidden states are zeros), made in {@code mgr}. The
   * products run over every row's tokens at once, in chunks of at most {@link #PREFILL_CHUNK} tokens.
   */
  LlamaModel.Output prefill(List<int[]> rows, long[] start, NDManager mgr) {
    int b = rows.size();
    int t = Math.max(1, rows.stream().mapToInt(r -> r.length).max().orElse(0));
    int d = d();
    List<State> states = new ArrayList<>();
    List<int[]> positions = new ArrayList<>();
    for (int r = 0; r < b; r++) {
      states.add(new State(rows.get(r).length, null));
      int from = Math.toIntExact(start[r]);
      positions.add(java.util.stream.IntStream.range(from, from + rows.get(r).length).toArray());
    }
    float[] fed = feed(states, rows, positions, JniUtils.getNumThreads()); // [sum of lengths, D]
    float[] hidden = new float[b * t * d];
    float[] valid = new float[b * t];
    long[] next = new long[b];
    int[] first = new int[b]; // each row's first column: rows end at the last
    for (int r = 0, at = 0; r < b; r++) {
      int len = rows.get(r).length;
      first[r] = t - len;
      System.arraycopy(fed, at * d, hidden, (r * t + first[r]) * d, len * d);
      java.util.Arrays.fill(valid, r * t + first[r], (r + 1) * t, 1f);
      next[r] = start[r] + len;
      at += len;
    }
    NDArray[][] kv = engineArrays(states, t, first, mgr);
    KvCache cache = new KvCache(kv[0], kv[1], mgr.create(valid, new Shape(b, t)), next);
    return new LlamaModel.Output(mgr.create(hidden, new Shape(b, t, d)), cache);
  }

  /** Tokens a prefill chunk feeds at most: its activations stay a few MB whatever the prompts' lengths. */
  static final int PREFILL_CHUNK = 512;

  /**
   * A prefill chunk's rows [row, row + count): tokens ids[from, from + count) of one sequence, fed to its state at
   * positions[from ..].
   */
  private record Segment(State state, int[] ids, int[] positions, int from, int row, int count) {
    int position(int i) {
      return positions[from + i];
    }
  }

  /**
   * Feeds {@code tokens.get(i)} to {@code states.get(i)} at {@code positions.get(i)}, every state's tokens after its
   * slots so far: the final hidden states (after the last norm) of all tokens, state after state, [sum, D]. The
   * states read no prefix.
   */
  float[] feed(List<State> states, List<int[]> tokens, List<int[]> positions, int threads) {
    if (states.stream().anyMatch(st -> st.prefix != null)) {
      throw new IllegalArgumentException("a prefill feeds states of their own, not forks of a prefix");
    }
    int d = d();
    int total = tokens.stream().mapToInt(a -> a.length).sum();
    float[] hidden = new float[total * d];
    int done = 0;
    int seq = 0;
    int from = 0; // the next token of sequence seq
    while (done < total) {
      List<Segment> segments = new ArrayList<>();
      int n = 0;
      while (n < PREFILL_CHUNK && seq < tokens.size()) {
        int[] ids = tokens.get(seq);
        int count = Math.min(PREFILL_CHUNK - n, ids.length - from);
        if (count > 0) {
          segments.add(new Segment(states.get(seq), ids, positions.get(seq), from, n, count));
          n += count;
          from += count;
        }
        if (from == ids.length) {
          seq++;
          from = 0;
        }
      }
      feedChunk(segments, n, hidden, done * d, threads);
      done += n;
    }
    return hidden;
  }

  /** One chunk of {@link #feed}: its n tokens through every layer, their final hidden states to out[outAt ..]. */
  private void feedChunk(List<Segment> segments, int n, float[] out, int outAt, int threads) {
    int d = d();
    float[] x = new float[n * d]; // [n, D]
    for (Segment sg : segments) {
      sg.state.makeRoom(sg.count);
      for (int i = 0; i < sg.count; i++) {
        int token = sg.ids[sg.from + i];
        if (embed == null) {
          head.row(token, x, (sg.row + i) * d);
        } else {
          System.arraycopy(embed, token * d, x, (sg.row + i) * d, d);
        }
      }
    }
    for (int l = 0; l < layers.length; l++) {
      prefillAttention(l, x, segments, n, threads);
      mlp(layers[l], x, n, threads);
    }
    System.arraycopy(rmsNorm(x, n, finalNorm), 0, out, outAt, n * d);
    for (Segment sg : segments) {
      sg.state.length += sg.count;
    }
  }

  /**
   * x += attention of layer l for a prefill chunk: each segment's tokens over their state's earlier slots and each
   * other, causally; a unit of work is one segment's key/value head.
   */
  private void prefillAttention(int l, float[] x, List<Segment> segments, int n, int threads) {
    Layer w = layers[l];
    int heads = c.numAttentionHeads();
    int kvHeads = c.numKeyValueHeads();
    int hd = c.headDim();
    int width = qkvWidth();
    float[] qkv = qkv(w, x, n, threads);
    List<int[]> units = new ArrayList<>(); // {segment, key/value head}
    for (int i = 0; i < segments.size(); i++) {
      Segment sg = segments.get(i);
      for (int r = 0; r < sg.count; r++) {
        rotateAndStore(w, l, qkv, (sg.row + r) * width, sg.position(r), sg.state, sg.state.length + r);
      }
      sg.state.keysByDim(l, sg.state.length + sg.count); // before the threads read them
      for (int g = 0; g < kvHeads; g++) {
        units.add(new int[] {i, g});
      }
    }
    float[] y = new float[n * heads * hd]; // [n, H, hd]
    inParts(units, threads, u -> attendCausal(l, qkv, width, segments.get(u[0]), u[1], y));
    addProjected(w, y, x, n, threads);
  }

  /** Query tokens of a segment taken together by {@link #attendCausal}: their scores stay in a few hundred KB. */
  private static final int QUERY_BLOCK = 32;

  /**
   * A segment's query heads that read key/value head g, in blocks of {@link #QUERY_BLOCK} tokens: each block's
   * scores against the slots up to its last token in one product, each query's softmax over the slots up to its own
   * token (the rest set to 0), then its weighted values.
   */
  private void attendCausal(int l, float[] qkv, int width, Segment sg, int g, float[] y) {
    int heads = c.numAttentionHeads();
    int group = heads / c.numKeyValueHeads();
    int hd = c.headDim();
    float scale = (float) c.attentionScale();
    State st = sg.state;
    int past = st.length;
    int stride = st.byDimStride;
    for (int b0 = 0; b0 < sg.count; b0 += QUERY_BLOCK) {
      int m = Math.min(QUERY_BLOCK, sg.count - b0);
      int n = m * group; // query heads, token by token
      int s = past + b0 + m; // the slots the block's last token reads
      float[] q = new float[n * hd];
      for (int i = 0; i < n; i++) {
        System.arraycopy(qkv, (sg.row + b0 + i / group) * width + (g * group + i % group) * hd, q, i * hd, hd);
      }
      float[] scores = new float[n * s];
      Kernels.byDimProducts(st.keysByDim[l], g * hd * stride, s, stride, q, n, hd, scores);
      for (int i = 0; i < n; i++) {
        int visible = past + b0 + i / group + 1;
        softmax(scores, i * s, visible, NO_SCORES, scale);
        java.util.Arrays.fill(scores, i * s + visible, (i + 1) * s, 0f);
      }
      float[] out = new float[n * hd];
      Kernels.weightedValues(scores, s, n, st.values[l], g * st.capacity * hd, hd, out);
      for (int i = 0; i < n; i++) {
        int token = sg.row + b0 + i / group;
        System.arraycopy(out, i * hd, y, (token * heads + g * group + i % group) * hd, hd);
      }
    }
  }

  private static final float[] NO_SCORES = new float[0];

  /** A new, empty state that reads {@code prefix}'s slots before its own (never writing them). */
  public State fork(State prefix) {
    return new State(64, prefix);
  }

  /**
   * Feeds row r's {@code tokens[r]} at rotary position {@code positions[r]} to {@code states.get(r)}: the next-token
   * logits of every row, [B, V] row-major, written to {@code logits} (at least B x V long; null: a new array, which
   * is returned); the products on as many threads as the engine's intra-op setting. A row's logits do not depend on
   * the other rows or the thread count.
   */
  public float[] step(List<State> states, int[] tokens, int[] positions, float[] logits) {
    return step(states, tokens, positions, logits, JniUtils.getNumThreads());
  }

  float[] step(List<State> states, int[] tokens, int[] positions, float[] logits, int threads) {
    int b = states.size();
    int d = d();
    float[] x = new float[b * d]; // [B, D]
    for (int r = 0; r < b; r++) {
      State st = states.get(r);
      st.makeRoom(1);
      for (int l = 0; st.prefix != null && l < layers.length; l++) {
        st.prefix.keysByDim(l, st.prefix.length); // made here, once, before the threads read them
      }
      if (embed == null) {
        head.row(tokens[r], x, r * d);
      } else {
        System.arraycopy(embed, tokens[r] * d, x, r * d, d);
      }
    }
    // made once a step: their score buffers serve every layer
    int kv = c.numKeyValueHeads();
    List<AttentionUnit> units = AttentionUnit.of(states, kv, c.numAttentionHeads() / kv);
    for (int l = 0; l < layers.length; l++) {
      attention(l, x, states, units, positions, threads);
      mlp(layers[l], x, b, threads);
    }
    logits = logits == null ? new float[b * c.vocabSize()] : logits;
    Kernels.matmul(head, rmsNorm(x, b, finalNorm), b, logits, threads);
    for (State st : states) {
      st.length++;
    }
    return logits;
  }

  /** x += attention of layer l for each row over its state and this token (whose keys/values take its next slot). */
  private void attention(int l, float[] x, List<State> states, List<AttentionUnit> units, int[] positions,
      int threads) {
    Layer w = layers[l];
    int b = states.size();
    int width = qkvWidth();
    float[] qkv = qkv(w, x, b, threads);
    for (int r = 0; r < b; r++) {
      State st = states.get(r);
      rotateAndStore(w, l, qkv, r * width, positions[r], st, st.length);
    }
    float[] y = new float[b * c.numAttentionHeads() * c.headDim()]; // [B, H, hd]
    inParts(units, threads, u -> attend(l, qkv, width, states, u, y));
    addProjected(w, y, x, b, threads);
  }

  /** A token's fused q/k/v product: q [H, hd], k [KV, hd], v [KV, hd]. */
  private int qkvWidth() {
    return (c.numAttentionHeads() + 2 * c.numKeyValueHeads()) * c.headDim();
  }

  /** The fused q/k/v product of x's b rows after the layer's input norm, [b, qkvWidth]. */
  private float[] qkv(Layer w, float[] x, int b, int threads) {
    float[] qkv = new float[b * qkvWidth()];
    Kernels.matmul(w.qkv, rmsNorm(x, b, w.inputNorm), b, qkv, threads);
    return qkv;
  }

  /** Each unit given to {@code work}, a unit per take over the threads. */
  private static <T> void inParts(List<T> units, int threads, java.util.function.Consumer<T> work) {
    if (threads < 2) {
      units.forEach(work);
    } else {
      SpinTeam.shared().run(units.size(), threads, p -> work.accept(units.get(p)));
    }
  }

  /** x += the output projection (and bias) of attention's y [b, H * hd]. */
  private void addProjected(Layer w, float[] y, float[] x, int b, int threads) {
    float[] out = new float[b * d()];
    Kernels.matmul(w.o, y, b, out, threads);
    for (int r = 0; r < b; r++) {
      add(out, r * d(), w.oBias);
    }
    add(x, 0, out);
  }

  /**
   * One token's q, k, v at {@code qkv[at ..]} (as the fused product wrote them): biases added, q/k normed and
   * rotated to {@code position} in place, its key and value stored in {@code st}'s {@code slot}.
   */
  private void rotateAndStore(Layer w, int l, float[] qkv, int at, int position, State st, int slot) {
    int heads = c.numAttentionHeads();
    int kvHeads = c.numKeyValueHeads();
    int hd = c.headDim();
    int kAt = at + heads * hd;
    int vAt = kAt + kvHeads * hd;
    add(qkv, at, w.qkvBias);
    for (int h = 0; h < heads; h++) {
      normHead(qkv, at + h * hd, w.qNorm);
      rope(qkv, at + h * hd, position);
    }
    for (int g = 0; g < kvHeads; g++) {
      normHead(qkv, kAt + g * hd, w.kNorm);
      rope(qkv, kAt + g * hd, position);
      int to = (g * st.capacity + slot) * hd;
      System.arraycopy(qkv, kAt + g * hd, st.keys[l], to, hd);
      System.arraycopy(qkv, vAt + g * hd, st.values[l], to, hd);
    }
  }

  /**
   * The rows that read one prefix (or none), with one key/value head: their query heads meet the prefix's keys in one
   * product, each key and value read once for all of them (K votes of one prompt) instead of once a row.
   */
  private record AttentionUnit(State prefix, int[] rows, int kvHead, float[] prefixScores) {
    /** The units of a step; {@code group} query heads a key/value head. */
    static List<AttentionUnit> of(List<State> states, int kvHeads, int group) {
      Map<State, List<Integer>> byPrefix = new java.util.LinkedHashMap<>();
      for (int r = 0; r < states.size(); r++) {
        byPrefix.computeIfAbsent(states.get(r).prefix, p -> new ArrayList<>()).add(r);
      }
      List<AttentionUnit> units = new ArrayList<>();
      byPrefix.forEach((prefix, rows) -> {
        for (int g = 0; g < kvHeads; g++) {
          float[] scores = new float[rows.size() * group * (prefix == null ? 0 : prefix.length)]; // [n, p]
          units.add(new AttentionUnit(prefix, rows.stream().mapToInt(Integer::intValue).toArray(), g, scores));
        }
      });
      return units;
    }
  }

  /**
   * One unit of attention: for its rows' query heads that read its key/value head, y = softmax(q k^T * scale) v over
   * the prefix's slots, then the row's own.
   */
  private void attend(int l, float[] qkv, int width, List<State> states, AttentionUnit u, float[] y) {
    int heads = c.numAttentionHeads();
    int group = heads / c.numKeyValueHeads(); // HF's repeat_interleave: query heads g*G .. g*G+G-1 read head g
    int hd = c.headDim();
    float scale = (float) c.attentionScale();
    int n = u.rows.length * group; // query heads in this unit, row by row
    int p = u.prefix == null ? 0 : u.prefix.length;
    float[] q = new float[n * hd];
    for (int i = 0; i < n; i++) {
      System.arraycopy(qkv, u.rows[i / group] * width + (u.kvHead * group + i % group) * hd, q, i * hd, hd);
    }
    float[] prefixScores = u.prefixScores; // [n, p]
    if (p > 0) {
      int stride = u.prefix.byDimStride;
      Kernels.byDimProducts(u.prefix.keysByDim[l], u.kvHead * hd * stride, p, stride, q, n, hd, prefixScores);
    }
    float[][] ownScores = new float[n][];
    for (int i = 0; i < n; i++) {
      State own = states.get(u.rows[i / group]);
      int s = own.length + 1;
      ownScores[i] = new float[s];
      Kernels.products(own.keys[l], u.kvHead * own.capacity * hd, q, i * hd, hd, 1, ownScores[i], 0, s, 0, s);
      softmax(prefixScores, i * p, p, ownScores[i], scale);
    }
    float[] fromPrefix = new float[n * hd]; // [n, hd]
    if (p > 0) {
      Kernels.weightedValues(prefixScores, p, n, u.prefix.values[l], u.kvHead * u.prefix.capacity * hd, hd,
          fromPrefix);
    }
    for (int i = 0; i < n; i++) {
      int r = u.rows[i / group];
      State own = states.get(r);
      int yAt = (r * heads + u.kvHead * group + i % group) * hd;
      System.arraycopy(fromPrefix, i * hd, y, yAt, hd);
      Kernels.weightedSums(ownScores[i], ownScores[i].length, 1, own.values[l], u.kvHead * own.capacity * hd, hd, y,
          yAt);
    }
  }

  /** softmax(x * scale) in place over a[at .. at + n) followed by b, as one row. */
  private static void softmax(float[] a, int at, int n, float[] b, float scale) {
    float max = Kernels.scaleAndMax(b, 0, b.length, scale, Kernels.scaleAndMax(a, at, n, scale,
        Float.NEGATIVE_INFINITY));
    float sum = Kernels.exp(a, at, n, max) + Kernels.exp(b, 0, b.length, max);
    Kernels.divide(a, at, n, sum);
    Kernels.divide(b, 0, b.length, sum);
  }

  /** x += SwiGLU MLP of each of its b rows. */
  private void mlp(Layer w, float[] x, int b, int threads) {
    int inter = c.intermediateSize();
    float[] gu = new float[b * 2 * inter]; // per row: gate [I], up [I]
    Kernels.matmul(w.gateUp, rmsNorm(x, b, w.postNorm), b, gu, threads);
    float[] act = new float[b * inter];
    Kernels.swiGlu(gu, b, inter, act);
    float[] out = new float[b * d()];
    Kernels.matmul(w.down, act, b, out, threads);
    add(x, 0, out);
  }

  private int d() {
    return c.hiddenSize();
  }

  /** Each of x's b rows / sqrt(mean(row^2) + eps) * weight. */
  private float[] rmsNorm(float[] x, int b, float[] weight) {
    int d = weight.length;
    float[] out = new float[x.length];
    for (int r = 0; r < b; r++) {
      double ss = 0;
      for (int i = r * d; i < (r + 1) * d; i++) {
        ss += (double) x[i] * x[i];
      }
      float inv = (float) (1 / Math.sqrt(ss / d + c.rmsNormEps()));
      for (int i = 0; i < d; i++) {
        out[r * d + i] = x[r * d + i] * inv * weight[i];
      }
    }
    return out;
  }

  /** The per-head RMSNorm of a[at .. at + hd) in place (Qwen3's q/k norms); nothing when weight is null. */
  private void normHead(float[] a, int at, float[] weight) {
    if (weight == null) {
      return;
    }
    int hd = weight.length;
    double ss = 0;
    for (int j = 0; j < hd; j++) {
      ss += (double) a[at + j] * a[at + j];
    }
    float inv = (float) (1 / Math.sqrt(ss / hd + c.rmsNormEps()));
    for (int j = 0; j < hd; j++) {
      a[at + j] = a[at + j] * inv * weight[j];
    }
  }

  /** Rotate-half RoPE of a[at .. at + hd) in place at {@code position}: x cos + concat(x2, x1) sin'. */
  private void rope(float[] a, int at, int position) {
    int hd = c.headDim();
    int half = hd / 2;
    int row = position * hd;
    for (int j = 0; j < half; j++) { // each pair (j, j + half) read before either is written: no copy of a
      float x1 = a[at + j];
      float x2 = a[at + j + half];
      a[at + j] = x1 * cos[row + j] + x2 * sin[row + j];
      a[at + j + half] = x2 * cos[row + j + half] + x1 * sin[row + j + half];
    }
  }

  /** x[at ..] += y, when there is a y. */
  private static void add(float[] x, int at, float[] y) {
    if (y != null) {
      for (int i = 0; i < y.length; i++) {
        x[at + i] += y[i];
      }
    }
  }
}
