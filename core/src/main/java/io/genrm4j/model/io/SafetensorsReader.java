package io.genrm4j.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads tensors from a safetensors checkpoint: one file, or a Hugging Face directory holding {@code model.safetensors}
 * or a sharded {@code model.safetensors.index.json}. Only the headers are read on open; tensor data is read on demand
 * with positional reads at {@code long} offsets, so files over 2 GiB work and nothing maps or loads a whole file.
 * F16 and BF16 are widened to F32 in Java. Safe for concurrent {@link #readFloats} calls.
 */
public final class SafetensorsReader implements AutoCloseable {
  /** The largest header accepted (the format's own limit is 100 MB). */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private static final int CHUNK_BYTES = 8 << 20;

  /** One tensor: its header dtype name and the type it names (null when the name is not a known type). */
  private record Entry(Path file, FileChannel channel, String dtypeName, SafetensorsDtype dtype, long[] shape,
      long begin, long end) {}

  private final List<FileChannel> channels;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private SafetensorsReader(List<FileChannel> channels, Map<String, Entry> entries, Map<String, String> metadata) {
    this.channels = channels;
    this.entries = entries;
    this.metadata = metadata;
  }

  /**
   * Opens a {@code .safetensors} file, a {@code model.safetensors.index.json}, or a directory holding either (the
   * index wins when both are present).
   */
  public static SafetensorsReader open(Path fileOrDir) {
    if (Files.isDirectory(fileOrDir)) {
      Path index = fileOrDir.resolve(INDEX_FILE);
      Path single = fileOrDir.resolve(SINGLE_FILE);
      if (Files.isRegularFile(index)) {
        return openIndex(index);
      }
      if (Files.isRegularFile(single)) {
        return openFiles(List.of(single), null);
      }
      throw new UserException(fileOrDir + ": holds neither " + SINGLE_FILE + " nor " + INDEX_FILE);
    }
    if (!Files.exists(fileOrDir)) {
      throw new UserException(fileOrDir + ": no such file");
    }
    if (fileOrDir.getFileName().toString().endsWith(".index.json")) {
      return openIndex(fileOrDir);
    }
    return openFiles(List.of(fileOrDir), null);
  }

  private static SafetensorsReader openIndex(Path index) {
    JsonNode root;
    try {
      root = Jsonl.MAPPER.readTree(Files.readAllBytes(index));
    } catch (JsonProcessingException e) {
      throw new UserException(index + ": malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UserException(index + ": cannot read: " + e.getMessage());
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new UserException(index + ": no \"weight_map\" object");
    }
    Map<String, String> weightMap = new LinkedHashMap<>();
    Set<String> shardNames = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new UserException(index + ": weight_map entry '" + e.getKey() + "' is not a file name");
      }
      String shard = e.getValue().asText();
      if (shard.contains("/") || shard.contains("\\") || shard.equals("..")) {
        throw new UserException(index + ": weight_map entry '" + e.getKey() + "' names '" + shard
            + "', which is not a file beside the index");
      }
      weightMap.put(e.getKey(), shard);
      shardNames.add(shard);
    }
    if (weightMap.isEmpty()) {
      throw new UserException(index + ": weight_map is empty");
    }
    Path dir = index.toAbsolutePath().getParent();
    List<Path> shards = new ArrayList<>();
    for (String s : shardNames) {
      Path p = dir.resolve(s);
      if (!Files.isRegularFile(p)) {
        throw new UserException(index + ": shard '" + s + "' does not exist");
      }
      shards.add(p);
    }
    SafetensorsReader reader = openFiles(shards, index);
    for (Map.Entry<String, String> e : weightMap.entrySet()) {
      Entry entry = reader.entries.get(e.getKey());
      if (entry == null || !entry.file.getFileName().toString().equals(e.getValue())) {
        reader.close();
        throw new UserException(index + ": tensor '" + e.getKey() + "' is listed in " + e.getValue()
            + " but that shard does not hold it");
      }
    }
    return reader;
  }

  private static SafetensorsReader openFiles(List<Path> files, Path index) {
    List<FileChannel> channels = new ArrayList<>();
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = null;
    try {
      for (Path file : files) {
        FileChannel ch;
        try {
          ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
          throw new UserException(file + ": no such file");
        } catch (IOException e) {
          throw new UserException(file + ": cannot open: " + e.getMessage());
        }
        channels.add(ch);
        Map<String, String> md = parseHeader(file, ch, entries);
        if (metadata == null) {
          metadata = md;
        }
      }
    } catch (RuntimeException e) {
      closeAll(channels);
      throw e;
    }
    return new SafetensorsReader(
        List.copyOf(channels), Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
  }

  /** Reads and validates one file's header, adding its tensors to {@code into}; returns its {@code __metadata__}. */
  private static Map<String, String> parseHeader(Path file, FileChannel ch, Map<String, Entry> into) {
    Header header = readHeader(file, ch);
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.json().fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String name = f.getKey();
      JsonNode v = f.getValue();
      if (name.equals("__metadata__")) {
        if (!v.isObject()) {
          throw new UserException(file + ": __metadata__ is not a JSON object");
        }
        v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().isTextual() ? m.getValue().asText()
            : m.getValue().toString()));
        continue;
      }
      Entry entry = parseEntry(file, ch, name, v, header);
      if (into.containsKey(name)) {
        throw new UserException(file + ": tensor '" + name + "' also appears in " + into.get(name).file);
      }
      into.put(name, entry);
    }
    return metadata;
  }

  /** A file's header JSON object and where its data section lies: bytes [dataStart, dataStart + dataLen). */
  private record Header(JsonNode json, long dataStart, long dataLen) {}

  /** Reads the 8-byte header length and the UTF-8 JSON object after it, checking each against the file's size. */
  private static Header readHeader(Path file, FileChannel ch) {
    long size;
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    try {
      size = ch.size();
      if (size < 8) {
        throw new UserException(file + ": not a safetensors file (" + size + " bytes, shorter than the 8-byte header length)");
      }
      readFully(file, ch, lenBuf, 0);
    } catch (IOException e) {
      throw new UserException(file + ": cannot read: " + e.getMessage());
    }
    long headerLen = lenBuf.flip().getLong();
    if (headerLen <= 1 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
      throw new UserException(file + ": not a safetensors file (header length " + headerLen
          + " is impossible for a file of " + size + " bytes)");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
    try {
      readFully(file, ch, hb, 8);
    } catch (IOException e) {
      throw new UserException(file + ": cannot read: " + e.getMessage());
    }
    JsonNode root = parseJsonObject(file, hb.flip());
    return new Header(root, 8 + headerLen, size - (8 + headerLen));
  }

  private static JsonNode parseJsonObject(Path file, ByteBuffer bytes) {
    String json;
    try {
      json = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes)
          .toString();
    } catch (CharacterCodingException e) {
      throw new UserException(file + ": safetensors header is not valid UTF-8");
    }
    JsonNode root;
    try {
      root = Jsonl.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new UserException(file + ": malformed safetensors header JSON: "
          + e.getOriginalMessage().replace('\n', ' '));
    }
    if (root == null || !root.isObject()) {
      throw new UserException(file + ": safetensors header is not a JSON object");
    }
    return root;
  }

  /** One tensor's header entry {@code v}, checked: a dtype, a shape, and data offsets that fit the file. */
  private static Entry parseEntry(Path file, FileChannel ch, String name, JsonNode v, Header header) {
    String where = file + ": tensor '" + name + "'";
    if (!v.isObject()) {
      throw new UserException(where + " is not described by a JSON object");
    }
    JsonNode dt = v.get("dtype");
    JsonNode sh = v.get("shape");
    JsonNode off = v.get("data_offsets");
    if (dt == null || !dt.isTextual()) {
      throw new UserException(where + " has no dtype");
    }
    if (sh == null || !sh.isArray()) {
      throw new UserException(where + " has no shape array");
    }
    if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToExactIntegral()
        || !off.get(1).canConvertToExactIntegral() || !off.get(0).canConvertToLong()
        || !off.get(1).canConvertToLong()) {
      throw new UserException(where + " has no data_offsets pair of integers");
    }
    String dtype = dt.asText();
    long[] shape = parseShape(where, sh);
    long begin = off.get(0).asLong();
    long end = off.get(1).asLong();
    if (begin < 0 || end < begin) {
      throw new UserException(where + " has bad data_offsets [" + begin + ", " + end + "]");
    }
    SafetensorsDtype type = SafetensorsDtype.byName(dtype);
    if (type != null) {
      checkByteCount(where, type, shape, end - begin, sh);
    }
    if (end > header.dataLen()) {
      throw new UserException(where + " lies beyond the end of the file: its data ends at byte " + end
          + " of the data section, which has " + header.dataLen() + " bytes (truncated file?)");
    }
    return new Entry(file, ch, dtype, type, shape, header.dataStart() + begin, header.dataStart() + end);
  }

  private static long[] parseShape(String where, JsonNode sh) {
    long[] shape = new long[sh.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = sh.get(i);
      if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0) {
        throw new UserException(where + " has a bad shape " + sh);
      }
      shape[i] = d.asLong();
    }
    return shape;
  }

  private static void checkByteCount(String where, SafetensorsDtype type, long[] shape, long bytes, JsonNode sh) {
    long expected;
    try {
      expected = Math.multiplyExact(FloatTensor.numel(shape), type.bytes());
    } catch (ArithmeticException e) {
      throw new UserException(where + " has a shape too large to address: " + sh);
    }
    if (bytes != expected) {
      throw new UserException(where + " has " + bytes + " bytes, expected " + expected + " for "
          + describe(type.name(), shape));
    }
  }

  static String describe(String dtype, long[] shape) {
    StringBuilder sb = new StringBuilder(dtype).append('[');
    for (int i = 0; i < shape.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return sb.append(']').toString();
  }

  /** Tensor names in file order (shards in file-name order). */
  public Set<String> names() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(entries.keySet()));
  }

  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  public long[] shape(String name) {
    return entry(name).shape.clone();
  }

  /** The safetensors dtype string: F32, F16, BF16, ... */
  public String dtype(String name) {
    return entry(name).dtypeName;
  }

  /** The file that holds {@code name}. */
  public Path file(String name) {
    return entry(name).file;
  }

  /** The {@code __metadata__} of the first file (of the first shard by name when sharded); empty when absent. */
  public Map<String, String> metadata() {
    return metadata;
  }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new UserException("checkpoint has no tensor '" + name + "'");
    }
    return e;
  }

  /**
   * The tensor's values as FP32, row-major. F32 is read as is; F16 and BF16 are widened exactly; F64, I64 and I32 are
   * converted with Java's casts (rounding to nearest). Other dtypes are a {@link UserException}.
   */
  public float[] readFloats(String name) {
    Entry e = entry(name);
    String where = e.file + ": tensor '" + name + "'";
    if (e.dtype == null || !e.dtype.readsAsFloat()) {
      throw new UserException(where + " has dtype " + e.dtypeName + ", which cannot be read as floats"
          + " (supported: " + SafetensorsDtype.floatReadable() + ")");
    }
    int esize = e.dtype.bytes();
    long numel = (e.end - e.begin) / esize;
    if (numel > Integer.MAX_VALUE - 16) {
      throw new UserException(where + " has " + numel + " elements, too many for one Java array");
    }
    float[] out = new float[(int) numel];
    int chunk = CHUNK_BYTES - CHUNK_BYTES % esize;
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(chunk, Math.max(e.end - e.begin, 8)))
        .order(ByteOrder.LITTLE_ENDIAN);
    long pos = e.begin;
    int o = 0;
    try {
      while (pos < e.end) {
        int n = (int) Math.min(buf.capacity(), e.end - pos);
        buf.clear().limit(n);
        readFully(e.file, e.channel, buf, pos);
        buf.flip();
        int count = n / esize;
        e.dtype.decode(buf, count, out, o);
        o += count;
        pos += n;
      }
    } catch (IOException ex) {
      throw new UserException(where + ": cannot read: " + ex.getMessage());
    }
    return out;
  }

  /** Widens IEEE 754 binary16 bits to the float of the same value (exact; NaN payloads kept). */
  public static float halfToFloat(short half) {
    int bits = half & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float f = mant * 0x1p-24f; // zero or subnormal: mant * 2^-24, exact in float
      return sign != 0 ? -f : f;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** Widens bfloat16 bits to float (exact). */
  public static float bf16ToFloat(short bf16) {
    return Float.intBitsToFloat((bf16 & 0xffff) << 16);
  }

  /**
   * Narrows a float to the nearest IEEE 754 binary16 (ties to even; overflow to infinity, NaN stays NaN): what
   * {@code torch.Tensor.half()} does. Java 17 has no {@code Float.floatToFloat16}.
   */
  public static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) { // infinity, or NaN kept quiet with the top of its payload
      return (short) (sign | 0x7c00 | (mant == 0 ? 0 : 0x200 | (mant >>> 13)));
    }
    int e = exp - 127 + 15; // the binary16 exponent field
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) { // subnormal in binary16 (or zero): value = m * 2^-24
      if (e < -10) {
        return (short) sign;
      }
      int m = mant | 0x800000;
      int shift = 14 - e;
      int rounded = m + (1 << (shift - 1)) - 1 + ((m >>> shift) & 1);
      return (short) (sign | (rounded >>> shift));
    }
    // a carry out of the mantissa bumps the exponent, and from 30 to 31 gives infinity: both correct
    int rounded = mant + 0xfff + ((mant >>> 13) & 1);
    return (short) (sign | ((e << 10) + (rounded >>> 13)));
  }

  /** Narrows a float to the nearest bfloat16 (ties to even; NaN stays NaN), as {@code torch.Tensor.bfloat16()}. */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) ((bits >>> 16) | 0x40);
    }
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  private static void readFully(Path file, FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int r = ch.read(buf, pos);
      if (r < 0) {
        throw new UserException(file + ": unexpected end of file at byte " + pos);
      }
      pos += r;
    }
  }

  private static void closeAll(List<FileChannel> channels) {
    for (FileChannel ch : channels) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // read-only channel: nothing to lose
      }
    }
  }

  @Override
  public void close() {
    closeAll(channels);
  }
}
