package io.genrm4j.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowDecoder}'s matrix-vector rows with the JDK's Vector API (incubating in Java 17-25: it needs
 * {@code --add-modules jdk.incubator.vector}, which the {@code genrm} launcher passes to the commands that decode one
 * sequence). The scalar loop reads one float per load and streams weights at ~10 GB/s a core here; SIMD loads reach
 * ~18-23 GB/s, near llama.cpp's one-thread rate. Only {@link RowDecoder} refers to this class, and only when the
 * module is there ({@link RowDecoder#VECTOR_API}): without it this class is never loaded (verifying it would fail).
 */
final class VectorRows {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  private VectorRows() {}

  /**
   * y[o] = w[wAt + o n ..][0, n) . x[xAt ..][0, n) for o in [from, to): a row-major matrix of rows of n floats
   * starting at wAt; two vector sums a row.
   */
  static void rows(float[] w, int wAt, float[] x, int xAt, int n, float[] y, int from, int to) {
    VectorSpecies<Float> s = SPECIES;
    int lanes = s.length();
    int bound = n - n % (2 * lanes);
    for (int o = from; o < to; o++) {
      int b = wAt + o * n;
      FloatVector a0 = FloatVector.zero(s);
      FloatVector a1 = FloatVector.zero(s);
      for (int i = 0; i < bound; i += 2 * lanes) {
        a0 = FloatVector.fromArray(s, w, b + i).fma(FloatVector.fromArray(s, x, xAt + i), a0);
        a1 = FloatVector.fromArray(s, w, b + i + lanes).fma(FloatVector.fromArray(s, x, xAt + i + lanes), a1);
      }
      float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
      for (int i = bound; i < n; i++) {
        sum += w[b + i] * x[xAt + i];
      }
      y[o] = sum;
    }
  }
}
