package io.genrm4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  static Map<String, FloatTensor> sample() {
    Random r = new Random(7);
    Map<String, FloatTensor> m = new LinkedHashMap<>();
    m.put("model.embed_tokens.weight", FloatTensor.of(randn(r, 12), 4, 3));
    m.put("model.layers.0.self_attn.q_proj.weight", FloatTensor.of(randn(r, 24), 2, 3, 4));
    m.put("scalar", FloatTensor.of(new float[] {Float.NaN}));
    m.put("model.norm.weight", FloatTensor.of(new float[] {1f, -0f, Float.POSITIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE}, 5));
    m.put("empty", FloatTensor.of(new float[0], 0, 7));
    m.put("a", FloatTensor.of(randn(r, 3), 3));
    return m;
  }

  static float[] randn(Random r, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) r.nextGaussian();
    }
    return f;
  }

  @Test
  void roundTrip() throws IOException {
    Map<String, FloatTensor> m = sample();
    Path f = dir.resolve("ckpt/model.safetensors");
    SafetensorsWriter.write(f, m, Map.of("format", "pt", "note", "hi \"there\""));
    byte[] bytes = Files.readAllBytes(f);
    long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLen % 8, "header padded to a multiple of 8");
    assertEquals('{', bytes[8]);
    assertEquals(8 + headerLen + 4L * m.values().stream().mapToInt(t -> t.data().length).sum(), bytes.length);
    for (Path p : List.of(f, dir.resolve("ckpt"))) {
      try (SafetensorsReader r = SafetensorsReader.open(p)) {
        assertEquals(new ArrayList<>(m.keySet()), new ArrayList<>(r.names()));
        assertEquals(Map.of("format", "pt", "note", "hi \"there\""), r.metadata());
        for (var e : m.entrySet()) {
          assertEquals("F32", r.dtype(e.getKey()));
          assertArrayEquals(e.getValue().shape(), r.shape(e.getKey()));
          assertArrayEquals(e.getValue().data(), r.readFloats(e.getKey()), 0f);
          // bit-exact, NaN and -0 included
          float[] got = r.readFloats(e.getKey());
          for (int i = 0; i < got.length; i++) {
            assertEquals(Float.floatToRawIntBits(e.getValue().data()[i]), Float.floatToRawIntBits(got[i]));
          }
        }
        assertTrue(r.contains("a"));
        assertFalse(r.contains("b"));
        UserException ex = assertThrows(UserException.class, () -> r.readFloats("b"));
        assertTrue(ex.getMessage().contains("'b'"), ex.getMessage());
      }
    }
  }

  @Test
  void largeTensorStreamsInChunks() {
    float[] data = randn(new Random(1), 3_000_001);
    Path f = dir.resolve("big.safetensors");
    SafetensorsWriter.write(f, Map.of("w", FloatTensor.of(data, data.length)), null);
    try (SafetensorsReader r = SafetensorsReader.open(f)) {
      assertArrayEquals(data, r.readFloats("w"), 0f);
      assertTrue(r.metadata().isEmpty());
    }
  }

  /** Writes a safetensors file by hand: one tensor per (name, dtype, shape, raw little-endian bytes). */
  static void writeRaw(Path f, List<Object[]> tensors) throws IOException {
    StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
    long off = 0;
    for (Object[] t : tensors) {
      byte[] b = (byte[]) t[3];
      h.append(",\"").append(t[0]).append("\":{\"dtype\":\"").append(t[1]).append("\",\"shape\":").append(t[2])
          .append(",\"data_offsets\":[").append(off).append(',').append(off + b.length).append("]}");
      off += b.length;
    }
    h.append('}');
    byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer bb = ByteBuffer.allocate((int) (8 + hb.length + off)).order(ByteOrder.LITTLE_ENDIAN);
    bb.putLong(hb.length).put(hb);
    for (Object[] t : tensors) {
      bb.put((byte[]) t[3]);
    }
    Files.write(f, bb.array());
  }

  static byte[] shorts(int... bits) {
    ByteBuffer b = ByteBuffer.allocate(2 * bits.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int s : bits) {
      b.putShort((short) s);
    }
    return b.array();
  }

  @Test
  void halfAndBfloatWiden() throws IOException {
    Path f = dir.resolve("half.safetensors");
    // F16: 1.0, -2.5, 65504 (max), smallest subnormal 2^-24, largest subnormal, -0, +inf, NaN, 2^-14 (min normal)
    byte[] f16 = shorts(0x3C00, 0xC100, 0x7BFF, 0x0001, 0x03FF, 0x8000, 0x7C00, 0x7E00, 0x0400);
    // BF16: 1.0, -2.5, 3.140625, 2^-133 (subnormal), -inf, 65280
    byte[] bf16 = shorts(0x3F80, 0xC020, 0x4049, 0x0001, 0xFF80, 0x477F);
    ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-3);
    ByteBuffer l = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(42).putLong(-7);
    ByteBuffer i32 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(16777217).putInt(-5);
    writeRaw(f, List.of(
        new Object[] {"h", "F16", "[3,3]", f16},
        new Object[] {"b", "BF16", "[6]", bf16},
        new Object[] {"d", "F64", "[2]", d.array()},
        new Object[] {"l", "I64", "[2]", l.array()},
        new Object[] {"i", "I32", "[2]", i32.array()},
        new Object[] {"u", "U8", "[2]", new byte[] {1, 2}},
        new Object[] {"q", "Q4", "[3]", new byte[] {1, 2, 3}})); // a type the reader does not know: sizes unchecked
    try (SafetensorsReader r = SafetensorsReader.open(f)) {
      assertEquals("F16", r.dtype("h"));
      assertArrayEquals(new long[] {3, 3}, r.shape("h"));
      float[] h = r.readFloats("h");
      assertArrayEquals(new float[] {1f, -2.5f, 65504f, 0x1p-24f, 1023 * 0x1p-24f, -0f, Float.POSITIVE_INFINITY,
          Float.NaN, 0x1p-14f}, h, 0f);
      assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(h[5]));
      assertArrayEquals(new float[] {1f, -2.5f, 3.140625f, 0x1p-133f, Float.NEGATIVE_INFINITY, 65280f},
          r.readFloats("b"), 0f);
      assertArrayEquals(new float[] {0.1f, -3f}, r.readFloats("d"), 0f);
      assertArrayEquals(new float[] {42f, -7f}, r.readFloats("l"), 0f);
      assertArrayEquals(new float[] {16777216f, -5f}, r.readFloats("i"), 0f); // 2^24 + 1 rounds to nearest
      UserException ex = assertThrows(UserException.class, () -> r.readFloats("u"));
      assertEquals(f + ": tensor 'u' has dtype U8, which cannot be read as floats"
          + " (supported: F32, F16, BF16, F64, I64, I32)", ex.getMessage());
      assertEquals("Q4", r.dtype("q"));
      ex = assertThrows(UserException.class, () -> r.readFloats("q"));
      assertEquals(f + ": tensor 'q' has dtype Q4, which cannot be read as floats"
          + " (supported: F32, F16, BF16, F64, I64, I32)", ex.getMessage());
    }
    // every F16 bit pattern widens to the value it denotes
    for (int bits = 0; bits < 0x10000; bits++) {
      float v = SafetensorsReader.halfToFloat((short) bits);
      int exp = (bits >>> 10) & 0x1f;
      int mant = bits & 0x3ff;
      double expect = exp == 0 ? mant * Math.pow(2, -24) : exp == 31 ? (mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
          : (1 + mant / 1024.0) * Math.pow(2, exp - 15);
      if ((bits & 0x8000) != 0) {
        expect = -expect;
      }
      assertEquals((float) expect, v, 0f, "bits " + Integer.toHexString(bits));
    }
  }

  @Test
  void narrowingToHalfAndBfloatMatchesLibtorch() {
    // every binary16 value narrows back to its own bits
    for (int bits = 0; bits < 0x10000; bits++) {
      float v = SafetensorsReader.halfToFloat((short) bits);
      short back = SafetensorsReader.floatToHalf(v);
      if (Float.isNaN(v)) {
        assertTrue(Float.isNaN(SafetensorsReader.halfToFloat(back)), Integer.toHexString(bits));
      } else {
        assertEquals(bits, back & 0xffff, "bits " + Integer.toHexString(bits));
      }
    }
    // random floats over binary16's whole range (subnormals, ties, overflow): rounded as libtorch rounds them
    Random r = new Random(11);
    float[] x = new float[200_000];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(50) - 30));
    }
    x[0] = 65520f; // halfway to the next binary16 power: rounds to infinity
    x[1] = 0x1p-25f; // halfway between 0 and the smallest subnormal: ties to even, zero
    x[2] = 0x1.8p-24f; // halfway between the first two subnormals: ties to even, the second
    x[3] = 1f + 0x1p-11f; // halfway between 1 and its successor: ties to even, 1
    float[] half = new float[x.length];
    float[] bf16 = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      half[i] = SafetensorsReader.halfToFloat(SafetensorsReader.floatToHalf(x[i]));
      bf16[i] = SafetensorsReader.bf16ToFloat(SafetensorsReader.floatToBf16(x[i]));
    }
    assertEquals(Float.POSITIVE_INFINITY, half[0]);
    assertEquals(0f, half[1]);
    assertEquals(0x1p-23f, half[2]);
    assertEquals(1f, half[3]);
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray a = manager.create(x);
      assertArrayEquals(a.toType(DataType.FLOAT16, true).toType(DataType.FLOAT32, true).toFloatArray(), half, 0f);
    }
    // bfloat16 (DJL's conversion to it aborts the JVM): the nearer of the two truncations around x, ties to even
    for (int i = 0; i < x.length; i++) {
      int bits = Float.floatToRawIntBits(x[i]);
      float down = Float.intBitsToFloat(bits & 0xffff0000);
      float up = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
      double dd = Math.abs((double) x[i] - down);
      double du = Math.abs((double) up - x[i]);
      float expect = dd < du ? down : du < dd ? up : ((bits >>> 16) & 1) == 0 ? down : up;
      assertEquals(expect, bf16[i], 0f, "x " + x[i]);
    }
  }

  @Test
  void writesHalfAndBfloatFiles() throws IOException {
    Map<String, FloatTensor> m = new LinkedHashMap<>();
    float[] w = randn(new Random(3), 70_000); // more than one write chunk
    m.put("w", FloatTensor.of(w, 700, 100));
    for (SafetensorsDtype d : List.of(SafetensorsDtype.F16, SafetensorsDtype.BF16)) {
      Path f = dir.resolve(d + ".safetensors");
      SafetensorsWriter.write(f, m, Map.of("format", "pt"), d);
      assertEquals(8 + headerLength(f) + 2L * w.length, Files.size(f));
      try (SafetensorsReader rd = SafetensorsReader.open(f)) {
        assertEquals(d.name(), rd.dtype("w"));
        float[] back = rd.readFloats("w");
        for (int i = 0; i < w.length; i++) {
          float expect = d == SafetensorsDtype.F16 ? SafetensorsReader.halfToFloat(SafetensorsReader.floatToHalf(w[i]))
              : SafetensorsReader.bf16ToFloat(SafetensorsReader.floatToBf16(w[i]));
          assertEquals(expect, back[i], 0f);
        }
      }
    }
    assertThrows(IllegalArgumentException.class,
        () -> SafetensorsWriter.write(dir.resolve("x.safetensors"), m, null, SafetensorsDtype.F64));
  }

  private static long headerLength(Path f) throws IOException {
    try (FileChannel ch = FileChannel.open(f)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, 0);
      return b.getLong(0);
    }
  }

  @Test
  void djlDecodesOurFileIdentically() throws IOException {
    Map<String, FloatTensor> m = sample();
    m.remove("empty"); // keep to what any reader handles
    Path f = dir.resolve("djl.safetensors");
    SafetensorsWriter.write(f, m, Map.of("format", "pt"));
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDList list = NDList.decode(manager, Files.readAllBytes(f));
      assertEquals(m.size(), list.size());
      int i = 0;
      for (var e : m.entrySet()) {
        NDArray a = list.get(i++);
        assertEquals(e.getKey(), a.getName());
        assertEquals(DataType.FLOAT32, a.getDataType());
        assertArrayEquals(e.getValue().shape(), a.getShape().getShape());
        assertArrayEquals(e.getValue().data(), a.toFloatArray(), 0f);
      }
    }
  }

  @Test
  void shardedRoundTrip() throws IOException {
    Map<String, FloatTensor> m = sample();
    Path out = dir.resolve("sharded");
    // 48 + 96 + 4 + 20 + 0 + 12 bytes; 64-byte shards: [embed 48] [q 96] [scalar, norm, empty, a = 36]
    List<String> shards = SafetensorsWriter.writeSharded(out, m, 64);
    assertEquals(List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
        "model-00003-of-00003.safetensors"), shards);
    JsonNode index = Jsonl.MAPPER.readTree(out.resolve("model.safetensors.index.json").toFile());
    assertEquals(180, index.get("metadata").get("total_size").asLong());
    assertEquals("model-00002-of-00003.safetensors",
        index.get("weight_map").get("model.layers.0.self_attn.q_proj.weight").asText());
    assertEquals(m.size(), index.get("weight_map").size());
    try (SafetensorsReader r = SafetensorsReader.open(out)) {
      assertEquals(m.keySet(), r.names());
      assertEquals("pt", r.metadata().get("format"));
      for (var e : m.entrySet()) {
        assertArrayEquals(e.getValue().shape(), r.shape(e.getKey()));
        assertArrayEquals(e.getValue().data(), r.readFloats(e.getKey()), 0f);
      }
      assertEquals("model-00003-of-00003.safetensors", r.file("a").getFileName().toString());
    }
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(4, s.count(), "three shards and the index, no temporaries");
    }
    // an index naming a shard that does not hold the tensor
    String bad = Files.readString(out.resolve("model.safetensors.index.json"))
        .replace("\"a\" : \"model-00003-of-00003.safetensors\"", "\"a\" : \"model-00001-of-00003.safetensors\"");
    Files.writeString(out.resolve("model.safetensors.index.json"), bad);
    UserException ex = assertThrows(UserException.class, () -> SafetensorsReader.open(out));
    assertTrue(ex.getMessage().contains("'a'"), ex.getMessage());
  }

  @Test
  void offsetsBeyondTwoGiB() throws IOException {
    long free = Files.getFileStore(dir).getUsableSpace();
    assumeTrue(free > 3L << 30, "needs 3 GiB free, have " + free);
    Path f = dir.resolve("sparse.safetensors");
    long bigElems = (1L << 29) + 3; // 2 GiB + 12 bytes of F32 zeros that are never written
    long bigBytes = 4 * bigElems;
    float[] small = {1.5f, -2f, 3.25f, 1e-7f};
    String header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[" + bigElems + "],\"data_offsets\":[0," + bigBytes + "]},"
        + "\"small\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + bigBytes + "," + (bigBytes + 16) + "]}}";
    byte[] hb = header.getBytes(StandardCharsets.UTF_8);
    try {
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          StandardOpenOption.SPARSE)) {
        ByteBuffer head = ByteBuffer.allocate(8 + hb.length).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(hb.length).put(hb).flip();
        ch.write(head, 0);
        ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : small) {
          tail.putFloat(v);
        }
        tail.flip();
        ch.write(tail, 8 + hb.length + bigBytes);
      }
      assertTrue(Files.size(f) > (1L << 31) + 16);
      try (SafetensorsReader r = SafetensorsReader.open(f)) {
        assertArrayEquals(new long[] {bigElems}, r.shape("big"));
        assertArrayEquals(small, r.readFloats("small"), 0f);
      }
    } finally {
      Files.deleteIfExists(f);
    }
  }

  @Test
  void corruptFilesNameFileAndTensor() throws IOException {
    Map<String, FloatTensor> m = new LinkedHashMap<>();
    m.put("model.embed", FloatTensor.of(new float[8], 2, 4));
    m.put("model.norm.weight", FloatTensor.of(new float[16], 16));
    Path good = dir.resolve("good.safetensors");
    SafetensorsWriter.write(good, m, null);
    byte[] bytes = Files.readAllBytes(good);

    // truncated data
    Path truncated = dir.resolve("truncated.safetensors");
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 1));
    assertMessage(truncated, truncated + ": tensor 'model.norm.weight' lies beyond the end of the file");

    // bad header JSON
    Path badJson = dir.resolve("badjson.safetensors");
    byte[] b = bytes.clone();
    b[9] = '[';
    b[10] = ':';
    Files.write(badJson, b);
    assertMessage(badJson, badJson + ": malformed safetensors header JSON");

    // wrong byte count
    Path wrong = dir.resolve("model.safetensors");
    String header = new String(bytes, 8, (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(),
        StandardCharsets.UTF_8);
    String edited = header.replace("[32,96]", "[32,95]");
    assertEquals(header.length(), edited.length());
    byte[] w = bytes.clone();
    System.arraycopy(edited.getBytes(StandardCharsets.UTF_8), 0, w, 8, edited.length());
    Files.write(wrong, w);
    assertMessage(wrong, wrong + ": tensor 'model.norm.weight' has 63 bytes, expected 64 for F32[16]");

    // impossible header length, too-short file, missing file, directory without a checkpoint
    Path hugeLen = dir.resolve("hugelen.safetensors");
    byte[] h = bytes.clone();
    h[7] = 0x7f;
    Files.write(hugeLen, h);
    assertMessage(hugeLen, hugeLen + ": not a safetensors file (header length");
    Path tiny = dir.resolve("tiny.safetensors");
    Files.write(tiny, new byte[] {1, 2, 3});
    assertMessage(tiny, tiny + ": not a safetensors file");
    assertMessage(dir.resolve("nope.safetensors"), dir.resolve("nope.safetensors") + ": no such file");
    Path empty = Files.createDirectory(dir.resolve("emptydir"));
    assertMessage(empty, empty + ": holds neither");
  }

  static void assertMessage(Path f, String prefix) {
    UserException e = assertThrows(UserException.class, () -> SafetensorsReader.open(f).close());
    assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void floatTensorRejectsMismatchedData() {
    assertThrows(IllegalArgumentException.class, () -> FloatTensor.of(new float[5], 2, 3));
    assertThrows(IllegalArgumentException.class, () -> FloatTensor.of(new float[0], -1));
  }

  @Test
  void failedWriteLeavesNoFile() throws IOException {
    Path f = dir.resolve("out/model.safetensors");
    Map<String, FloatTensor> m = new LinkedHashMap<>();
    m.put("ok", FloatTensor.of(new float[4], 4));
    m.put("bad", null);
    UserException e = assertThrows(UserException.class, () -> SafetensorsWriter.write(f, m, null));
    assertTrue(e.getMessage().contains("tensor 'bad'"), e.getMessage());
    assertFalse(Files.exists(f));

    // a rejected write keeps an existing file untouched and leaves no temporary behind
    SafetensorsWriter.write(f, Map.of("old", FloatTensor.of(new float[] {7f}, 1)), null);
    byte[] before = Files.readAllBytes(f);
    Map<String, FloatTensor> big = new LinkedHashMap<>();
    big.put("x", FloatTensor.of(new float[1 << 20], 1 << 20));
    big.put("__metadata__", FloatTensor.of(new float[1], 1));
    assertThrows(UserException.class, () -> SafetensorsWriter.write(f, big, null));
    assertArrayEquals(before, Files.readAllBytes(f));
    try (Stream<Path> s = Files.list(f.getParent())) {
      assertEquals(List.of(f), s.toList(), "no temporary files left behind");
    }
    Path blocked = dir.resolve("afile");
    Files.writeString(blocked, "x");
    assertThrows(RuntimeException.class,
        () -> SafetensorsWriter.write(blocked.resolve("m.safetensors"), Map.of("a", FloatTensor.of(new float[1], 1)), null));
  }
}
