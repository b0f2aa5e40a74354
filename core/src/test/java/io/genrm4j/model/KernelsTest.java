package io.genrm4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kernels (SIMD, as the tests' JVM has the Vector API) give plain sums, as do their scalar fallbacks; a row's
 * outputs are bit for bit the same computed alone, beside other rows, or on two threads.
 */
class KernelsTest {
  private final Random random = new Random(4);

  @BeforeAll
  static void simd() {
    assertTrue(Kernels.VECTOR_API, "the tests run with --add-modules jdk.incubator.vector");
  }

  private float[] gaussian(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) random.nextGaussian();
    }
    return a;
  }

  @Test
  void panelProductsGivePlainSumsTheSameOnEveryPath() {
    for (int in : new int[] {64, 77, 512}) { // 77: not a whole number of vectors
      for (int b : new int[] {1, 5}) { // 5: a block of four rows and one more
        int out = in == 512 ? 1027 : 301; // a last panel part-filled; 1027 x 512: split over threads
        float[] w = gaussian(out * in);
        float[] x = gaussian(b * in);
        float[] plain = new float[b * out];
        for (int row = 0; row < b; row++) {
          for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
              plain[row * out + o] += w[o * in + i] * x[row * in + i];
            }
          }
        }
        PanelMatrix packed = PanelMatrix.of(w, out, in);
        float[] vector = new float[b * out + 3]; // longer than [b, out]: only that much is written
        Kernels.matmul(packed, x, b, vector, 1);
        String what = in + " inputs, " + b + " rows";
        assertArrayEquals(plain, Arrays.copyOf(vector, b * out), 1e-3f, what);
        assertArrayEquals(new float[3], Arrays.copyOfRange(vector, b * out, b * out + 3), what + ": past the end");
        float[] twoThreads = new float[b * out + 3];
        Kernels.matmul(packed, x, b, twoThreads, 2);
        assertArrayEquals(vector, twoThreads, what + ", 2 threads");
        float[] first = new float[out];
        Kernels.matmul(packed, Arrays.copyOf(x, in), 1, first, 1);
        assertArrayEquals(first, Arrays.copyOf(vector, out), what + ": row 0 alone");
        float[] fallback = new float[b * out + 3];
        Kernels.scalarPanelProducts(packed, x, b, fallback, 0, PanelMatrix.panels(out)); // a JVM without the module
        assertArrayEquals(vector, fallback, what + ", scalar: the same multiply-adds");
        float[] row = new float[in];
        packed.row(out - 1, row, 0);
        assertArrayEquals(Arrays.copyOfRange(w, (out - 1) * in, out * in), row, what + ": a row read back");
      }
    }
  }

  /**
   * BF16 panels: every path (a row alone, blocks of four rows, two threads, the scalar fallback) sums exactly the
   * weights rounded to BF16, so the outputs are bit for bit those of F32 panels of the rounded weights.
   */
  @Test
  void bf16PanelsGiveTheF32ProductsOfTheRoundedWeights() {
    int in = 512;
    int out = 1027; // a last panel part-filled; split over threads
    float[] w = gaussian(out * in);
    float[] rounded = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      rounded[i] = DecodeDtype.fromBf16(DecodeDtype.toBf16(w[i]));
    }
    PanelMatrix bf16 = PanelMatrix.of(w, out, in, DecodeDtype.BF16);
    PanelMatrix f32 = PanelMatrix.of(rounded, out, in);
    assertEquals(f32.size(), bf16.size());
    for (int b : new int[] {1, 3, 9}) { // alone, fewer than a block, two blocks and one more
      float[] x = gaussian(b * in);
      float[] expected = new float[b * out];
      Kernels.matmul(f32, x, b, expected, 1);
      float[] got = new float[b * out];
      Kernels.matmul(bf16, x, b, got, 1);
      assertArrayEquals(expected, got, b + " rows");
      float[] twoThreads = new float[b * out];
      Kernels.matmul(bf16, x, b, twoThreads, 2);
      assertArrayEquals(expected, twoThreads, b + " rows, 2 threads");
      float[] fallback = new float[b * out];
      Kernels.scalarPanelProducts(bf16, x, b, fallback, 0, PanelMatrix.panels(out));
      assertArrayEquals(expected, fallback, b + " rows, scalar");
    }
    float[] row = new float[in];
    bf16.row(out - 1, row, 0);
    assertArrayEquals(Arrays.copyOfRange(rounded, (out - 1) * in, out * in), row, "a row read back, rounded");
  }

  /** BF16 rounding: exact where 8 bits suffice, to the nearest otherwise, ties to even; infinities and NaN kept. */
  @Test
  void bf16RoundsToNearestTiesToEven() {
    for (float f : new float[] {0f, -0f, 1f, -2.5f, 0.15625f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      assertEquals(f, DecodeDtype.fromBf16(DecodeDtype.toBf16(f)), "exact: " + f);
    }
    float ulp = 1f / 128; // BF16's spacing in [1, 2)
    assertEquals(1f, DecodeDtype.fromBf16(DecodeDtype.toBf16(1f + ulp * 0.49f)), "down");
    assertEquals(1f + ulp, DecodeDtype.fromBf16(DecodeDtype.toBf16(1f + ulp * 0.51f)), "up");
    assertEquals(1f, DecodeDtype.fromBf16(DecodeDtype.toBf16(1f + ulp / 2)), "a tie to the even 1");
    assertEquals(1f + 2 * ulp, DecodeDtype.fromBf16(DecodeDtype.toBf16(1f + 1.5f * ulp)), "a tie to the even 1 + 2 ulp");
    assertEquals(-1f - ulp, DecodeDtype.fromBf16(DecodeDtype.toBf16(-1f - ulp * 0.51f)), "negative");
    assertTrue(Float.isNaN(DecodeDtype.fromBf16(DecodeDtype.toBf16(Float.intBitsToFloat(0x7f800001)))), "NaN");
    assertEquals(Float.POSITIVE_INFINITY, DecodeDtype.fromBf16(DecodeDtype.toBf16(Float.MAX_VALUE)), "overflow");
  }

  @Test
  void rowMajorProductsGivePlainSums() {
    for (int in : new int[] {64, 77}) {
      int out = 301; // a tail past the last block of four outputs
      float[] w = gaussian(out * in);
      float[] x = gaussian(2 * in);
      float[] vector = new float[2 * out];
      Kernels.products(w, 0, x, 0, in, 2, vector, 0, out, 0, out);
      float[] fallback = new float[2 * out];
      Kernels.scalarProducts(w, 0, x, 0, in, 2, fallback, 0, out, 0, out);
      for (int row = 0; row < 2; row++) {
        for (int o = 0; o < out; o++) {
          float plain = 0;
          for (int i = 0; i < in; i++) {
            plain += w[o * in + i] * x[row * in + i];
          }
          assertEquals(plain, vector[row * out + o], 1e-3f, in + " inputs, row " + row + ", output " + o);
          assertEquals(plain, fallback[row * out + o], 1e-3f, "scalar");
        }
      }
    }
  }

  /** Attention's scores against keys stored by dimension: [rows, n] x [n, s]. */
  @Test
  void byDimProductsGivePlainSums() {
    int n = 64;
    for (int s : new int[] {16, 150, 1135}) { // one vector; blocks of four vectors, one more and a tail
      for (int rows : new int[] {1, 6}) {
        float[] k = gaussian(n * s + 3);
        float[] x = gaussian(rows * n);
        float[] plain = new float[rows * s];
        for (int i = 0; i < rows; i++) {
          for (int t = 0; t < s; t++) {
            for (int j = 0; j < n; j++) {
              plain[i * s + t] += k[3 + j * s + t] * x[i * n + j];
            }
          }
        }
        float[] y = new float[rows * s];
        Kernels.byDimProducts(k, 3, s, s, x, rows, n, y);
        assertArrayEquals(plain, y, 1e-3f, s + " slots, " + rows + " rows");
        float[] last = new float[s];
        Kernels.byDimProducts(k, 3, s, s, Arrays.copyOfRange(x, (rows - 1) * n, rows * n), 1, n, last);
        assertArrayEquals(last, Arrays.copyOfRange(y, (rows - 1) * s, rows * s), "the last row alone");
        int fewer = s - 3; // the first slots only, read with the matrix's stride (a prefill's query block)
        float[] first = new float[rows * fewer];
        Kernels.byDimProducts(k, 3, fewer, s, x, rows, n, first);
        for (int i = 0; i < rows; i++) {
          assertArrayEquals(Arrays.copyOfRange(y, i * s, i * s + fewer), Arrays.copyOfRange(first, i * fewer,
              (i + 1) * fewer), "the first " + fewer + " of " + s + " slots, row " + i);
        }
      }
    }
  }

  /** Attention's weighted values: [rows, s] x [s, n], added to y. */
  @Test
  void weightedSumsGivePlainSums() {
    for (int n : new int[] {64, 77}) {
      for (int rows : new int[] {1, 6}) {
        int s = 37;
        float[] p = gaussian(rows * s);
        float[] v = gaussian(5 + s * n);
        float[] y0 = gaussian(rows * n + 2);
        float[] plain = y0.clone();
        for (int i = 0; i < rows; i++) {
          for (int t = 0; t < s; t++) {
            for (int j = 0; j < n; j++) {
              plain[2 + i * n + j] += p[i * s + t] * v[5 + t * n + j];
            }
          }
        }
        float[] y = y0.clone();
        Kernels.weightedSums(p, s, rows, v, 5, n, y, 2);
        assertArrayEquals(plain, y, 1e-3f, n + " dims, " + rows + " rows");
        float[] last = Arrays.copyOfRange(y0, 2 + (rows - 1) * n, 2 + rows * n);
        Kernels.weightedSums(Arrays.copyOfRange(p, (rows - 1) * s, rows * s), s, 1, v, 5, n, last, 0);
        assertArrayEquals(last, Arrays.copyOfRange(y, 2 + (rows - 1) * n, 2 + rows * n), "the last row alone");
      }
    }
  }

  /** Weighted values into a fresh output: the floats of weighted sums into zeros, whichever kernel runs. */
  @Test
  void weightedValuesAreWeightedSumsIntoZeros() {
    for (int n : new int[] {16, 64, 77, 128}) { // one vector; a 4 x 4 block; one, a vector and a tail; two blocks
      for (int rows : new int[] {1, 6}) {
        int s = 37;
        float[] p = gaussian(rows * s);
        float[] v = gaussian(5 + s * n);
        float[] sums = new float[rows * n];
        Kernels.weightedSums(p, s, rows, v, 5, n, sums, 0);
        float[] values = gaussian(rows * n); // overwritten
        Kernels.weightedValues(p, s, rows, v, 5, n, values);
        assertArrayEquals(sums, values, n + " dims, " + rows + " rows");
      }
    }
  }

  @Test
  void expGivesMathExpAndTheirSum() {
    float[] a = gaussian(1000);
    float[] e = a.clone();
    float sum = Kernels.exp(e, 3, 990, 2f);
    double plain = 0;
    for (int t = 0; t < 1000; t++) {
      if (t < 3 || t >= 993) {
        assertEquals(a[t], e[t], "outside the range: untouched");
        continue;
      }
      double x = Math.exp(a[t] - 2f);
      assertEquals(x, e[t], 1e-6 * x);
      plain += x;
    }
    assertEquals(plain, sum, 1e-5 * plain);
  }

  @Test
  void swiGluIsGateTimesSigmoidTimesUpAndARowIsTheSameAlone() {
    int rows = 3;
    int n = 37; // two vectors and a tail at 16 lanes
    float[] gu = gaussian(rows * 2 * n);
    float[] out = new float[rows * n];
    Kernels.swiGlu(gu, rows, n, out);
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < n; i++) {
        double g = gu[r * 2 * n + i];
        double want = g / (1 + Math.exp(-g)) * gu[r * 2 * n + n + i];
        assertEquals(want, out[r * n + i], 1e-6 * Math.max(1, Math.abs(want)), "row " + r + ", " + i);
      }
    }
    float[] last = new float[n];
    Kernels.swiGlu(Arrays.copyOfRange(gu, (rows - 1) * 2 * n, rows * 2 * n), 1, n, last);
    assertArrayEquals(last, Arrays.copyOfRange(out, (rows - 1) * n, rows * n), "the last row alone");
  }

  @Test
  void scalarFallbacksMatchTheVectorPaths() { // what a JVM without the module runs
    int rows = 5;
    int n = 37;
    int s = 70; // slots: whole vectors, a block of four vectors and a tail
    float[] k = gaussian(3 + n * s);
    float[] x = gaussian(rows * n);
    float[] vector = new float[rows * s];
    float[] scalar = new float[rows * s];
    Kernels.byDimProducts(k, 3, s - 5, s, x, rows, n, vector);
    Kernels.scalarByDimProducts(k, 3, s - 5, s, x, rows, n, scalar);
    assertArrayEquals(vector, scalar, "by dimension: the same multiply-adds in the same order");

    float[] p = gaussian(rows * s);
    float[] v = gaussian(2 + s * n);
    float[] y0 = gaussian(1 + rows * n);
    float[] yVector = y0.clone();
    float[] yScalar = y0.clone();
    Kernels.weightedSums(p, s, rows, v, 2, n, yVector, 1);
    Kernels.scalarWeightedSums(p, s, rows, v, 2, n, yScalar, 1);
    assertArrayEquals(yVector, yScalar, 1e-4f, "weighted sums (fused multiply-adds against plain ones)");

    float[] gu = gaussian(rows * 2 * n);
    float[] actVector = new float[rows * n];
    float[] actScalar = new float[rows * n];
    Kernels.swiGlu(gu, rows, n, actVector);
    Kernels.scalarSwiGlu(gu, rows, n, actScalar);
    assertArrayEquals(actVector, actScalar, 1e-6f, "SwiGLU");

    float[] a = gaussian(100);
    float[] eVector = a.clone();
    float[] eScalar = a.clone();
    float sumVector = Kernels.exp(eVector, 1, 98, 0.5f);
    float sumScalar = Kernels.scalarExp(eScalar, 1, 98, 0.5f);
    for (int t = 0; t < 100; t++) {
      assertEquals(eScalar[t], eVector[t], 1e-6 * Math.max(1, eScalar[t]), "exp at " + t);
    }
    assertEquals(sumScalar, sumVector, 1e-5 * sumScalar, "exp's sum");

    float[] scores = gaussian(3 + 70); // whole vectors and a tail
    float[] sVector = scores.clone();
    float[] sScalar = scores.clone();
    float most = Kernels.scaleAndMax(sVector, 3, 67, 0.125f, -1f);
    assertEquals(Kernels.scalarScaleAndMax(sScalar, 3, 67, 0.125f, -1f), most, "the largest scaled score");
    assertArrayEquals(sScalar, sVector, "scaled: the same products");
    assertEquals(5f, Kernels.scaleAndMax(sVector.clone(), 3, 67, 1f, 5f), "the largest given when none is larger");
    Kernels.divide(sVector, 3, 67, 1.7f);
    Kernels.scalarDivide(sScalar, 3, 67, 1.7f);
    assertArrayEquals(sScalar, sVector, "divided: the same quotients");
    assertEquals(scores[0], sVector[0], "nothing before the range");
  }

  /**
   * The SIMD exp is its scalar model lane for lane, bit for bit, on its first call and after the JIT has compiled it
   * (the JDK's lanewise EXP differed in the last bit between the two); within 2 ulp of Math.exp on its range, and
   * clamped to it outside.
   */
  @Test
  void simdExpIsItsScalarModelCompiledOrNotAndCloseToMathExp() {
    int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    float[] x = new float[lanes * 64];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (random.nextDouble() * 190 - 95);
    }
    float[] special = {0f, -0f, 1f, -1f, Kernels.EXP_MIN, Kernels.EXP_MAX, -87.4f, 88.8f, -1e30f, 1e30f,
        Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0.3465736f, -0.3465736f, 88.3f, -87f};
    System.arraycopy(special, 0, x, 0, special.length);
    float[] first = simdExp(x);
    for (int i = 0; i < x.length; i++) {
      assertEquals(Float.floatToIntBits(expModel(x[i])), Float.floatToIntBits(first[i]), "x = " + x[i]);
      float in = Math.min(Math.max(x[i], Kernels.EXP_MIN), Kernels.EXP_MAX);
      assertEquals(Math.exp(in), first[i], 2 * Math.ulp((float) Math.exp(in)), "x = " + x[i]);
    }
    for (int round = 0; round < 20_000; round++) { // enough calls for the JIT to compile the kernel
      simdExp(x);
    }
    assertArrayEquals(first, simdExp(x), "the same bits compiled");
  }

  /**
   * The SIMD exp's steps ({@code VectorRows.exp}) one float at a time: each of its lanes equals this bit for bit,
   * compiled or not.
   */
  private static float expModel(float x) {
    if (Float.isNaN(x)) {
      return x;
    }
    float c = Math.min(Math.max(x, Kernels.EXP_MIN), Kernels.EXP_MAX);
    float k = c * Kernels.LOG2E + Kernels.ROUNDER - Kernels.ROUNDER;
    float r = Math.fma(k, -Kernels.LN2_HI, c);
    r = Math.fma(k, -Kernels.LN2_LO, r);
    float p = Math.fma(r, Kernels.EXP_P[0], Kernels.EXP_P[1]);
    for (int i = 2; i < Kernels.EXP_P.length; i++) {
      p = Math.fma(p, r, Kernels.EXP_P[i]);
    }
    float y = p * (r * r) + r + 1f;
    return y * Float.intBitsToFloat(((int) k + 127) << 23);
  }

  private static float[] simdExp(float[] x) {
    var sp = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i += sp.length()) {
      VectorRows.exp(jdk.incubator.vector.FloatVector.fromArray(sp, x, i)).intoArray(out, i);
    }
    return out;
  }
}
