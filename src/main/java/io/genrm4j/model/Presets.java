package io.genrm4j.model;

import io.genrm4j.util.UserException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Named model sizes. The vocabulary comes from the tokenizer the model is created with. */
public final class Presets {
  private Presets() {}

  private record Shape(int hidden, int inter, int layers, int heads, int kvHeads, String about) {}

  private static final Map<String, Shape> SHAPES = new LinkedHashMap<>();

  static {
    SHAPES.put("test", new Shape(32, 64, 2, 4, 2, "unit tests: ~20K parameters"));
    SHAPES.put("tiny", new Shape(64, 176, 3, 4, 2, "quick experiments: ~0.15M parameters"));
    SHAPES.put("small", new Shape(128, 352, 4, 4, 2, "algorithmic tasks: ~0.7M parameters"));
    SHAPES.put("base", new Shape(256, 704, 8, 8, 4, "full experiments: ~6M parameters"));
    SHAPES.put("medium", new Shape(384, 1024, 8, 6, 2, "benchmarks: ~12M parameters"));
    SHAPES.put("large", new Shape(512, 1408, 8, 8, 4, "benchmarks: ~21M parameters"));
  }

  public static Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    SHAPES.forEach((k, v) -> out.put(k, v.about()));
    return out;
  }

  /** The preset {@code name} with the given vocabulary size; tied embeddings, max 1024 positions. */
  public static ModelConfig get(String name, int vocabSize) {
    Shape s = SHAPES.get(name);
    if (s == null) {
      throw new UserException("unknown preset '" + name + "' (known: " + String.join(", ", SHAPES.keySet()) + ")");
    }
    return new ModelConfig("llama", vocabSize, s.hidden(), s.inter(), s.layers(), s.heads(), s.kvHeads(),
        s.hidden() / s.heads(), 1e-5, 10000.0, 1024, true, false, 0, -1, -1, -1);
  }
}
