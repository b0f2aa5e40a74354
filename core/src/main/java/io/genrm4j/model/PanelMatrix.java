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
 *
 * <p>In {@link DecodeDtype#BF16} the same layout holds 16-bit weights in {@link #bf16} (and {@link #data} is null),
 * starting {@link #BF16_BASE} shorts in so that they lie on cache lines in the same way; a product widens each
 * vector of them to F32 as it loads it, so it sums exactly the floats {@link DecodeDtype#fromBf16} gives.
 */
final class PanelMatrix {
  /** Outputs per panel: four vectors of 16 floats (AVX-512), sixteen of 4 (NEON). */
  static final int WIDTH = 64;

  /** Index in {@link #data} of the first panel's first float; see the class comment. */
  static final int BASE = 12;

  /** {@link #BASE} for {@link #bf16}: 24 shorts, the same 48 bytes. */
  static final int BF16_BASE = 24;

  final int out;
  final int n;
  /** F32 weights, or null in BF16. */
  final float[] data;
  /** BF16 weights (their bits), or null in F32. */
  final short[] bf16;

  private PanelMatrix(int out, int n, DecodeDtype dtype) {
    this.out = out;
    this.n = n;
    int size = Math.multiplyExact(panels(out) * WIDTH, n);
    this.data = dtype == DecodeDtype.F32 ? new float[Math.addExact(BASE, size)] : null;
    this.bf16 = dtype == DecodeDtype.BF16 ? new short[Math.addExact(BF16_BASE, size)] : null;
  }

  /** Weights held, padding included: what a product reads. */
  long size() {
    return (long) panels(out) * WIDTH * n;
  }

  static int panels(int out) {
    return (out + WIDTH - 1) / WIDTH;
  }

  /** The row-major tensors {@code parts} ([out_i, n] each), their rows one after another, packed in {@code dtype}. */
  static PanelMatrix of(List<NDArray> parts, DecodeDtype dtype) {
    int n = (int) parts.get(0).getShape().get(1);
    long rows = 0;
    for (NDArray a : parts) {
      if (a.getShape().get(1) != n) {
        throw new IllegalArgumentException("parts of " + a.getShape().get(1) + " and " + n + " columns");
      }
      rows += a.getShape().get(0);
    }
    PanelMatrix m = new PanelMatrix(Math.toIntExact(rows), n, dtype);
    int o = 0;
    for (NDArray a : parts) {
      FloatBuffer f = a.toByteBuffer().asFloatBuffer();
      for (int r = 0; r < a.getShape().get(0); r++, o++) {
        for (int j = 0; j < n; j++) {
          m.set(o, j, f.get());
        }
      }
    }
    return m;
  }

  /** A row-major [out, n] array, packed in {@code dtype} (tests). */
  static PanelMatrix of(float[] rowMajor, int out, int n, DecodeDtype dtype) {
    PanelMatrix m = new PanelMatrix(out, n, dtype);
    for (int o = 0; o < out; o++) {
      for (int j = 0; j < n; j++) {
        m.set(o, j, rowMajor[o * n + j]);
      }
    }
    return m;
  }

  /** A row-major [out, n] array, packed in F32 (tests). */
  static PanelMatrix of(float[] rowMajor, int out, int n) {
    return of(rowMajor, out, n, DecodeDtype.F32);
  }

  /** Index in {@link #data} (or {@link #bf16}) of panel p's first weight (its column 0). */
  int panelStart(int p) {
    return (data != null ? BASE : BF16_BASE) + p * n * WIDTH;
  }

  private int index(int o, int j) {
    return panelStart(o / WIDTH) + j * WIDTH + o % WIDTH;
  }

  private void set(int o, int j, float w) {
    if (data != null) {
      data[index(o, j)] = w;
    } else {
      bf16[index(o, j)] = DecodeDtype.toBf16(w);
    }
  }

  /** The weight at {@code i} of {@link #data} or {@link #bf16}, as an F32. */
  float weight(int i) {
    return data != null ? data[i] : DecodeDtype.fromBf16(bf16[i]);
  }

  /** Row o into {@code dst[at ..][0, n)}: a tied embedding's lookup. */
  void row(int o, float[] dst, int at) {
    for (int j = 0; j < n; j++) {
      dst[at + j] = weight(index(o, j));
    }
  }
}
