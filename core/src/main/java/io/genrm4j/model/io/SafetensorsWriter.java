package io.genrm4j.model.io;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files of F32, F16 or BF16 from FP32 values (narrowed to nearest, ties to even): header padded with spaces to a multiple of 8 bytes, tensors in the map's iteration
 * order, little-endian data streamed tensor by tensor (offsets are {@code long}, so files over 2 GiB work). Every file
 * is written atomically (temporary sibling, then rename), so a failed write leaves nothing under the target name.
 */
public final class SafetensorsWriter {
  private static final int CHUNK_FLOATS = 1 << 16;
  /** The type of sharded checkpoints and of {@link #write(Path, Map, Map)}. */
  private static final SafetensorsDtype DTYPE = SafetensorsDtype.F32;

  private SafetensorsWriter() {}

  /** Writes one F32 safetensors file; {@code metadata} (may be null or empty) becomes {@code __metadata__}. */
  public static void write(Path file, Map<String, FloatTensor> tensors, Map<String, String> metadata) {
    write(file, tensors, metadata, DTYPE);
  }

  /** Writes one safetensors file of {@code dtype}: F32, F16 or BF16. */
  public static void write(Path file, Map<String, FloatTensor> tensors, Map<String, String> metadata,
      SafetensorsDtype dtype) {
    if (dtype != SafetensorsDtype.F32 && dtype != SafetensorsDtype.F16 && dtype != SafetensorsDtype.BF16) {
      throw new IllegalArgumentException("safetensors are written as F32, F16 or BF16, not " + dtype);
    }
    List<Map.Entry<String, FloatTensor>> list = validate(file, tensors);
    byte[] header = header(list, metadata, dtype);
    AtomicFiles.write(file, out -> {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
      out.write(len.array());
      out.write(header);
      ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
      for (Map.Entry<String, FloatTensor> e : list) {
        writeValues(out, e.getValue().data(), buf, dtype);
      }
    });
  }

  /**
   * Writes a Hugging Face sharded checkpoint into {@code dir}: {@code model-00001-of-0000N.safetensors} files, each
   * holding consecutive tensors up to {@code maxShardBytes} of data (a larger tensor gets a shard of its own), then
   * {@code model.safetensors.index.json} with {@code metadata.total_size} and {@code weight_map}. The index is
   * written last, so a reader never sees an index whose shards are missing. Returns the shard file names.
   */
  public static List<String> writeSharded(Path dir, Map<String, FloatTensor> tensors, long maxShardBytes) {
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
    }
    List<Map.Entry<String, FloatTensor>> list = validate(dir.resolve(SafetensorsReader.INDEX_FILE), tensors);
    List<Map<String, FloatTensor>> shards = new ArrayList<>();
    Map<String, FloatTensor> current = new LinkedHashMap<>();
    long currentBytes = 0;
    long total = 0;
    for (Map.Entry<String, FloatTensor> e : list) {
      long bytes = (long) DTYPE.bytes() * e.getValue().data().length;
      if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
        shards.add(current);
        current = new LinkedHashMap<>();
        currentBytes = 0;
      }
      current.put(e.getKey(), e.getValue());
      currentBytes += bytes;
      total += bytes;
    }
    if (!current.isEmpty() || shards.isEmpty()) {
      shards.add(current);
    }
    int n = shards.size();
    ObjectNode index = Jsonl.MAPPER.createObjectNode();
    index.putObject("metadata").put("total_size", total);
    ObjectNode weightMap = index.putObject("weight_map");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, n);
      names.add(name);
      write(dir.resolve(name), shards.get(i), Map.of("format", "pt"));
      for (String t : shards.get(i).keySet()) {
        weightMap.put(t, name);
      }
    }
    AtomicFiles.writeString(dir.resolve(SafetensorsReader.INDEX_FILE), index.toPrettyString() + "\n");
    return names;
  }

  private static List<Map.Entry<String, FloatTensor>> validate(Path target, Map<String, FloatTensor> tensors) {
    List<Map.Entry<String, FloatTensor>> list = new ArrayList<>(tensors.size());
    for (Map.Entry<String, FloatTensor> e : tensors.entrySet()) {
      String name = e.getKey();
      FloatTensor t = e.getValue();
      if (name == null || name.isEmpty() || name.equals("__metadata__")) {
        throw new UserException(target + ": invalid tensor name '" + name + "'");
      }
      if (t == null) {
        throw new UserException(target + ": tensor '" + name + "' is null");
      }
      // FloatTensor checks this on construction; the check here keeps the writer honest on its own.
      if (FloatTensor.numel(t.shape()) != t.data().length) {
        throw new UserException(target + ": tensor '" + name + "' has " + t.data().length
            + " values, expected " + FloatTensor.numel(t.shape()) + " for "
            + SafetensorsReader.describe(DTYPE.name(), t.shape()));
      }
      list.add(Map.entry(name, t));
    }
    return list;
  }

  private static byte[] header(List<Map.Entry<String, FloatTensor>> list, Map<String, String> metadata,
      SafetensorsDtype dtype) {
    ObjectNode root = Jsonl.MAPPER.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode md = root.putObject("__metadata__");
      metadata.forEach(md::put);
    }
    long offset = 0;
    for (Map.Entry<String, FloatTensor> e : list) {
      FloatTensor t = e.getValue();
      ObjectNode o = root.putObject(e.getKey());
      o.put("dtype", dtype.name());
      ArrayNode shape = o.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      long end = offset + (long) dtype.bytes() * t.data().length;
      o.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) & ~7;
    byte[] header = new byte[padded];
    System.arraycopy(json, 0, header, 0, json.length);
    for (int i = json.length; i < padded; i++) {
      header[i] = ' ';
    }
    return header;
  }

  private static void writeValues(OutputStream out, float[] data, ByteBuffer buf, SafetensorsDtype dtype)
      throws IOException {
    for (int off = 0; off < data.length; off += CHUNK_FLOATS) {
      int n = Math.min(CHUNK_FLOATS, data.length - off);
      buf.clear();
      switch (dtype) {
        case F32 -> buf.asFloatBuffer().put(data, off, n);
        case F16 -> {
          for (int i = 0; i < n; i++) {
            buf.putShort(2 * i, SafetensorsReader.floatToHalf(data[off + i]));
          }
        }
        default -> {
          for (int i = 0; i < n; i++) {
            buf.putShort(2 * i, SafetensorsReader.floatToBf16(data[off + i]));
          }
        }
      }
      out.write(buf.array(), 0, n * dtype.bytes());
    }
  }
}
