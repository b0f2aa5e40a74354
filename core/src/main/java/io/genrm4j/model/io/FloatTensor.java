package io.genrm4j.model.io;

import java.util.Arrays;

/**
 * A dense row-major FP32 tensor held in a Java array. The compact constructor checks that {@code data.length} equals
 * the product of {@code shape}; a scalar has an empty shape and one element.
 */
public record FloatTensor(long[] shape, float[] data) {
  public FloatTensor {
    if (shape == null || data == null) {
      throw new IllegalArgumentException("shape and data must not be null");
    }
    long n = numel(shape);
    if (n != data.length) {
      throw new IllegalArgumentException(
          "data has " + data.length + " elements but shape " + Arrays.toString(shape) + " needs " + n);
    }
  }

  /** A tensor of the given shape over {@code data} (no copy). */
  public static FloatTensor of(float[] data, long... shape) {
    return new FloatTensor(shape, data);
  }

  /** The number of elements of {@code shape}; rejects negative dimensions and overflow. */
  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public long numel() {
    return data.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FloatTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "FloatTensor" + Arrays.toString(shape);
  }
}
