package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * A weight matrix [out, n] for {@link Kernels#matmul}, stored in panels of {@link #WIDTH} outputs: panel p holds
 * column j of its outputs at {@code data[BASE + (p n + j) WIDTH ..][0, WIDTH)}. A product then streams each panel
 * once, front to back, and sums every output in a vector lane (one multiply-add per input, in order), with no sums
 * across lanes to reduce: at the {@code large} shape a decode step of 32 rows took half the time of row-major
 * products, whose 16 lane reductions per 4 x 4 block cost as much as the multiply-adds over 512 inputs
 * (docs/bench.md). The last panel is padded with zero columns.
 *
 * <p>The panels start {@link #BASE} floats into {@code data} so that each 64-byte vector of them lies in one cache
 * line wherever the array starts a G1 region with its floats 16 bytes on (compressed class pointers, the default):
 * G1 places every array of half a region or more so (regions are 1-32 MB by heap size; on a 23 GB machine 4 MB, so
 * the LM head and the products of 2 MB or more at the {@code large} shape). A load across two lines costs about two:
 * a 32-row product ran 20-28% faster aligned on one thread of the 2-core Intel Xeon (docs/bench.md). Other arrays
 * are aligned by chance, as before; the sums are the same either way.
 */
final class PanelMatrix {
  /** Outputs per panel: four vectors of 16 floats (AVX-512), sixteen of 4 (NEON). */
  static final int WIDTH = 64;

  /** Index in {@link #data} of the first panel's first float; see the class comment. */
  static final int BASE = 12;

  final int out;
  final int n;
  final float[] data;

  private PanelMatrix(int out, int n) {
    this.out = out;
    this.n = n;
    this.data = new float[Math.addExact(BASE, Math.multiplyExact(panels(out) * WIDTH, n))];
  }

  static int panels(int out) {
    return (out + WIDTH - 1) / WIDTH;
  }

  /** The row-major tensors {@code parts} ([out_i, n] each), their rows one after another, packed. */
  static PanelMatrix of(List<NDArray> parts) {
    int n = (int) parts.get(0).getShape().get(1);
    long rows = 0;
    for (NDArray a : parts) {
      if (a.getShape().get(1) != n) {
        throw new IllegalArgumentException("parts of " + a.getShape().get(1) + " and " + n + " columns");
      }
      rows += a.getShape().get(0);
    }
    PanelMatrix m = new PanelMatrix(Math.toIntExact(rows), n);
    int o = 0;
    for (NDArray a : parts) {
      FloatBuffer f = a.toByteBuffer().asFloatBuffer();
      for (int r = 0; r < a.getShape().get(0); r++, o++) {
        int at = m.index(o, 0);
        for (int j = 0; j < n; j++) {
          m.data[at + j * WIDTH] = f.get();
        }
      }
    }
    return m;
  }

  /** A row-major [out, n] array, packed (tests). */
  static PanelMatrix of(float[] rowMajor, int out, int n) {
    PanelMatrix m = new PanelMatrix(out, n);
    for (int o = 0; o < out; o++) {
      for (int j = 0; j < n; j++) {
        m.data[m.index(o, j)] = rowMajor[o * n + j];
      }
    }
    return m;
  }

  /** Index in {@link #data} of panel p's first float (its column 0). */
  int panelStart(int p) {
    return BASE + p * n * WIDTH;
  }

  private int index(int o, int j) {
    return panelStart(o / WIDTH) + j * WIDTH + o % WIDTH;
  }

  /** Row o into {@code dst[at ..][0, n)}: a tied embedding's lookup. */
  void row(int o, float[] dst, int at) {
    for (int j = 0; j < n; j++) {
      dst[at + j] = data[index(o, j)];
    }
  }
}
