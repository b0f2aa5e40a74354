package io.genrm4j.model.io;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The safetensors element types: each knows its header name ({@link #name()}), its bytes per element, and, for the
 * types {@link SafetensorsReader#readFloats} reads, how to widen a little-endian buffer of them to FP32. F32 is read as
 * is; F16 and BF16 are widened exactly; F64, I64 and I32 are converted with Java's casts (rounding to nearest).
 */
public enum SafetensorsDtype {
  // The types read as floats come first, in the order the reader's error message lists them.
  F32(4, (buf, count, out, o) -> buf.asFloatBuffer().get(out, o, count)),
  F16(2, (buf, count, out, o) -> {
    for (int i = 0; i < count; i++) {
      out[o + i] = SafetensorsReader.halfToFloat(buf.getShort(2 * i));
    }
  }),
  BF16(2, (buf, count, out, o) -> {
    for (int i = 0; i < count; i++) {
      out[o + i] = SafetensorsReader.bf16ToFloat(buf.getShort(2 * i));
    }
  }),
  F64(8, (buf, count, out, o) -> {
    for (int i = 0; i < count; i++) {
      out[o + i] = (float) buf.getDouble(8 * i);
    }
  }),
  I64(8, (buf, count, out, o) -> {
    for (int i = 0; i < count; i++) {
      out[o + i] = (float) buf.getLong(8 * i);
    }
  }),
  I32(4, (buf, count, out, o) -> {
    for (int i = 0; i < count; i++) {
      out[o + i] = (float) buf.getInt(4 * i);
    }
  }),
  BOOL(1, null),
  U8(1, null),
  I8(1, null),
  F8_E4M3(1, null),
  F8_E5M2(1, null),
  I16(2, null),
  U16(2, null),
  U32(4, null),
  U64(8, null);

  /** Widens {@code count} elements at the start of {@code buf} (little-endian) into {@code out[o..o+count)}. */
  @FunctionalInterface
  interface FloatDecoder {
    void decode(ByteBuffer buf, int count, float[] out, int o);
  }

  private final int bytes;
  private final FloatDecoder decoder;

  SafetensorsDtype(int bytes, FloatDecoder decoder) {
    this.bytes = bytes;
    this.decoder = decoder;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  /** Whether {@link SafetensorsReader#readFloats} reads this type. */
  public boolean readsAsFloat() {
    return decoder != null;
  }

  /** Widens {@code count} elements of this type at the start of {@code buf} into {@code out} from {@code o}. */
  void decode(ByteBuffer buf, int count, float[] out, int o) {
    if (decoder == null) {
      throw new IllegalStateException(name() + " is not read as floats");
    }
    decoder.decode(buf, count, out, o);
  }

  /** The type a header names, or null when the name is none of these. */
  public static SafetensorsDtype byName(String name) {
    for (SafetensorsDtype d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    return null;
  }

  /** The names of the types read as floats, comma-separated: "F32, F16, BF16, F64, I64, I32". */
  static String floatReadable() {
    List<String> names = new ArrayList<>();
    for (SafetensorsDtype d : values()) {
      if (d.readsAsFloat()) {
        names.add(d.name());
      }
    }
    return String.join(", ", names);
  }
}
