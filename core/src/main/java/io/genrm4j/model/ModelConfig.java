package io.genrm4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.model.io.SafetensorsDtype;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A Llama-family decoder's shape, mirroring Hugging Face {@code LlamaConfig} (Llama 2 and 3.x, whose
 * {@code rope_scaling} is {@link RopeScaling}), {@code Qwen2Config} (q/k/v projections carry biases),
 * {@code Qwen3Config} (a per-head RMSNorm on queries and keys before RoPE), {@code MistralConfig} and
 * {@code Phi3Config} (a sliding window on every layer; Phi-3 fuses q/k/v and gate/up on disk: {@link
 * FusedProjections}), {@code GemmaConfig} (embeddings scaled by sqrt(hidden), RMSNorm gains stored as w - 1,
 * tanh-GELU MLP) and {@code Gemma2Config} (also soft-capped attention and output logits, a query scale of its own,
 * norms after attention and around the MLP, a sliding window on every even layer).
 * {@code numLabels = 1} adds a scalar head {@code score.weight} as in HF's {@code LlamaForSequenceClassification};
 * the discriminative reward model uses it.
 */
public record ModelConfig(
    String modelType,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    int maxPositionEmbeddings,
    int slidingWindow,
    double queryPreAttnScalar,
    double attnLogitSoftcapping,
    double finalLogitSoftcapping,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    int numLabels,
    int bosTokenId,
    int eosTokenId,
    int padTokenId) {

  /**
   * The most positions a config may declare: the rotary tables are built for every position at load ([positions,
   * head_dim] floats, twice), so 2^20 positions of a 128-wide head are already 1 GiB.
   */
  public static final int MAX_POSITIONS = 1 << 20;

  public ModelConfig {
    require(vocabSize > 0, "vocab_size must be positive");
    require(hiddenSize > 0 && numHiddenLayers > 0 && intermediateSize > 0, "sizes must be positive");
    require(numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0 || headDim > 0,
        "hidden_size must be divisible by num_attention_heads");
    require(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0,
        "num_attention_heads must be a multiple of num_key_value_heads");
    require(headDim % 2 == 0, "head_dim must be even for rotary embeddings");
    require(numLabels == 0 || numLabels == 1, "num_labels must be 0 (none) or 1 (a scalar score head)");
    require(maxPositionEmbeddings >= 1 && maxPositionEmbeddings <= MAX_POSITIONS, "max_position_embeddings must be "
        + "in [1, " + MAX_POSITIONS + "], got " + maxPositionEmbeddings);
    require(slidingWindow >= 0, "sliding_window must be positive (0: none)");
    require(queryPreAttnScalar >= 0 && attnLogitSoftcapping >= 0 && finalLogitSoftcapping >= 0,
        "query_pre_attn_scalar and the soft-capping values must be positive (0: none)");
  }

  /** Gemma or Gemma2: embeddings scaled by sqrt(hidden), RMSNorm by (1 + w), tanh-approximated GELU gate. */
  public boolean gemma() {
    return "gemma".equals(modelType) || "gemma2".equals(modelType);
  }

  /** Gemma2's four norms per layer: the attention's and the MLP's outputs are normed before the residual add. */
  public boolean sandwichNorms() {
    return "gemma2".equals(modelType);
  }

  /** Whether layer {@code l} attends only to the last {@link #slidingWindow} tokens (Mistral: all; Gemma2: even). */
  public boolean slidingLayer(int l) {
    return slidingWindow > 0 && slidingWindow < maxPositionEmbeddings && (!sandwichNorms() || l % 2 == 0);
  }

  /** The attention logits' scale: 1 / sqrt(query_pre_attn_scalar) where set (Gemma2), else 1 / sqrt(head_dim). */
  public double attentionScale() {
    return 1.0 / Math.sqrt(queryPreAttnScalar > 0 ? queryPreAttnScalar : headDim);
  }

  /**
   * How rotary frequencies are rescaled for a longer context, as HF's {@code rope_scaling}: {@code default} (none),
   * {@code linear} (every frequency divided by {@code factor}) or {@code llama3} (long wavelengths divided by
   * {@code factor}, short ones kept, a smooth blend between; Llama 3.1-3.3). The others (yarn, dynamic, longrope)
   * change more than the frequencies and are refused by {@link #read}.
   */
  public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
      int originalMaxPositions) {
    public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 0, 0);

    public RopeScaling {
      require(type.equals("default") || type.equals("linear") || type.equals("llama3"),
          "rope_scaling type '" + type + "' is not supported (default, linear, llama3)");
      require(factor > 0, "rope_scaling factor must be positive");
      require(!type.equals("llama3") || highFreqFactor > lowFreqFactor && lowFreqFactor > 0
          && originalMaxPositions > 0, "rope_scaling llama3 needs 0 < low_freq_factor < high_freq_factor and "
          + "original_max_position_embeddings");
    }

    /** The scaled inverse frequency of one rotary pair whose unscaled inverse frequency is {@code invFreq}. */
    double apply(double invFreq) {
      return switch (type) {
        case "linear" -> invFreq / factor;
        case "llama3" -> {
          double wavelen = 2 * Math.PI / invFreq;
          if (wavelen < originalMaxPositions / highFreqFactor) {
            yield invFreq; // high frequency: kept
          }
          if (wavelen > originalMaxPositions / lowFreqFactor) {
            yield invFreq / factor; // low frequency: interpolated
          }
          double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
          yield (1 - smooth) * invFreq / factor + smooth * invFreq;
        }
        default -> invFreq;
      };
    }
  }

  /** The rotary inverse frequencies of pairs (i, i + headDim/2), i < headDim/2, after {@link #ropeScaling}. */
  public double[] inverseFrequencies() {
    double[] f = new double[headDim / 2];
    for (int i = 0; i < f.length; i++) {
      f[i] = ropeScaling.apply(Math.pow(ropeTheta, -2.0 * i / headDim));
    }
    return f;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Q/K/V projections have biases (Qwen2 always; Llama when {@code attention_bias}). */
  public boolean qkvBias() {
    return attentionBias || "qwen2".equals(modelType);
  }

  /** Queries and keys get a per-head RMSNorm ({@code q_norm}, {@code k_norm}, [head_dim]) before RoPE (Qwen3). */
  public boolean qkNorm() {
    return "qwen3".equals(modelType);
  }

  /** The output projection has a bias (Llama with {@code attention_bias} only). */
  public boolean oBias() {
    return attentionBias && !"qwen2".equals(modelType);
  }

  public ModelConfig withVocabSize(int v) {
    return toBuilder().vocabSize(v).build();
  }

  public ModelConfig withNumLabels(int n) {
    return toBuilder().numLabels(n).build();
  }

  /** This shape with the output head tied to the input embeddings or a matrix of its own ({@code lm_head}). */
  public ModelConfig withTiedEmbeddings(boolean tied) {
    return toBuilder().tieWordEmbeddings(tied).build();
  }

  public ModelConfig withSpecialTokens(int bos, int eos, int pad) {
    return toBuilder().bosTokenId(bos).eosTokenId(eos).padTokenId(pad).build();
  }

  /**
   * A config by field name. The sizes (vocabulary, hidden, intermediate, layers, heads) must be set; the rest start
   * at Hugging Face {@code LlamaConfig}'s defaults, as {@link #read} does for a field a file leaves out.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this config. */
  public Builder toBuilder() {
    return new Builder().modelType(modelType).vocabSize(vocabSize).hiddenSize(hiddenSize)
        .intermediateSize(intermediateSize).numHiddenLayers(numHiddenLayers).numAttentionHeads(numAttentionHeads)
        .numKeyValueHeads(numKeyValueHeads).headDim(headDim).rmsNormEps(rmsNormEps).ropeTheta(ropeTheta)
        .ropeScaling(ropeScaling).maxPositionEmbeddings(maxPositionEmbeddings).slidingWindow(slidingWindow)
        .queryPreAttnScalar(queryPreAttnScalar).attnLogitSoftcapping(attnLogitSoftcapping)
        .finalLogitSoftcapping(finalLogitSoftcapping).tieWordEmbeddings(tieWordEmbeddings)
        .attentionBias(attentionBias).numLabels(numLabels).bosTokenId(bosTokenId).eosTokenId(eosTokenId)
        .padTokenId(padTokenId);
  }

  /** Sets fields by name; {@link #build} checks them as the constructor does. */
  public static final class Builder {
    private String modelType = "llama";
    private int vocabSize;
    private int hiddenSize;
    private int intermediateSize;
    private int numHiddenLayers;
    private int numAttentionHeads;
    private int numKeyValueHeads = -1; // -1 = numAttentionHeads (multi-head attention)
    private int headDim = -1; // -1 = hiddenSize / numAttentionHeads
    private double rmsNormEps = 1e-6;
    private double ropeTheta = 10000.0;
    private RopeScaling ropeScaling = RopeScaling.NONE;
    private int maxPositionEmbeddings = 2048;
    private int slidingWindow = 0; // 0 = none
    private double queryPreAttnScalar = 0; // 0 = head_dim
    private double attnLogitSoftcapping = 0; // 0 = none
    private double finalLogitSoftcapping = 0;
    private boolean tieWordEmbeddings = false;
    private boolean attentionBias = false;
    private int numLabels = 0;
    private int bosTokenId = -1; // -1 = none
    private int eosTokenId = -1;
    private int padTokenId = -1;

    private Builder() {}

    public Builder modelType(String v) { modelType = v; return this; }
    public Builder vocabSize(int v) { vocabSize = v; return this; }
    public Builder hiddenSize(int v) { hiddenSize = v; return this; }
    public Builder intermediateSize(int v) { intermediateSize = v; return this; }
    public Builder numHiddenLayers(int v) { numHiddenLayers = v; return this; }
    public Builder numAttentionHeads(int v) { numAttentionHeads = v; return this; }
    public Builder numKeyValueHeads(int v) { numKeyValueHeads = v; return this; }
    public Builder headDim(int v) { headDim = v; return this; }
    public Builder rmsNormEps(double v) { rmsNormEps = v; return this; }
    public Builder ropeTheta(double v) { ropeTheta = v; return this; }
    public Builder ropeScaling(RopeScaling v) { ropeScaling = v; return this; }
    public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }
    public Builder slidingWindow(int v) { slidingWindow = v; return this; }
    public Builder queryPreAttnScalar(double v) { queryPreAttnScalar = v; return this; }
    public Builder attnLogitSoftcapping(double v) { attnLogitSoftcapping = v; return this; }
    public Builder finalLogitSoftcapping(double v) { finalLogitSoftcapping = v; return this; }
    public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
    public Builder attentionBias(boolean v) { attentionBias = v; return this; }
    public Builder numLabels(int v) { numLabels = v; return this; }
    public Builder bosTokenId(int v) { bosTokenId = v; return this; }
    public Builder eosTokenId(int v) { eosTokenId = v; return this; }
    public Builder padTokenId(int v) { padTokenId = v; return this; }

    public ModelConfig build() {
      int kvHeads = numKeyValueHeads != -1 ? numKeyValueHeads : numAttentionHeads;
      int dim = headDim != -1 ? headDim : numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0;
      return new ModelConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
          kvHeads, dim, rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, slidingWindow, queryPreAttnScalar,
          attnLogitSoftcapping, finalLogitSoftcapping, tieWordEmbeddings, attentionBias, numLabels,
          bosTokenId, eosTokenId, padTokenId);
    }
  }

  /** Parameter count, embeddings included (the tied head counted once). */
  public long parameterCount() {
    long d = hiddenSize;
    long q = (long) numAttentionHeads * headDim;
    long kv = (long) numKeyValueHeads * headDim;
    long attn = d * q + 2 * d * kv + q * d + (qkvBias() ? q + 2 * kv : 0) + (oBias() ? d : 0);
    long mlp = 3 * d * intermediateSize;
    long layer = attn + mlp + (sandwichNorms() ? 4 : 2) * d + (qkNorm() ? 2L * headDim : 0);
    long emb = (long) vocabSize * d;
    return emb + (tieWordEmbeddings ? 0 : emb) + numHiddenLayers * layer + d + (long) numLabels * d;
  }

  /** Reads {@code config.json} of a Hugging Face Llama, Qwen2, Qwen3, Mistral, Phi-3, Gemma or Gemma2 checkpoint. */
  public static ModelConfig read(Path file) {
    JsonNode n;
    try {
      n = Jsonl.MAPPER.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new UserException(file + ": no such file");
    } catch (IOException e) {
      throw new UserException(file + ": not valid JSON: " + e.getMessage());
    }
    if (n == null || !n.isObject()) {
      throw new UserException(file + ": expected a JSON object");
    }
    String type = n.path("model_type").asText("llama");
    if (!SUPPORTED_TYPES.contains(type)) {
      throw new UserException(file + ": model_type '" + type + "' is not supported (" + String.join(", ",
          SUPPORTED_TYPES) + ")");
    }
    if (n.path("mlp_bias").asBoolean(false)) {
      throw new UserException(file + ": mlp_bias true is not supported");
    }
    boolean gemma = type.startsWith("gemma");
    // Gemma's MLP uses hidden_activation (tanh GELU when unset) whatever hidden_act says; the others use hidden_act
    String act = gemma ? n.path("hidden_activation").asText("gelu_pytorch_tanh") : n.path("hidden_act").asText("silu");
    if (!act.equals(gemma ? "gelu_pytorch_tanh" : "silu")) {
      throw new UserException(file + ": " + (gemma ? "hidden_activation" : "hidden_act") + " '" + act
          + "' is not supported for " + type + " (" + (gemma ? "gelu_pytorch_tanh" : "silu") + ")");
    }
    int maxPositions = n.path("max_position_embeddings").asInt(2048);
    JsonNode window = n.get("sliding_window");
    // Mistral uses its window on every layer, Gemma2 on every even one: both are built. Qwen2/Qwen3 with
    // use_sliding_window window only the layers from max_window_layers on, which is not built: refused, since full
    // attention there would be a silently different forward.
    RopeScaling scaling = ropeScaling(n.get("rope_scaling"), file);
    boolean windowed = type.equals("mistral") || type.equals("gemma2") || type.equals("phi3");
    if (n.path("partial_rotary_factor").asDouble(1) != 1) {
      throw new UserException(file + ": partial_rotary_factor " + n.get("partial_rotary_factor")
          + " is not supported (rotary embeddings on the whole head)");
    }
    if (!windowed && n.path("use_sliding_window").asBoolean(false) && window != null && window.isNumber()
        && window.asInt() < maxPositions) {
      throw new UserException(file + ": sliding_window " + window.asInt() + " (shorter than max_position_embeddings "
          + maxPositions + ") with use_sliding_window is not supported for " + type);
    }
    if (type.equals("gemma2") && !n.has("sliding_window")) {
      throw new UserException(file + ": missing field 'sliding_window' (gemma2)");
    }
    int hidden = requiredInt(n, file, "hidden_size");
    int heads = requiredInt(n, file, "num_attention_heads");
    try {
      return builder()
          .modelType(type)
          .vocabSize(requiredInt(n, file, "vocab_size"))
          .hiddenSize(hidden)
          .intermediateSize(requiredInt(n, file, "intermediate_size"))
          .numHiddenLayers(requiredInt(n, file, "num_hidden_layers"))
          .numAttentionHeads(heads)
          .numKeyValueHeads(n.path("num_key_value_heads").isNumber() ? n.get("num_key_value_heads").asInt() : heads)
          .headDim(n.path("head_dim").isNumber() ? n.get("head_dim").asInt() : gemma ? 256 : hidden / heads)
          .rmsNormEps(n.path("rms_norm_eps").asDouble(1e-6))
          .ropeTheta(n.path("rope_theta").asDouble(10000.0))
          .ropeScaling(scaling)
          .maxPositionEmbeddings(maxPositions)
          .slidingWindow(windowed && window != null && window.isNumber() ? window.asInt() : 0)
          // Gemma2Config's defaults where a field is absent; null turns soft-capping off
          .queryPreAttnScalar(type.equals("gemma2") ? gemma2Field(n, "query_pre_attn_scalar", 256) : 0)
          .attnLogitSoftcapping(type.equals("gemma2") ? gemma2Field(n, "attn_logit_softcapping", 50) : 0)
          .finalLogitSoftcapping(type.equals("gemma2") ? gemma2Field(n, "final_logit_softcapping", 30) : 0)
          .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(gemma)) // Gemma ties by default
          .attentionBias(n.path("attention_bias").asBoolean(false))
          .numLabels(n.path("num_labels").asInt(n.has("id2label") ? n.get("id2label").size() : 0) == 1 ? 1 : 0)
          .bosTokenId(n.path("bos_token_id").asInt(-1))
          .eosTokenId(n.path("eos_token_id").isArray() ? n.get("eos_token_id").get(0).asInt()
              : n.path("eos_token_id").asInt(-1))
          .padTokenId(n.path("pad_token_id").asInt(-1))
          .build();
    } catch (IllegalArgumentException e) {
      throw new UserException(file + ": " + e.getMessage());
    }
  }

  /** The model types {@link #read} accepts. */
  public static final java.util.List<String> SUPPORTED_TYPES =
      java.util.List.of("llama", "qwen2", "qwen3", "mistral", "phi3", "gemma", "gemma2");

  private static double gemma2Field(JsonNode n, String field, double absent) {
    JsonNode v = n.get(field);
    return v == null ? absent : v.isNull() ? 0 : v.asDouble();
  }

  /** HF's {@code rope_scaling} object (null or absent: none); any other kind is a one-line error naming it. */
  private static RopeScaling ropeScaling(JsonNode r, Path file) {
    if (r == null || r.isNull()) {
      return RopeScaling.NONE;
    }
    // transformers wrote "type" before 4.45 and "rope_type" since; both name the same thing
    String type = r.path("rope_type").asText(r.path("type").asText("default"));
    try {
      return switch (type) {
        case "default" -> RopeScaling.NONE;
        case "linear" -> new RopeScaling(type, r.path("factor").asDouble(1), 0, 0, 0);
        case "llama3" -> new RopeScaling(type, r.path("factor").asDouble(0), r.path("low_freq_factor").asDouble(0),
            r.path("high_freq_factor").asDouble(0), r.path("original_max_position_embeddings").asInt(0));
        default -> throw new IllegalArgumentException("rope_scaling type '" + type
            + "' is not supported (default, linear, llama3)");
      };
    } catch (IllegalArgumentException e) {
      throw new UserException(file + ": " + e.getMessage());
    }
  }

  private static int requiredInt(JsonNode n, Path file, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new UserException(file + ": missing field '" + field + "'");
    }
    if (!v.canConvertToInt()) {
      throw new UserException(file + ": field '" + field + "' must be an integer, got " + v);
    }
    return v.asInt();
  }

  private static void putCap(ObjectNode n, String field, double cap) {
    if (cap > 0) {
      n.put(field, cap);
    } else {
      n.putNull(field);
    }
  }

  /** The HF {@code config.json} text of this config, for F32 weights. */
  public String toJson() {
    return toJson(SafetensorsDtype.F32);
  }

  /** The HF {@code config.json} text of this config, for weights stored as {@code dtype} (F32, F16 or BF16). */
  public String toJson(SafetensorsDtype dtype) {
    ObjectNode n = Jsonl.MAPPER.createObjectNode();
    boolean classifier = numLabels == 1;
    String family = switch (modelType) {
      case "qwen2" -> "Qwen2";
      case "qwen3" -> "Qwen3";
      case "mistral" -> "Mistral";
      case "phi3" -> "Phi3";
      case "gemma" -> "Gemma";
      case "gemma2" -> "Gemma2";
      default -> "Llama";
    };
    n.putArray("architectures").add(family + (classifier ? "ForSequenceClassification" : "ForCausalLM"));
    n.put("model_type", modelType);
    n.put("vocab_size", vocabSize);
    n.put("hidden_size", hiddenSize);
    n.put("intermediate_size", intermediateSize);
    n.put("num_hidden_layers", numHiddenLayers);
    n.put("num_attention_heads", numAttentionHeads);
    n.put("num_key_value_heads", numKeyValueHeads);
    n.put("head_dim", headDim);
    n.put("hidden_act", gemma() ? "gelu_pytorch_tanh" : "silu");
    if (gemma()) {
      n.put("hidden_activation", "gelu_pytorch_tanh");
    }
    if (slidingWindow > 0) {
      n.put("sliding_window", slidingWindow);
    }
    if (sandwichNorms()) {
      n.put("query_pre_attn_scalar", queryPreAttnScalar > 0 ? queryPreAttnScalar : headDim);
      putCap(n, "attn_logit_softcapping", attnLogitSoftcapping);
      putCap(n, "final_logit_softcapping", finalLogitSoftcapping);
    }
    n.put("rms_norm_eps", rmsNormEps);
    n.put("rope_theta", ropeTheta);
    if (ropeScaling.type().equals("default")) {
      n.putNull("rope_scaling");
    } else {
      ObjectNode r = n.putObject("rope_scaling");
      r.put("rope_type", ropeScaling.type());
      r.put("factor", ropeScaling.factor());
      if (ropeScaling.type().equals("llama3")) {
        r.put("low_freq_factor", ropeScaling.lowFreqFactor());
        r.put("high_freq_factor", ropeScaling.highFreqFactor());
        r.put("original_max_position_embeddings", ropeScaling.originalMaxPositions());
      }
    }
    n.put("max_position_embeddings", maxPositionEmbeddings);
    n.put("tie_word_embeddings", tieWordEmbeddings);
    n.put("attention_bias", attentionBias);
    n.put("mlp_bias", false);
    n.put("initializer_range", 0.02);
    n.put("torch_dtype", switch (dtype) {
      case F16 -> "float16";
      case BF16 -> "bfloat16";
      default -> "float32";
    });
    if (bosTokenId >= 0) {
      n.put("bos_token_id", bosTokenId);
    }
    if (eosTokenId >= 0) {
      n.put("eos_token_id", eosTokenId);
    }
    if (padTokenId >= 0) {
      n.put("pad_token_id", padTokenId);
    }
    if (classifier) {
      n.put("num_labels", 1);
      n.putObject("id2label").put("0", "LABEL_0");
      n.putObject("label2id").put("LABEL_0", 0);
    }
    try {
      return Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
