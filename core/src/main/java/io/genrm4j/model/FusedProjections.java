package io.genrm4j.model;

import ai.djl.ndarray.types.Shape;
import io.genrm4j.model.io.FloatTensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Phi-3 stores each layer's q/k/v projections as one {@code self_attn.qkv_proj} (rows q, then k, then v) and its
 * gate/up projections as one {@code mlp.gate_up_proj} (rows gate, then up). {@link LlamaModel} keeps them apart, so
 * checkpoints are split on load and fused again on save: what is saved is Phi-3's own layout.
 */
final class FusedProjections {
  private FusedProjections() {}

  static boolean applies(ModelConfig c) {
    return "phi3".equals(c.modelType());
  }

  /** The tensors a checkpoint of {@code c} holds, in order: the model's, with the fused pairs in place of the parts. */
  static Map<String, Shape> onDisk(ModelConfig c) {
    Map<String, Shape> ours = LlamaModel.parameterShapes(c);
    if (!applies(c)) {
      return ours;
    }
    Map<String, Shape> out = new LinkedHashMap<>();
    ours.forEach((name, shape) -> {
      if (name.endsWith("self_attn.q_proj.weight")) {
        String p = name.substring(0, name.length() - "q_proj.weight".length());
        out.put(p + "qkv_proj.weight", new Shape(rows(ours, p, "q_proj", "k_proj", "v_proj"), c.hiddenSize()));
      } else if (name.endsWith("mlp.gate_proj.weight")) {
        String p = name.substring(0, name.length() - "gate_proj.weight".length());
        out.put(p + "gate_up_proj.weight", new Shape(rows(ours, p, "gate_proj", "up_proj"), c.hiddenSize()));
      } else if (!isPart(name)) {
        out.put(name, shape);
      }
    });
    return out;
  }

  /** The model's tensors from a checkpoint's ({@link #onDisk} names), splitting the fused ones. */
  static Map<String, float[]> split(ModelConfig c, Map<String, float[]> disk) {
    if (!applies(c)) {
      return disk;
    }
    Map<String, Shape> ours = LlamaModel.parameterShapes(c);
    Map<String, float[]> out = new LinkedHashMap<>(disk);
    disk.forEach((name, data) -> {
      if (name.endsWith("self_attn.qkv_proj.weight")) {
        String p = name.substring(0, name.length() - "qkv_proj.weight".length());
        cut(data, ours, p, out, "q_proj", "k_proj", "v_proj");
        out.remove(name);
      } else if (name.endsWith("mlp.gate_up_proj.weight")) {
        String p = name.substring(0, name.length() - "gate_up_proj.weight".length());
        cut(data, ours, p, out, "gate_proj", "up_proj");
        out.remove(name);
      }
    });
    return out;
  }

  /** A checkpoint's tensors from the model's, fusing the parts (row-major [out, in]: rows concatenate). */
  static Map<String, FloatTensor> fuse(ModelConfig c, Map<String, FloatTensor> ours) {
    if (!applies(c)) {
      return ours;
    }
    Map<String, FloatTensor> out = new LinkedHashMap<>();
    ours.forEach((name, t) -> {
      if (name.endsWith("self_attn.q_proj.weight")) {
        String p = name.substring(0, name.length() - "q_proj.weight".length());
        out.put(p + "qkv_proj.weight", concat(ours, p, "q_proj", "k_proj", "v_proj"));
      } else if (name.endsWith("mlp.gate_proj.weight")) {
        String p = name.substring(0, name.length() - "gate_proj.weight".length());
        out.put(p + "gate_up_proj.weight", concat(ours, p, "gate_proj", "up_proj"));
      } else if (!isPart(name)) {
        out.put(name, t);
      }
    });
    return out;
  }

  private static boolean isPart(String name) {
    for (String part : new String[] {"q_proj", "k_proj", "v_proj", "gate_proj", "up_proj"}) {
      if (name.endsWith("." + part + ".weight")) {
        return true;
      }
    }
    return false;
  }

  private static long rows(Map<String, Shape> ours, String prefix, String... parts) {
    long n = 0;
    for (String part : parts) {
      n += ours.get(prefix + part + ".weight").get(0);
    }
    return n;
  }

  private static void cut(float[] fused, Map<String, Shape> ours, String prefix, Map<String, float[]> out,
      String... parts) {
    int from = 0;
    for (String part : parts) {
      int size = Math.toIntExact(ours.get(prefix + part + ".weight").size());
      out.put(prefix + part + ".weight", Arrays.copyOfRange(fused, from, from + size));
      from += size;
    }
  }

  private static FloatTensor concat(Map<String, FloatTensor> ours, String prefix, String... parts) {
    long rows = 0;
    int size = 0;
    long cols = 0;
    for (String part : parts) {
      FloatTensor t = ours.get(prefix + part + ".weight");
      rows += t.shape()[0];
      cols = t.shape()[1];
      size += t.data().length;
    }
    float[] data = new float[size];
    int at = 0;
    for (String part : parts) {
      float[] d = ours.get(prefix + part + ".weight").data();
      System.arraycopy(d, 0, data, at, d.length);
      at += d.length;
    }
    return new FloatTensor(new long[] {rows, cols}, data);
  }
}
