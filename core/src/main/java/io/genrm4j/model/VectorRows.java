package io.genrm4j.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels}' SIMD paths with the JDK's Vector API (incubating in Java 17-25: it needs
 * {@code --add-modules jdk.incubator.vector}, which the {@code genrm} launcher passes). The weights' products read
 * packed panels ({@link PanelMatrix}): a block of 4 input rows x 4 vectors of outputs loads each panel vector once
 * for four rows and each input once for four vectors, and sums each output in a lane, so no lanes are reduced.
 * Only {@link Kernels} refers to this class, and only when the module is there ({@link Kernels#VECTOR_API}): without
 * it this class is never loaded (verifying it would fail).
 *
 * <p>Every output is summed the same way whichever block computes it, so a row's result does not depend on the rows
 * beside it or on how the outputs are split over threads.
 */
final class VectorRows {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  /** As many BF16 weights as {@link #SPECIES} has lanes, and the ints they widen to. */
  private static final VectorSpecies<Short> BF16 = ShortVector.SPECIES_PREFERRED.withShape(
      jdk.incubator.vector.VectorShape.forBitSize(SPECIES.length() * Short.SIZE));
  private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED.withShape(SPECIES.vectorShape());

  /** Each thread's F32 copy of the BF16 panel it multiplies by four rows or more. */
  private static final ThreadLocal<float[]> WIDENED = ThreadLocal.withInitial(() -> new float[0]);

  /** Outputs of one 4 x 4 block's row: four vectors. */
  static final int BLOCK_WIDTH = 4 * SPECIES.length();

  private VectorRows() {}

  private static volatile boolean warm;

  /**
   * Runs every kernel on tiny inputs many times, once per JVM, so the JIT compiles each from a call with its own
   * profile before a real product runs a long loop. Otherwise the first compile of a kernel is often an on-stack
   * replacement of that loop, in which the accumulators' vector class is unknown, and the Vector API falls back to
   * allocating a box per operation: one-stream decoding at the {@code large} shape ran at 58-118 tokens/s with ~300
   * collections in 4 runs of 6, 170-250 with ~12 otherwise (a JVM without on-stack replacement: 196-248 every time).
   */
  static void warmUp() {
    if (warm) {
      return;
    }
    synchronized (VectorRows.class) {
      if (warm) {
        return;
      }
      int lanes = SPECIES.length();
      int n = 3;
      PanelMatrix w = PanelMatrix.of(new float[PanelMatrix.WIDTH * n], PanelMatrix.WIDTH, n);
      PanelMatrix wBf16 = PanelMatrix.of(new float[PanelMatrix.WIDTH * n], PanelMatrix.WIDTH, n, DecodeDtype.BF16);
      float[] x = new float[5 * Math.max(n, 4 * lanes)];
      int s = 4 * lanes + 1; // whole vectors and a tail
      float[] y = new float[5 * (PanelMatrix.WIDTH + s)];
      float[] k = new float[n * s + s];
      // a quarter of a second: the JIT compiles in the background, and until it is done the kernels run boxed
      long end = System.nanoTime() + 250_000_000L;
      for (int i = 0; i < 20_000 || System.nanoTime() < end; i++) { // all zeros: no infinities, no subnormals
        panelProducts(w, x, 5, y, 0, 1); // a block of four rows and one row
        panelProducts(wBf16, x, 5, y, 0, 1);
        products(k, 0, x, 0, n, 1, y, 0, s, 0, s);
        byDimProducts(k, 0, s, s, x, 5, n, y);
        weightedSums(x, n, 5, k, 0, s, y, 0);
        swiGlu(k, 1, s, y);
        exp(y, 0, s, 1f); // exp(0 - 1)
        scaleAndMax(k, 0, s, 1f, 0f);
        divide(k, 0, s, 1f);
      }
      warm = true;
    }
  }

  /**
   * y[yAt + r out + o] = w[wAt + o n ..][0, n) . x[xAt + r n ..][0, n) for rows r in [0, b) and outputs o in
   * [from, to): a row-major matrix of rows of n floats starting at wAt, times b input rows of n floats.
   */
  static void products(float[] w, int wAt, float[] x, int xAt, int n, int b, float[] y, int yAt, int out, int from,
      int to) {
    int o = from;
    for (; o + 3 < to; o += 4) {
      for (int r = 0; r < b; r++) {
        block4x1(w, wAt + o * n, x, xAt + r * n, n, y, yAt + r * out + o);
      }
    }
    for (; o < to; o++) {
      for (int r = 0; r < b; r++) {
        y[yAt + r * out + o] = dot(w, wAt + o * n, x, xAt + r * n, n);
      }
    }
  }

  /**
   * {@link Kernels#panelProducts}: per panel, per run of four vectors of its outputs, four rows at a time (16
   * accumulators; each panel vector loaded once for four rows), then the rows left one at a time.
   */
  static void panelProducts(PanelMatrix w, float[] x, int b, float[] y, int from, int to) {
    int lanes = SPECIES.length();
    int run = 4 * lanes;
    if (run > PanelMatrix.WIDTH) { // vectors wider than 512 bits
      Kernels.scalarPanelProducts(w, x, b, y, from, to);
      return;
    }
    for (int p = from; p < to; p++) {
      float[] d = w.data;
      int start = w.panelStart(p);
      if (d == null && b >= 4) { // BF16: widened once for all blocks of four rows, which then read F32 as usual
        d = widened(w, start);
        start = 0;
      }
      for (int q = 0; q < PanelMatrix.WIDTH; q += run) {
        int o = p * PanelMatrix.WIDTH + q;
        if (o >= w.out) {
          break;
        }
        int at = start + q;
        int r = 0;
        for (; r + 3 < b; r += 4) {
          block4x4(d, at, PanelMatrix.WIDTH, w.n, x, r, y, r * w.out + o, w.out, w.out - o);
        }
        for (; r < b; r++) {
          if (d != null) {
            panel1x4(d, at, w.n, x, r, y, r * w.out + o, w.out - o);
          } else {
            panel1x4Bf16(w.bf16, at, w.n, x, r, y, r * w.out + o, w.out - o);
          }
        }
      }
    }
  }

  /** The BF16 panel at {@code w.bf16[start ..]} as F32, in this thread's buffer from 0 (exact). */
  private static float[] widened(PanelMatrix w, int start) {
    int size = w.n * PanelMatrix.WIDTH;
    float[] f = WIDENED.get();
    if (f.length < size) {
      f = new float[size];
      WIDENED.set(f);
    }
    int lanes = SPECIES.length();
    for (int i = 0; i < size; i += lanes) { // the panel is whole vectors: WIDTH is a multiple of the lanes
      widen(w.bf16, start + i).intoArray(f, i);
    }
    return f;
  }

  /** The BF16 weights {@code d[at ..]}, a vector's worth, as F32: each one's bits moved to the upper half. */
  private static FloatVector widen(short[] d, int at) {
    return (FloatVector) ShortVector.fromArray(BF16, d, at).convertShape(VectorOperators.S2I, INTS, 0)
        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  /**
   * Rows r .. r+3 of x (row i at {@code x[i n ..]}) times four vectors of columns of a matrix whose column j starts at
   * {@code d[at + j stride]}, into {@code y[yAt + i yStride ..]}, only the first {@code valid} outputs of a row stored:
   * sixteen accumulators, each a lane per output, one multiply-add per j in order. Panels ({@code stride} = the panel
   * width) and keys stored by dimension ({@code stride} = the slots) share it.
   */
  private static void block4x4(float[] d, int at, int stride, int n, float[] x, int r, float[] y, int yAt,
      int yStride, int valid) {
    VectorSpecies<Float> sp = SPECIES;
    int lanes = sp.length();
    FloatVector a00 = FloatVector.zero(sp);
    FloatVector a01 = a00;
    FloatVector a02 = a00;
    FloatVector a03 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a12 = a00;
    FloatVector a13 = a00;
    FloatVector a20 = a00;
    FloatVector a21 = a00;
    FloatVector a22 = a00;
    FloatVector a23 = a00;
    FloatVector a30 = a00;
    FloatVector a31 = a00;
    FloatVector a32 = a00;
    FloatVector a33 = a00;
    int x0 = r * n;
    for (int j = 0; j < n; j++) {
      int k = at + j * stride;
      FloatVector k0 = FloatVector.fromArray(sp, d, k);
      FloatVector k1 = FloatVector.fromArray(sp, d, k + lanes);
      FloatVector k2 = FloatVector.fromArray(sp, d, k + 2 * lanes);
      FloatVector k3 = FloatVector.fromArray(sp, d, k + 3 * lanes);
      FloatVector v = FloatVector.broadcast(sp, x[x0 + j]); // a<row><vector of outputs>
      a00 = k0.fma(v, a00);
      a01 = k1.fma(v, a01);
      a02 = k2.fma(v, a02);
      a03 = k3.fma(v, a03);
      v = FloatVector.broadcast(sp, x[x0 + n + j]);
      a10 = k0.fma(v, a10);
      a11 = k1.fma(v, a11);
      a12 = k2.fma(v, a12);
      a13 = k3.fma(v, a13);
      v = FloatVector.broadcast(sp, x[x0 + 2 * n + j]);
      a20 = k0.fma(v, a20);
      a21 = k1.fma(v, a21);
      a22 = k2.fma(v, a22);
      a23 = k3.fma(v, a23);
      v = FloatVector.broadcast(sp, x[x0 + 3 * n + j]);
      a30 = k0.fma(v, a30);
      a31 = k1.fma(v, a31);
      a32 = k2.fma(v, a32);
      a33 = k3.fma(v, a33);
    }
    store4(a00, a01, a02, a03, y, yAt, valid);
    store4(a10, a11, a12, a13, y, yAt + yStride, valid);
    store4(a20, a21, a22, a23, y, yAt + 2 * yStride, valid);
    store4(a30, a31, a32, a33, y, yAt + 3 * yStride, valid);
  }

  /** Row r of x [., n], four vectors of a panel's outputs (column j at {@code d[at + j WIDTH]}): four accumulators. */
  private static void panel1x4(float[] d, int at, int n, float[] x, int r, float[] y, int yAt, int valid) {
    VectorSpecies<Float> sp = SPECIES;
    int lanes = sp.length();
    FloatVector a0 = FloatVector.zero(sp);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    int x0 = r * n;
    for (int j = 0; j < n; j++) {
      int k = at + j * PanelMatrix.WIDTH;
      FloatVector v = FloatVector.broadcast(sp, x[x0 + j]);
      a0 = FloatVector.fromArray(sp, d, k).fma(v, a0);
      a1 = FloatVector.fromArray(sp, d, k + lanes).fma(v, a1);
      a2 = FloatVector.fromArray(sp, d, k + 2 * lanes).fma(v, a2);
      a3 = FloatVector.fromArray(sp, d, k + 3 * lanes).fma(v, a3);
    }
    store4(a0, a1, a2, a3, y, yAt, valid);
  }

  /**
   * {@link #panel1x4} over BF16 weights, each vector widened as it is loaded: a row alone reads each weight once, so
   * its product is bound by the bytes read, half of F32's.
   */
  private static void panel1x4Bf16(short[] d, int at, int n, float[] x, int r, float[] y, int yAt, int valid) {
    VectorSpecies<Float> sp = SPECIES;
    int lanes = sp.length();
    FloatVector a0 = FloatVector.zero(sp);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    int x0 = r * n;
    for (int j = 0; j < n; j++) {
      int k = at + j * PanelMatrix.WIDTH;
      FloatVector v = FloatVector.broadcast(sp, x[x0 + j]);
      a0 = widen(d, k).fma(v, a0);
      a1 = widen(d, k + lanes).fma(v, a1);
      a2 = widen(d, k + 2 * lanes).fma(v, a2);
      a3 = widen(d, k + 3 * lanes).fma(v, a3);
    }
    store4(a0, a1, a2, a3, y, yAt, valid);
  }

  /** Four vectors of outputs to y[at ..], only the first {@code valid} of them (the last panel's padding is not). */
  private static void store4(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] y, int at,
      int valid) {
    int lanes = SPECIES.length();
    if (valid >= 4 * lanes) {
      a0.intoArray(y, at);
      a1.intoArray(y, at + lanes);
      a2.intoArray(y, at + 2 * lanes);
      a3.intoArray(y, at + 3 * lanes);
      return;
    }
    float[] all = new float[4 * lanes];
    a0.intoArray(all, 0);
    a1.intoArray(all, lanes);
    a2.intoArray(all, 2 * lanes);
    a3.intoArray(all, 3 * lanes);
    System.arraycopy(all, 0, y, at, valid);
  }

  /** Outputs o .. o+3 of one row. */
  private static void block4x1(float[] w, int wo, float[] x, int xr, int n, float[] y, int yo) {
    VectorSpecies<Float> s = SPECIES;
    int lanes = s.length();
    int bound = n - n % lanes;
    FloatVector a0 = FloatVector.zero(s);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    for (int i = 0; i < bound; i += lanes) {
      FloatVector xv = FloatVector.fromArray(s, x, xr + i);
      a0 = FloatVector.fromArray(s, w, wo + i).fma(xv, a0);
      a1 = FloatVector.fromArray(s, w, wo + n + i).fma(xv, a1);
      a2 = FloatVector.fromArray(s, w, wo + 2 * n + i).fma(xv, a2);
      a3 = FloatVector.fromArray(s, w, wo + 3 * n + i).fma(xv, a3);
    }
    y[yo] = finish(a0, w, wo, x, xr, bound, n);
    y[yo + 1] = finish(a1, w, wo + n, x, xr, bound, n);
    y[yo + 2] = finish(a2, w, wo + 2 * n, x, xr, bound, n);
    y[yo + 3] = finish(a3, w, wo + 3 * n, x, xr, bound, n);
  }

  /** One output alone. */
  private static float dot(float[] w, int wo, float[] x, int xr, int n) {
    VectorSpecies<Float> s = SPECIES;
    int lanes = s.length();
    int bound = n - n % lanes;
    FloatVector a = FloatVector.zero(s);
    for (int i = 0; i < bound; i += lanes) {
      a = FloatVector.fromArray(s, w, wo + i).fma(FloatVector.fromArray(s, x, xr + i), a);
    }
    return finish(a, w, wo, x, xr, bound, n);
  }

  /** An accumulator's lanes summed, then the elements past the last whole vector added in order. */
  private static float finish(FloatVector acc, float[] w, int wo, float[] x, int xr, int bound, int n) {
    float sum = acc.reduceLanes(VectorOperators.ADD);
    for (int i = bound; i < n; i++) {
      sum += w[wo + i] * x[xr + i];
    }
    return sum;
  }

  /** {@link Kernels#swiGlu}: a vector of outputs at a time, the tail as the scalar path. */
  static void swiGlu(float[] gateUp, int rows, int n, float[] out) {
    VectorSpecies<Float> sp = SPECIES;
    int bound = n - n % sp.length();
    for (int r = 0; r < rows; r++) {
      int g0 = r * 2 * n;
      for (int i = 0; i < bound; i += sp.length()) {
        FloatVector g = FloatVector.fromArray(sp, gateUp, g0 + i);
        FloatVector u = FloatVector.fromArray(sp, gateUp, g0 + n + i);
        g.div(exp(g.neg()).add(1f)).mul(u).intoArray(out, r * n + i);
      }
      for (int i = bound; i < n; i++) {
        out[r * n + i] = Kernels.swiGlu(gateUp[g0 + i], gateUp[g0 + n + i]);
      }
    }
  }

  /**
   * {@link Kernels#exp}: a vector of exponentials at a time ({@link #exp(FloatVector)}: over a 1,000-token prompt a
   * decode step takes millions), the tail with {@link Math#exp}.
   */
  static float exp(float[] a, int at, int n, float max) {
    VectorSpecies<Float> sp = SPECIES;
    int lanes = sp.length();
    int bound = n - n % lanes;
    FloatVector sum = FloatVector.zero(sp);
    for (int t = 0; t < bound; t += lanes) {
      FloatVector e = exp(FloatVector.fromArray(sp, a, at + t).sub(max));
      e.intoArray(a, at + t);
      sum = sum.add(e);
    }
    float total = sum.reduceLanes(VectorOperators.ADD);
    for (int t = bound; t < n; t++) {
      a[at + t] = (float) Math.exp(a[at + t] - max);
      total += a[at + t];
    }
    return total;
  }

  /**
   * e^x per lane from additions, products and a power of two only, so the same bits whether the JIT has compiled it
   * or not: the JDK's {@code lanewise(EXP)} (a native vector library once compiled) differs from its interpreted form
   * in the last bit (14 of 1,024 lanes, 2026-12-07), and a GenRM-CoT vote scored before and after the JIT compiled
   * the kernels came out 1e-7 apart. Cephes' expf: x = k ln 2 + r with |r| <= ln 2 / 2, e^r by a degree-6
   * polynomial, times 2^k in the exponent bits; within 2 ulp of {@link Math#exp} on [{@link Kernels#EXP_MIN},
   * {@link Kernels#EXP_MAX}], clamped outside it (a masked score's weight is 1.2e-38, not 0).
   * KernelsTest's {@code expModel} is the same steps one float at a time.
   */
  static FloatVector exp(FloatVector x) {
    VectorSpecies<Float> sp = x.species();
    FloatVector c = x.max(Kernels.EXP_MIN).min(Kernels.EXP_MAX);
    FloatVector t = c.mul(Kernels.LOG2E).add(Kernels.ROUNDER); // k + 1.5 * 2^23: k in the low bits
    FloatVector k = t.sub(Kernels.ROUNDER); // the nearest integer to c log2(e)
    FloatVector r = k.fma(FloatVector.broadcast(sp, -Kernels.LN2_HI), c);
    r = k.fma(FloatVector.broadcast(sp, -Kernels.LN2_LO), r);
    FloatVector p = r.fma(Kernels.EXP_P[0], Kernels.EXP_P[1]);
    for (int i = 2; i < Kernels.EXP_P.length; i++) {
      p = p.fma(r, FloatVector.broadcast(sp, Kernels.EXP_P[i]));
    }
    FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
    // 2^k from t's bits: a float-to-int conversion is not compiled to SIMD here and ran 40x slower
    IntVector k127 = ((IntVector) t.reinterpretAsInts()).sub(Float.floatToRawIntBits(Kernels.ROUNDER) - 127);
    return y.mul(k127.lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
  }

  /** {@link Kernels#scaleAndMax}: a vector at a time, the tail in scalars; a largest is the same in any order. */
  static float scaleAndMax(float[] a, int at, int n, float scale, float max) {
    VectorSpecies<Float> sp = SPECIES;
    int lanes = sp.length();
    int bound = n - n % lanes;
    FloatVector most = FloatVector.broadcast(sp, max);
    for (int t = 0; t < bound; t += lanes) {
      FloatVector v = FloatVector.fromArray(sp, a, at + t).mul(scale);
      v.intoArray(a, at + t);
      most = most.max(v);
    }
    return Kernels.scalarScaleAndMax(a, at + bound, n - bound, scale, most.reduceLanes(VectorOperators.MAX));
  }

  /** {@link Kernels#divide}: a vector at a time, the tail in scalars. */
  static void divide(float[] a, int at, int n, float d) {
    VectorSpecies<Float> sp = SPECIES;
    int lanes = sp.length();
    int bound = n - n % lanes;
    for (int t = 0; t < bound; t += lanes) {
      FloatVector.fromArray(sp, a, at + t).div(d).intoArray(a, at + t);
    }
    Kernels.scalarDivide(a, at + bound, n - bound, d);
  }

  /**
   * {@link Kernels#byDimProducts}: four rows x four vectors of slots at a time (each key vector loaded once for
   * four rows, each broadcast element of x used for four vectors), every output summed in order of j as the scalar
   * loop for the slots past the last whole vector does.
   */
  static void byDimProducts(float[] k, int kAt, int s, int stride, float[] x, int rows, int n, float[] y) {
    VectorSpecies<Float> sp = SPECIES;
    int lanes = sp.length();
    int bound = s - s % lanes;
    int i = 0;
    for (; i + 3 < rows; i += 4) {
      int t = 0;
      for (; t + 4 * lanes <= bound; t += 4 * lanes) {
        block4x4(k, kAt + t, stride, n, x, i, y, i * s + t, s, 4 * lanes);
      }
      for (int i2 = i; i2 < i + 4; i2++) {
        byDimVectors(k, kAt, s, stride, x, i2, n, y, t, bound, lanes);
      }
    }
    for (; i < rows; i++) {
      byDimVectors(k, kAt, s, stride, x, i, n, y, 0, bound, lanes);
    }
    for (i = 0; i < rows; i++) {
      for (int t = bound; t < s; t++) {
        float acc = 0;
        for (int j = 0; j < n; j++) {
          acc = Math.fma(k[kAt + j * stride + t], x[i * n + j], acc);
        }
        y[i * s + t] = acc;
      }
    }
  }

  /** Row i, slots [from, bound) a vector at a time. */
  private static void byDimVectors(float[] k, int kAt, int s, int stride, float[] x, int i, int n, float[] y,
      int from, int bound, int lanes) {
    VectorSpecies<Float> sp = SPECIES;
    for (int t = from; t < bound; t += lanes) {
      FloatVector a = FloatVector.zero(sp);
      for (int j = 0; j < n; j++) {
        a = FloatVector.fromArray(sp, k, kAt + j * stride + t).fma(FloatVector.broadcast(sp, x[i * n + j]), a);
      }
      a.intoArray(y, i * s + t);
    }
  }

  /**
   * y[yAt + i n ..][0, n) += sum over t in [0, s) of p[i s + t] v[vAt + t n ..][0, n) for rows i in [0, rows), four
   * rows at a time (each value vector loaded once for four), every output summed in the same order by either loop.
   */
  static void weightedSums(float[] p, int s, int rows, float[] v, int vAt, int n, float[] y, int yAt) {
    VectorSpecies<Float> sp = SPECIES;
    int lanes = sp.length();
    int bound = n - n % lanes;
    int i = 0;
    for (; i + 3 < rows; i += 4) {
      int y0 = yAt + i * n;
      int p0 = i * s;
      for (int j = 0; j < bound; j += lanes) {
        FloatVector a0 = FloatVector.fromArray(sp, y, y0 + j);
        FloatVector a1 = FloatVector.fromArray(sp, y, y0 + n + j);
        FloatVector a2 = FloatVector.fromArray(sp, y, y0 + 2 * n + j);
        FloatVector a3 = FloatVector.fromArray(sp, y, y0 + 3 * n + j);
        for (int t = 0; t < s; t++) {
          FloatVector vt = FloatVector.fromArray(sp, v, vAt + t * n + j);
          a0 = vt.fma(FloatVector.broadcast(sp, p[p0 + t]), a0);
          a1 = vt.fma(FloatVector.broadcast(sp, p[p0 + s + t]), a1);
          a2 = vt.fma(FloatVector.broadcast(sp, p[p0 + 2 * s + t]), a2);
          a3 = vt.fma(FloatVector.broadcast(sp, p[p0 + 3 * s + t]), a3);
        }
        a0.intoArray(y, y0 + j);
        a1.intoArray(y, y0 + n + j);
        a2.intoArray(y, y0 + 2 * n + j);
        a3.intoArray(y, y0 + 3 * n + j);
      }
    }
    for (; i < rows; i++) {
      int y0 = yAt + i * n;
      for (int j = 0; j < bound; j += lanes) {
        FloatVector a = FloatVector.fromArray(sp, y, y0 + j);
        for (int t = 0; t < s; t++) {
          a = FloatVector.fromArray(sp, v, vAt + t * n + j).fma(FloatVector.broadcast(sp, p[i * s + t]), a);
        }
        a.intoArray(y, y0 + j);
      }
    }
    for (i = 0; i < rows; i++) { // the elements past the last whole vector
      for (int j = bound; j < n; j++) {
        float acc = y[yAt + i * n + j];
        for (int t = 0; t < s; t++) {
          acc = Math.fma(v[vAt + t * n + j], p[i * s + t], acc);
        }
        y[yAt + i * n + j] = acc;
      }
    }
  }
}
