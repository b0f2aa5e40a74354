package io.genrm4j.model;

import io.genrm4j.util.UserException;
import java.util.Arrays;
import java.util.Locale;

/**
 * The number format of the plain-Java decoder's weight matrices ({@link RowDecoder}, {@link PanelMatrix}). Inputs,
 * sums, norms, softmax and logits stay F32 either way; BF16 rounds each weight to 8 significant bits once, when the
 * copies are made, and halves the bytes a product reads: a one-row product (one-stream decoding) is bound by those
 * bytes (docs/bench.md). The engine (training, the engine's forward) always computes in F32.
 */
public enum DecodeDtype {
  F32,
  BF16;

  /** {@code f32} or {@code bf16}, any case; anything else is a one-line user error. */
  public static DecodeDtype parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      String names = Arrays.toString(values()).toLowerCase(Locale.ROOT);
      throw new UserException("unknown dtype '" + name + "' (one of " + names + ")");
    }
  }

  /** Bytes of one weight. */
  public int bytes() {
    return this == F32 ? 4 : 2;
  }

  /** The BF16 nearest to {@code f} (ties to even), as its 16 bits: the upper half of the F32's bits, rounded. */
  static short toBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40); // a quiet NaN, whatever the low bits held
    }
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  /** The F32 whose upper half is {@code b} (exact). */
  static float fromBf16(short b) {
    return Float.intBitsToFloat(b << 16);
  }
}
