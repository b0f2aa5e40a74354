package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decode steps of one sequence in plain Java, over float copies of the weights (issue #23). A decode step of one row
 * is ~60 small engine calls a layer at 5-8 us each, about a third of its time (docs/bench.md); here a step is a few
 * loops a layer, and its matrix-vector products run on {@code threads} Java threads, each reading its rows of the
 * weights (the step is bound by memory bandwidth: 160 MB of weights a token at the bench's shape). The same maths as
 * {@link LlamaModel#forward} for the plain Llama family (optionally with q/k/v biases, an o bias, per-head q/k norms);
 * other configurations ({@link #supports}) decode in the engine. Sums run in another order, so logits agree with the
 * engine's to float rounding, not bit for bit.
 *
 * <p>The copies double the weights' memory while the decoder lives; {@link LlamaModel} makes one on the first
 * single-row decode and drops it when a training step may change the weights.
 */
public final class RowDecoder {
  private final ModelConfig c;
  private final float[] embed; // [V, D]
  private final float[] head; // [V, D], the same array when tied
  private final float[] finalNorm; // [D]
  private final float[] cos; // [maxPos, hd]
  private final float[] sin; // [maxPos, hd], the first half negated (as LlamaModel's table)
  private final Layer[] layers;

  /**
   * One layer's weights, row-major [out, in]; q, k and v as one matrix of H*hd + 2*KV*hd rows (likewise gate and up),
   * so a step makes four products a layer. Biases and q/k norms are null when the model has none.
   */
  private record Layer(float[] inputNorm, float[] qkv, float[] qkvBias, float[] qNorm, float[] kNorm, float[] o,
      float[] oBias, float[] postNorm, float[] gateUp, float[] down) {}

  /** Whether {@code model} decodes here: the plain Llama family, no adapters, nothing soft-capped or windowed. */
  static boolean supports(ModelConfig c, boolean hasAdapters) {
    return !hasAdapters && !c.gemma() && !c.sandwichNorms() && c.attnLogitSoftcapping() <= 0
        && c.finalLogitSoftcapping() <= 0
        && (c.slidingWindow() <= 0 || c.slidingWindow() >= c.maxPositionEmbeddings());
  }

  RowDecoder(ModelConfig c, Map<String, NDArray> params, NDArray ropeCos, NDArray ropeSin) {
    this.c = c;
    embed = params.get("model.embed_tokens.weight").toFloatArray();
    head = c.tieWordEmbeddings() ? embed : params.get("lm_head.weight").toFloatArray();
    finalNorm = params.get("model.norm.weight").toFloatArray();
    cos = ropeCos.toFloatArray();
    sin = ropeSin.toFloatArray();
    layers = new Layer[c.numHiddenLayers()];
    for (int l = 0; l < layers.length; l++) {
      String p = "model.layers." + l + ".";
      String a = p + "self_attn.";
      layers[l] = new Layer(floats(params, p + "input_layernorm.weight"),
          concat(params, a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"),
          c.qkvBias() ? concat(params, a + "q_proj.bias", a + "k_proj.bias", a + "v_proj.bias") : null,
          floats(params, a + "q_norm.weight"), floats(params, a + "k_norm.weight"), floats(params, a + "o_proj.weight"),
          floats(params, a + "o_proj.bias"), floats(params, p + "post_attention_layernorm.weight"),
          concat(params, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"), floats(params, p + "mlp.down_proj.weight"));
    }
  }

  private static float[] floats(Map<String, NDArray> params, String name) {
    NDArray a = params.get(name);
    return a == null ? null : a.toFloatArray();
  }

  private static float[] concat(Map<String, NDArray> params, String... names) {
    List<float[]> parts = new ArrayList<>();
    int n = 0;
    for (String name : names) {
      float[] f = params.get(name).toFloatArray();
      parts.add(f);
      n += f.length;
    }
    float[] out = new float[n];
    int at = 0;
    for (float[] f : parts) {
      System.arraycopy(f, 0, out, at, f.length);
      at += f.length;
    }
    return out;
  }

  /**
   * A sequence's keys and values (rotated keys, as the engine's cache holds them): layer l's keys at
   * [kvHead][slot][hd], room for {@code capacity} slots, doubled when full.
   */
  public final class State {
    private float[][] keys;
    private float[][] values;
    private int capacity;
    private int length;

    State(int capacity) {
      this.capacity = Math.max(1, capacity);
      int size = c.numKeyValueHeads() * this.capacity * c.headDim();
      keys = new float[c.numHiddenLayers()][size];
      values = new float[c.numHiddenLayers()][size];
    }

    public int length() {
      return length;
    }

    /** Room for one more slot. */
    private void makeRoom() {
      if (length < capacity) {
        return;
      }
      int more = 2 * capacity;
      int hd = c.headDim();
      for (int l = 0; l < keys.length; l++) {
        keys[l] = moved(keys[l], capacity, more, hd);
        values[l] = moved(values[l], capacity, more, hd);
      }
      capacity = more;
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

  /** A state holding an engine cache of one row whose slots all hold real tokens (keys/values [1, KV, S, hd]). */
  public State fromCache(KvCache cache) {
    int s = cache.length();
    State st = new State(s + 64);
    int hd = c.headDim();
    for (int l = 0; l < layers.length; l++) {
      float[] k = cache.keys()[l].toFloatArray();
      float[] v = cache.values()[l].toFloatArray();
      int stored = k.length / (c.numKeyValueHeads() * hd); // a reserved cache's buffers are longer than its length
      for (int g = 0; g < c.numKeyValueHeads(); g++) {
        System.arraycopy(k, g * stored * hd, st.keys[l], g * st.capacity * hd, s * hd);
        System.arraycopy(v, g * stored * hd, st.values[l], g * st.capacity * hd, s * hd);
      }
    }
    st.length = s;
    return st;
  }

  /**
   * Feeds {@code token} at rotary position {@code position}: the next-token logits, [V]; the products on as many
   * threads as the engine's intra-op setting.
   */
  public float[] step(State st, int token, int position) {
    return step(st, token, position, JniUtils.getNumThreads());
  }

  float[] step(State st, int token, int position, int threads) {
    st.makeRoom();
    int d = c.hiddenSize();
    float[] x = new float[d];
    System.arraycopy(embed, token * d, x, 0, d);
    for (int l = 0; l < layers.length; l++) {
      attention(l, x, st, position, threads);
      mlp(layers[l], x, threads);
    }
    float[] h = rmsNorm(x, finalNorm);
    float[] logits = new float[c.vocabSize()];
    matvec(head, h, logits, threads);
    st.length++;
    return logits;
  }

  /** x += attention of layer l over the state and this token (whose keys/values go to slot st.length). */
  private void attention(int l, float[] x, State st, int position, int threads) {
    Layer w = layers[l];
    int heads = c.numAttentionHeads();
    int kvHeads = c.numKeyValueHeads();
    int hd = c.headDim();
    float[] qkv = new float[(heads + 2 * kvHeads) * hd]; // q [H, hd], k [KV, hd], v [KV, hd]
    matvec(w.qkv, rmsNorm(x, w.inputNorm), qkv, threads);
    add(qkv, w.qkvBias);
    int kAt = heads * hd;
    int vAt = kAt + kvHeads * hd;
    for (int h = 0; h < heads; h++) {
      normHead(qkv, h * hd, w.qNorm);
      rope(qkv, h * hd, position);
    }
    for (int g = 0; g < kvHeads; g++) {
      normHead(qkv, kAt + g * hd, w.kNorm);
      rope(qkv, kAt + g * hd, position);
      int slot = (g * st.capacity + st.length) * hd;
      System.arraycopy(qkv, kAt + g * hd, st.keys[l], slot, hd);
      System.arraycopy(qkv, vAt + g * hd, st.values[l], slot, hd);
    }
    int s = st.length + 1;
    float scale = (float) c.attentionScale();
    float[] y = new float[heads * hd]; // [H, hd]
    float[] scores = new float[s];
    for (int h = 0; h < heads; h++) {
      int g = h / (heads / kvHeads); // HF's repeat_interleave: query heads j*G .. j*G+G-1 read key/value head j
      int base = g * st.capacity * hd;
      float max = Float.NEGATIVE_INFINITY;
      rows(st.keys[l], base, qkv, h * hd, hd, scores, 0, s); // q . k_t for every slot t
      for (int t = 0; t < s; t++) {
        scores[t] *= scale;
        max = Math.max(max, scores[t]);
      }
      float sum = 0;
      for (int t = 0; t < s; t++) {
        scores[t] = (float) Math.exp(scores[t] - max);
        sum += scores[t];
      }
      for (int t = 0; t < s; t++) {
        float pr = scores[t] / sum;
        int v = base + t * hd;
        for (int j = 0; j < hd; j++) {
          y[h * hd + j] += pr * st.values[l][v + j];
        }
      }
    }
    float[] out = new float[d()];
    matvec(w.o, y, out, threads);
    add(out, w.oBias);
    add(x, out);
  }

  /** x += SwiGLU MLP of x. */
  private void mlp(Layer w, float[] x, int threads) {
    int inter = c.intermediateSize();
    float[] gu = new float[2 * inter]; // gate [I], up [I]
    matvec(w.gateUp, rmsNorm(x, w.postNorm), gu, threads);
    float[] act = new float[inter];
    for (int i = 0; i < inter; i++) {
      float g = gu[i];
      act[i] = g * (float) (1 / (1 + Math.exp(-g))) * gu[inter + i];
    }
    float[] out = new float[d()];
    matvec(w.down, act, out, threads);
    add(x, out);
  }

  private int d() {
    return c.hiddenSize();
  }

  /** x / sqrt(mean(x^2) + eps) * weight. */
  private float[] rmsNorm(float[] x, float[] weight) {
    double ss = 0;
    for (float v : x) {
      ss += (double) v * v;
    }
    float inv = (float) (1 / Math.sqrt(ss / x.length + c.rmsNormEps()));
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] * inv * weight[i];
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
    float[] x = new float[hd];
    System.arraycopy(a, at, x, 0, hd);
    for (int j = 0; j < hd; j++) {
      float swapped = j < half ? x[j + half] : x[j - half];
      a[at + j] = x[j] * cos[row + j] + swapped * sin[row + j];
    }
  }

  private static void add(float[] x, float[] y) {
    if (y != null) {
      for (int i = 0; i < x.length; i++) {
        x[i] += y[i];
      }
    }
  }

  /** a[ai ..] . b[bi ..] over n floats: eight running sums (a scalar loop the JIT keeps in registers). */
  private static float dot(float[] a, int ai, float[] b, int bi, int n) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    float s4 = 0;
    float s5 = 0;
    float s6 = 0;
    float s7 = 0;
    int j = 0;
    for (; j + 7 < n; j += 8) {
      s0 += a[ai + j] * b[bi + j];
      s1 += a[ai + j + 1] * b[bi + j + 1];
      s2 += a[ai + j + 2] * b[bi + j + 2];
      s3 += a[ai + j + 3] * b[bi + j + 3];
      s4 += a[ai + j + 4] * b[bi + j + 4];
      s5 += a[ai + j + 5] * b[bi + j + 5];
      s6 += a[ai + j + 6] * b[bi + j + 6];
      s7 += a[ai + j + 7] * b[bi + j + 7];
    }
    for (; j < n; j++) {
      s0 += a[ai + j] * b[bi + j];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  /**
   * y = w x for w [y.length, x.length] row-major; a matrix of 1 MB or more in one block of rows per thread
   * ({@link SpinTeam}). Each row's sum is the same on any thread, so the floats do not depend on the thread count.
   */
  static void matvec(float[] w, float[] x, float[] y, int threads) {
    int out = y.length;
    int parts = threads > 1 && w.length >= MIN_SPLIT_FLOATS ? threads : 1;
    if (parts == 1) {
      rows(w, 0, x, 0, x.length, y, 0, out);
      return;
    }
    SpinTeam.shared().run(parts,
        p -> rows(w, 0, x, 0, x.length, y, (int) ((long) out * p / parts), (int) ((long) out * (p + 1) / parts)));
  }

  /** Matrices smaller than this (floats, 1 MB) are multiplied on one thread: a hand-off would cost more than it saves. */
  static final int MIN_SPLIT_FLOATS = 1 << 18;

  /** Whether the running JVM resolved the Vector API's module ({@code --add-modules jdk.incubator.vector}). */
  static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  /**
   * y[o] = w[wAt + o n ..][0, n) . x[xAt ..][0, n) for o in [from, to) (rows of n floats from wAt): with the Vector
   * API when the JVM has it ({@link VectorRows}).
   */
  static void rows(float[] w, int wAt, float[] x, int xAt, int n, float[] y, int from, int to) {
    if (VECTOR_API) {
      VectorRows.rows(w, wAt, x, xAt, n, y, from, to);
    } else {
      scalarRows(w, wAt, x, xAt, n, y, from, to);
    }
  }

  /** {@link #rows} without the Vector API. */
  static void scalarRows(float[] w, int wAt, float[] x, int xAt, int n, float[] y, int from, int to) {
    for (int o = from; o < to; o++) {
      y[o] = dot(w, wAt + o * n, x, xAt, n);
    }
  }
}
