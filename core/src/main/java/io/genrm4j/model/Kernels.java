package io.genrm4j.model;

/**
 * The float kernels of plain-Java decoding ({@link RowDecoder}) and host-side sampling: products of weight rows and
 * input rows, attention's scores and weighted values, exponentials. Each runs with the JDK's Vector API when the JVM
 * has the module ({@link VectorRows}) and as scalar loops when not; either way an output is summed in an order that
 * depends on neither the rows beside it nor the thread it runs on.
 */
public final class Kernels {
  private Kernels() {}

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
   * y [b, out] = x [b, n] w^T for w [out, n] in panels ({@link PanelMatrix}); when the product has as many
   * multiply-adds as a 1 MB matrix times one row or more, split over the threads ({@link SpinTeam}) by panels. Every
   * output is one multiply-add per input in order of the inputs, from 0, so a row's outputs are bit for bit the same
   * alone, beside other rows, on any number of threads, with or without the Vector API.
   */
  static void matmul(PanelMatrix w, float[] x, int b, float[] y, int threads) {
    int panels = PanelMatrix.panels(w.out);
    if (threads < 2 || w.size() * b < MIN_SPLIT_FLOATS) {
      panelProducts(w, x, b, y, 0, panels);
      return;
    }
    SpinTeam.shared().run(panels, threads, p -> panelProducts(w, x, b, y, p, p + 1)); // a panel per take
  }

  /** Panels [from, to) of {@link #matmul(PanelMatrix, float[], int, float[], int)}. */
  static void panelProducts(PanelMatrix w, float[] x, int b, float[] y, int from, int to) {
    if (VECTOR_API) {
      VectorRows.panelProducts(w, x, b, y, from, to);
    } else {
      scalarPanelProducts(w, x, b, y, from, to);
    }
  }

  /** {@link #panelProducts} without the Vector API: the same multiply-adds in the same order. */
  static void scalarPanelProducts(PanelMatrix w, float[] x, int b, float[] y, int from, int to) {
    int n = w.n;
    int width = PanelMatrix.WIDTH;
    for (int p = from; p < to; p++) {
      int at = w.panelStart(p);
      for (int r = 0; r < b; r++) {
        for (int lane = 0; lane < width && p * width + lane < w.out; lane++) {
          float acc = 0;
          for (int j = 0; j < n; j++) {
            acc = Math.fma(w.weight(at + j * width + lane), x[r * n + j], acc);
          }
          y[r * w.out + p * width + lane] = acc;
        }
      }
    }
  }

  /**
   * Products of fewer multiply-adds than this (a 1 MB matrix times one row) run on one thread: a hand-off would cost
   * more than it saves.
   */
  static final int MIN_SPLIT_FLOATS = 1 << 18;

  /** Compiles the SIMD kernels before their first real use ({@link VectorRows#warmUp}); once per JVM, 0.25 s. */
  static void warmUp() {
    if (VECTOR_API) {
      VectorRows.warmUp();
    }
  }

  /** Whether the running JVM resolved the Vector API's module ({@code --add-modules jdk.incubator.vector}). */
  static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  /**
   * y[yAt + r out + o] = w[wAt + o n ..][0, n) . x[xAt + r n ..][0, n) for rows r in [0, b) and outputs o in
   * [from, to): with the Vector API when the JVM has it ({@link VectorRows}).
   */
  static void products(float[] w, int wAt, float[] x, int xAt, int n, int b, float[] y, int yAt, int out, int from,
      int to) {
    if (VECTOR_API) {
      VectorRows.products(w, wAt, x, xAt, n, b, y, yAt, out, from, to);
    } else {
      scalarProducts(w, wAt, x, xAt, n, b, y, yAt, out, from, to);
    }
  }

  /** {@link #products} without the Vector API. */
  static void scalarProducts(float[] w, int wAt, float[] x, int xAt, int n, int b, float[] y, int yAt, int out,
      int from, int to) {
    for (int r = 0; r < b; r++) {
      for (int o = from; o < to; o++) {
        y[yAt + r * out + o] = dot(w, wAt + o * n, x, xAt + r * n, n);
      }
    }
  }

  /**
   * y[i s + t] = sum over j in [0, n) of k[kAt + j stride + t] x[i n + j], in order of j, for rows i in [0, rows)
   * and t in [0, s): x [rows, n] times the first s slots of a matrix stored by its n columns of {@code stride} floats
   * each ({@link RowDecoder.State#keysByDim}; a prefill's query block reads the slots before its last query).
   */
  static void byDimProducts(float[] k, int kAt, int s, int stride, float[] x, int rows, int n, float[] y) {
    if (VECTOR_API) {
      VectorRows.byDimProducts(k, kAt, s, stride, x, rows, n, y);
    } else {
      scalarByDimProducts(k, kAt, s, stride, x, rows, n, y);
    }
  }

  /** {@link #byDimProducts} without the Vector API: the same multiply-adds in the same order. */
  static void scalarByDimProducts(float[] k, int kAt, int s, int stride, float[] x, int rows, int n, float[] y) {
    for (int i = 0; i < rows; i++) {
      for (int t = 0; t < s; t++) {
        float acc = 0;
        for (int j = 0; j < n; j++) {
          acc = Math.fma(k[kAt + j * stride + t], x[i * n + j], acc);
        }
        y[i * s + t] = acc;
      }
    }
  }

  /**
   * y[yAt + i n ..][0, n) += sum over t in [0, s) of p[i s + t] v[vAt + t n ..][0, n) for rows i in [0, rows):
   * attention's weighted values, rows of weights p [rows, s] against values v [s, n].
   */
  static void weightedSums(float[] p, int s, int rows, float[] v, int vAt, int n, float[] y, int yAt) {
    if (VECTOR_API) {
      VectorRows.weightedSums(p, s, rows, v, vAt, n, y, yAt);
    } else {
      scalarWeightedSums(p, s, rows, v, vAt, n, y, yAt);
    }
  }

  /**
   * y[i n ..][0, n) = sum over t in [0, s) of p[i s + t] v[vAt + t n ..][0, n) for rows i in [0, rows), y
   * overwritten: {@link #weightedSums} into zeros. Rows as wide as a 4 x 4 block of vectors or wider go through
   * {@link #byDimProducts} (values stored by slot are a matrix stored by its columns): per slot four value vectors and
   * four broadcast weights serve sixteen multiply-adds, against four broadcasts for four; the same fused multiply-adds
   * from zero in the same order, so the same floats.
   */
  static void weightedValues(float[] p, int s, int rows, float[] v, int vAt, int n, float[] y) {
    if (VECTOR_API && n >= VectorRows.BLOCK_WIDTH) {
      byDimProducts(v, vAt, n, n, p, rows, s, y);
    } else {
      java.util.Arrays.fill(y, 0, rows * n, 0f);
      weightedSums(p, s, rows, v, vAt, n, y, 0);
    }
  }

  /** {@link #weightedSums} without the Vector API. */
  static void scalarWeightedSums(float[] p, int s, int rows, float[] v, int vAt, int n, float[] y, int yAt) {
    for (int i = 0; i < rows; i++) {
      for (int t = 0; t < s; t++) {
        float pt = p[i * s + t];
        int at = vAt + t * n;
        for (int j = 0; j < n; j++) {
          y[yAt + i * n + j] += pt * v[at + j];
        }
      }
    }
  }

  /**
   * SwiGLU of {@code rows} rows of {@code gateUp} (per row: gate [n], then up [n]) into {@code out} [rows, n]:
   * out = gate * sigmoid(gate) * up, the sigmoid in float as 1 / (1 + exp(-gate)).
   */
  static void swiGlu(float[] gateUp, int rows, int n, float[] out) {
    if (VECTOR_API) {
      VectorRows.swiGlu(gateUp, rows, n, out);
    } else {
      scalarSwiGlu(gateUp, rows, n, out);
    }
  }

  /**
   * Constants of the SIMD exp ({@code VectorRows.exp}): log2(e), 1.5 * 2^23 (adding and subtracting it rounds to an
   * integer), ln 2 split in an exact high part and the rest, and Cephes' expf polynomial, highest degree first.
   */
  static final float LOG2E = 1.44269504088896341f;
  static final float ROUNDER = 12582912f;
  static final float LN2_HI = 0.693359375f;
  static final float LN2_LO = -2.12194440e-4f;
  static final float[] EXP_P = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f,
      1.6666665459e-1f, 5.0000001201e-1f};
  /** The arguments the SIMD exp clamps to: results 1.2e-38 and 2.4e38, normal floats, 2^k within one exponent. */
  static final float EXP_MIN = -87.33654f;
  static final float EXP_MAX = 88.37626f;

  /** {@link #swiGlu} without the Vector API. */
  static void scalarSwiGlu(float[] gateUp, int rows, int n, float[] out) {
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < n; i++) {
        out[r * n + i] = swiGlu(gateUp[r * 2 * n + i], gateUp[r * 2 * n + n + i]);
      }
    }
  }

  /** One SwiGLU output; the vector path's tail and the scalar path share it. */
  static float swiGlu(float gate, float up) {
    return gate / (1f + (float) Math.exp(-gate)) * up;
  }

  /**
   * a[t] *= scale for t in [at, at + n), in place; returns the largest of them and {@code max} (attention's scores
   * before their softmax: a tiny model's decode spent an eighth of its time in these loops and {@link #divide}).
   */
  public static float scaleAndMax(float[] a, int at, int n, float scale, float max) {
    return VECTOR_API ? VectorRows.scaleAndMax(a, at, n, scale, max) : scalarScaleAndMax(a, at, n, scale, max);
  }

  /** {@link #scaleAndMax} without the Vector API: the same products, the same largest. */
  static float scalarScaleAndMax(float[] a, int at, int n, float scale, float max) {
    for (int t = at; t < at + n; t++) {
      a[t] *= scale;
      max = Math.max(max, a[t]);
    }
    return max;
  }

  /** a[t] /= d for t in [at, at + n), in place (a division, not a product with 1 / d: the same floats either path). */
  public static void divide(float[] a, int at, int n, float d) {
    if (VECTOR_API) {
      VectorRows.divide(a, at, n, d);
    } else {
      scalarDivide(a, at, n, d);
    }
  }

  /** {@link #divide} without the Vector API. */
  static void scalarDivide(float[] a, int at, int n, float d) {
    for (int t = at; t < at + n; t++) {
      a[t] /= d;
    }
  }

  /** a[t] = exp(a[t] - max) for t in [at, at + n), in place; returns their sum. */
  public static float exp(float[] a, int at, int n, float max) {
    return VECTOR_API ? VectorRows.exp(a, at, n, max) : scalarExp(a, at, n, max);
  }

  /** {@link #exp} without the Vector API. */
  static float scalarExp(float[] a, int at, int n, float max) {
    float sum = 0;
    for (int t = at; t < at + n; t++) {
      a[t] = (float) Math.exp(a[t] - max);
      sum += a[t];
    }
    return sum;
  }
}
