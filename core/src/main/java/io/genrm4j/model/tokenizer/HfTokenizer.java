package io.genrm4j.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Any Hugging Face {@code tokenizer.json}, run by the Rust tokenizers library through DJL's {@link
 * HuggingFaceTokenizer}, built with special tokens off, truncation off and padding off (DJL's defaults would add
 * specials, truncate to 512 and pad). DJL is not given {@code tokenizer_config.json}, so it applies no lowercasing,
 * accent stripping, prefix space or decode clean-up of its own: the tokenizer.json pipeline alone decides.
 *
 * <p>bos/eos/pad come from {@code tokenizer_config.json} ({@code bos_token}, {@code eos_token}, {@code pad_token},
 * each a string or an AddedToken object) when present, else from well-known special added tokens ({@code <s>},
 * {@code <|begin_of_text|>}, ...). Without a pad token, {@link #padId} falls back to eos, then to 0.
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {
  private static final List<String> BOS_NAMES = List.of("<s>", "<bos>", "<|begin_of_text|>", "<|startoftext|>");
  private static final List<String> EOS_NAMES = List.of("</s>", "<eos>", "<|end_of_text|>", "<|endoftext|>");
  private static final List<String> PAD_NAMES = List.of("<pad>", "[PAD]", "<|pad|>", "<|finetune_right_pad_id|>");

  private final Path dir;
  private final HuggingFaceTokenizer tokenizer;
  private final String tokenizerJson;
  private final String configJson; // null when the directory had none
  private final String[] idToToken;
  private final boolean[] special;
  private final Map<String, Integer> tokenToId;
  private final OptionalInt bos;
  private final OptionalInt eos;
  private final int pad;
  private final boolean padFound;

  private HfTokenizer(Path dir, HuggingFaceTokenizer tokenizer, String tokenizerJson, String configJson) {
    this.dir = dir;
    this.tokenizer = tokenizer;
    this.tokenizerJson = tokenizerJson;
    this.configJson = configJson;
    Path file = dir.resolve(TOKENIZER_JSON);
    JsonNode tok;
    JsonNode config;
    try {
      tok = Jsonl.MAPPER.readTree(tokenizerJson);
      config = configJson == null ? null : Jsonl.MAPPER.readTree(configJson);
    } catch (IOException e) {
      throw new UserException(file + ": malformed JSON: " + e.getMessage());
    }
    tokenToId = new HashMap<>();
    Map<Integer, String> byId = new HashMap<>();
    Map<Integer, Boolean> isSpecial = new HashMap<>();
    JsonNode vocab = tok.path("model").path("vocab");
    if (vocab.isObject()) { // BPE, WordPiece, WordLevel
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        tokenToId.put(e.getKey(), e.getValue().asInt());
        byId.put(e.getValue().asInt(), e.getKey());
      }
    } else if (vocab.isArray()) { // Unigram: [[piece, score], ...], id = position
      for (int i = 0; i < vocab.size(); i++) {
        String piece = vocab.get(i).path(0).asText();
        tokenToId.putIfAbsent(piece, i);
        byId.put(i, piece);
      }
    } else {
      throw new UserException(file + ": model has no vocab");
    }
    for (JsonNode a : tok.path("added_tokens")) {
      int id = a.path("id").asInt();
      String content = a.path("content").asText();
      tokenToId.put(content, id);
      byId.put(id, content);
      isSpecial.put(id, a.path("special").asBoolean(false));
    }
    int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    idToToken = new String[size];
    special = new boolean[size];
    byId.forEach((id, t) -> {
      if (id >= 0) {
        idToToken[id] = t;
      }
    });
    isSpecial.forEach((id, s) -> {
      if (id >= 0) {
        special[id] = s;
      }
    });
    bos = specialId(config, "bos_token", BOS_NAMES);
    eos = specialId(config, "eos_token", EOS_NAMES);
    OptionalInt p = specialId(config, "pad_token", PAD_NAMES);
    padFound = p.isPresent();
    pad = padFound ? p.getAsInt() : eos.orElse(0);
  }

  private OptionalInt specialId(JsonNode config, String field, List<String> wellKnown) {
    String content = TokenizerFiles.tokenContent(config, field);
    if (content != null) {
      Integer id = tokenToId.get(content);
      return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }
    if (config != null && config.has(field)) {
      return OptionalInt.empty(); // explicitly null
    }
    for (String name : wellKnown) {
      Integer id = tokenToId.get(name);
      if (id != null && id < special.length && special[id]) {
        return OptionalInt.of(id);
      }
    }
    return OptionalInt.empty();
  }

  /** Loads {@code dir/tokenizer.json} (and {@code dir/tokenizer_config.json} when present). */
  public static HfTokenizer load(Path dir) {
    Path json = dir.resolve(TOKENIZER_JSON);
    if (!Files.isRegularFile(json)) {
      throw new UserException(dir + ": no " + TOKENIZER_JSON);
    }
    String tokenizerJson = TokenizerFiles.readString(json);
    Path cfg = dir.resolve(TOKENIZER_CONFIG_JSON);
    String configJson = Files.isRegularFile(cfg) ? TokenizerFiles.readString(cfg) : null;
    if (configJson != null) {
      TokenizerFiles.readJson(cfg); // validates, with a one-line error
    }
    HuggingFaceTokenizer hf;
    try {
      hf = HuggingFaceTokenizer.builder()
          .optTokenizerPath(json)
          .optAddSpecialTokens(false)
          .optTruncation(false)
          .optPadding(false)
          .build();
    } catch (IOException | RuntimeException e) {
      throw new UserException(json + ": cannot load tokenizer: " + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    }
    return new HfTokenizer(dir, hf, tokenizerJson, configJson);
  }

  /** The underlying DJL tokenizer. */
  public HuggingFaceTokenizer djl() {
    return tokenizer;
  }

  @Override
  public int[] encode(String text) {
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  @Override
  public String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return tokenizer.decode(l, true);
  }

  @Override
  public String tokenText(int id) {
    if (id < 0 || id >= idToToken.length || idToToken[id] == null) {
      throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + dir);
    }
    return idToToken[id];
  }

  /** The id of a vocabulary or added token string, if any. */
  public OptionalInt idOf(String token) {
    Integer id = tokenToId.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  @Override
  public int vocabSize() {
    return idToToken.length;
  }

  @Override
  public int padId() {
    return pad;
  }

  @Override
  public OptionalInt bosId() {
    return bos;
  }

  @Override
  public OptionalInt eosId() {
    return eos;
  }

  /** Copies the original tokenizer.json and tokenizer_config.json (a minimal one when there was none). */
  @Override
  public void save(Path target) {
    AtomicFiles.writeString(target.resolve(TOKENIZER_JSON), tokenizerJson);
    String config = configJson;
    if (config == null) {
      ObjectNode c = Jsonl.MAPPER.createObjectNode();
      c.put("tokenizer_class", "PreTrainedTokenizerFast");
      bos.ifPresent(id -> c.put("bos_token", idToToken[id]));
      eos.ifPresent(id -> c.put("eos_token", idToToken[id]));
      if (padFound) {
        c.put("pad_token", idToToken[pad]);
      }
      config = c.toPrettyString() + "\n";
    }
    AtomicFiles.writeString(target.resolve(TOKENIZER_CONFIG_JSON), config);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  @Override
  public String toString() {
    return "HfTokenizer[" + dir + ", " + vocabSize() + " tokens]";
  }
}
