package io.genrm4j.model;

import io.genrm4j.util.UserException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Named model shapes, one table from name to shape (as litgpt's {@code name_to_config}). The vocabulary comes from
 * the tokenizer the model is created with; every preset is a Llama with tied embeddings and 1024 positions.
 */
public final class Presets {
  private Presets() {}

  /** A shape: the fields it sets on {@link #common}, and what it is for. */
  private record Preset(String about, UnaryOperator<ModelConfig.Builder> shape) {}

  private static final Map<String, Preset> PRESETS = new LinkedHashMap<>();

  static {
    PRESETS.put("test", new Preset("unit tests: ~20K parameters", b -> b
        .hiddenSize(32).intermediateSize(64).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2)));
    PRESETS.put("tiny", new Preset("quick experiments: ~0.15M parameters", b -> b
        .hiddenSize(64).intermediateSize(176).numHiddenLayers(3).numAttentionHeads(4).numKeyValueHeads(2)));
    PRESETS.put("small", new Preset("algorithmic tasks: ~0.7M parameters", b -> b
        .hiddenSize(128).intermediateSize(352).numHiddenLayers(4).numAttentionHeads(4).numKeyValueHeads(2)));
    PRESETS.put("base", new Preset("full experiments: ~6M parameters", b -> b
        .hiddenSize(256).intermediateSize(704).numHiddenLayers(8).numAttentionHeads(8).numKeyValueHeads(4)));
    PRESETS.put("medium", new Preset("benchmarks: ~12M parameters", b -> b
        .hiddenSize(384).intermediateSize(1024).numHiddenLayers(8).numAttentionHeads(6).numKeyValueHeads(2)));
    PRESETS.put("large", new Preset("benchmarks: ~21M parameters", b -> b
        .hiddenSize(512).intermediateSize(1408).numHiddenLayers(8).numAttentionHeads(8).numKeyValueHeads(4)));
  }

  /** What every preset shares; head_dim = hidden / heads. */
  private static ModelConfig.Builder common(int vocabSize) {
    return ModelConfig.builder().modelType("llama").vocabSize(vocabSize).rmsNormEps(1e-5).ropeTheta(10000.0)
        .maxPositionEmbeddings(1024).tieWordEmbeddings(true);
  }

  public static Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    PRESETS.forEach((name, p) -> out.put(name, p.about()));
    return out;
  }

  /** The preset {@code name} with the given vocabulary size. */
  public static ModelConfig get(String name, int vocabSize) {
    Preset p = PRESETS.get(name);
    if (p == null) {
      throw new UserException("unknown preset '" + name + "' (known: " + String.join(", ", PRESETS.keySet()) + ")");
    }
    return p.shape().apply(common(vocabSize)).build();
  }
}
