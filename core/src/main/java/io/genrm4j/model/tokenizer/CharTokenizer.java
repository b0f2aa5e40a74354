package io.genrm4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * One token per character (Unicode code point) of a fixed alphabet, plus three specials: id 0 {@code <pad>}, 1
 * {@code <s>} (bos), 2 {@code </s>} (eos); the alphabet's characters follow from id 3 in order, then optional
 * <em>phrases</em>: fixed multi-character strings (the verification prompt's decision line) that are one token
 * wherever they occur, so a model reads the verdict one position after the solution instead of one per character
 * later. Saved as a standard Hugging Face {@code tokenizer.json} (BPE over the characters with no merges, no
 * normalizer or pre-tokenizer, Fuse decoder; phrases as non-special added tokens, which Rust matches
 * leftmost-longest before the model, as {@link #encode} does) that the Rust tokenizers library reads and encodes
 * identically, except that Rust also recognises the literal strings {@code <pad>}, {@code <s>} and {@code </s>}
 * inside text as special tokens, while {@link #encode} never produces a special token from text (user text can
 * never inject one). A phrase decodes to its own text, so it is not an injection risk.
 */
public final class CharTokenizer implements Tokenizer {
  /** The tokenizer_config.json field that marks our files. */
  static final String MARKER = "genrm4j_char_tokenizer";

  public static final int PAD_ID = 0;
  public static final int BOS_ID = 1;
  public static final int EOS_ID = 2;
  static final String[] SPECIALS = {"<pad>", "<s>", "</s>"};

  private final int[] codePoints; // id - 3 -> code point
  private final int[] bmp; // BMP char -> id, -1 when absent
  private final Map<Integer, Integer> supplementary; // code point above U+FFFF -> id
  private final String alphabet;
  private final String[] phrases; // id - 3 - codePoints.length -> phrase
  private final Map<Character, List<Integer>> phrasesByFirstChar; // longest first

  private CharTokenizer(int[] codePoints, String[] phrases) {
    this.codePoints = codePoints;
    this.phrases = phrases;
    this.phrasesByFirstChar = new HashMap<>();
    for (int i = 0; i < phrases.length; i++) {
      if (phrases[i].codePointCount(0, phrases[i].length()) < 2) {
        throw new IllegalArgumentException("a phrase token needs at least two characters: '" + phrases[i] + "'");
      }
      phrasesByFirstChar.computeIfAbsent(phrases[i].charAt(0), k -> new ArrayList<>()).add(i);
    }
    phrasesByFirstChar.values().forEach(l -> l.sort((a, b) -> phrases[b].length() - phrases[a].length()));
    this.bmp = new int[Character.MAX_VALUE + 1];
    Arrays.fill(bmp, -1);
    this.supplementary = new HashMap<>();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < codePoints.length; i++) {
      int cp = codePoints[i];
      if (cp <= Character.MAX_VALUE) {
        bmp[cp] = i + SPECIALS.length;
      } else {
        supplementary.put(cp, i + SPECIALS.length);
      }
      sb.appendCodePoint(cp);
    }
    this.alphabet = sb.toString();
  }

  /** A tokenizer over the distinct characters of {@code alphabet}, in order of first appearance. */
  public static CharTokenizer of(String alphabet) {
    return of(alphabet, List.of());
  }

  /** As {@link #of(String)}, with each of {@code phrases} (distinct, two characters or more) one token. */
  public static CharTokenizer of(String alphabet, List<String> phrases) {
    if (new LinkedHashSet<>(phrases).size() != phrases.size()) {
      throw new IllegalArgumentException("duplicate phrase tokens: " + phrases);
    }
    Set<Integer> cps = new LinkedHashSet<>();
    for (int i = 0; i < alphabet.length(); ) {
      int cp = alphabet.codePointAt(i);
      if (Character.isSurrogate((char) cp) && cp <= Character.MAX_VALUE) {
        throw new IllegalArgumentException("alphabet has an unpaired surrogate at offset " + i);
      }
      cps.add(cp);
      i += Character.charCount(cp);
    }
    return new CharTokenizer(cps.stream().mapToInt(Integer::intValue).toArray(), phrases.toArray(new String[0]));
  }

  /** Loads a char tokenizer saved by {@link #save}. */
  public static CharTokenizer load(Path dir) {
    Path json = dir.resolve(TOKENIZER_JSON);
    return fromTokenizerJson(json, TokenizerFiles.readJson(json));
  }

  static CharTokenizer fromTokenizerJson(Path file, JsonNode tok) {
    if (!looksLikeCharTokenizer(tok)) {
      throw new UserException(file + ": not a genrm4j character tokenizer (expected a BPE model with no merges, "
          + "single-character tokens from id 3 and <pad>, <s>, </s> at ids 0-2)");
    }
    JsonNode vocab = tok.get("model").get("vocab");
    int nPhrases = phraseTokens(tok).size();
    int[] cps = new int[vocab.size() - SPECIALS.length - nPhrases];
    String[] phrases = new String[nPhrases];
    for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      int id = e.getValue().asInt();
      if (id >= SPECIALS.length + cps.length) {
        phrases[id - SPECIALS.length - cps.length] = e.getKey();
      } else if (id >= SPECIALS.length) {
        cps[id - SPECIALS.length] = e.getKey().codePointAt(0);
      }
    }
    return new CharTokenizer(cps, phrases);
  }

  /** The non-special added tokens of a tokenizer.json: content -> id. */
  private static Map<String, Integer> phraseTokens(JsonNode tok) {
    Map<String, Integer> out = new HashMap<>();
    for (JsonNode a : tok.path("added_tokens")) {
      if (!a.path("special").asBoolean(true)) {
        out.put(a.path("content").asText(), a.path("id").asInt(-1));
      }
    }
    return out;
  }

  /** Whether a parsed tokenizer.json has exactly the structure {@link #save} writes. */
  static boolean looksLikeCharTokenizer(JsonNode tok) {
    JsonNode model = tok.path("model");
    if (!"BPE".equals(model.path("type").asText()) || !model.path("merges").isArray()
        || model.path("merges").size() != 0 || !model.path("vocab").isObject()) {
      return false;
    }
    if (!tok.path("normalizer").isMissingNode() && !tok.path("normalizer").isNull()) {
      return false;
    }
    if (!tok.path("pre_tokenizer").isMissingNode() && !tok.path("pre_tokenizer").isNull()) {
      return false;
    }
    if (!"Fuse".equals(tok.path("decoder").path("type").asText())) {
      return false;
    }
    JsonNode vocab = model.get("vocab");
    int n = vocab.size();
    Map<String, Integer> phrases = phraseTokens(tok);
    boolean[] seen = new boolean[n];
    for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().canConvertToInt()) {
        return false;
      }
      int id = e.getValue().asInt();
      if (id < 0 || id >= n || seen[id]) {
        return false;
      }
      seen[id] = true;
      String k = e.getKey();
      if (id < SPECIALS.length) {
        if (!SPECIALS[id].equals(k)) {
          return false;
        }
      } else if (id >= n - phrases.size()) {
        if (!Integer.valueOf(id).equals(phrases.get(k)) || k.codePointCount(0, k.length()) < 2) {
          return false; // phrases are the last ids, each an added token of its own id
        }
      } else if (k.isEmpty() || k.codePointCount(0, k.length()) != 1) {
        return false;
      }
    }
    return n >= SPECIALS.length + phrases.size();
  }

  /** The phrase tokens, in id order (after the characters). */
  public List<String> phrases() {
    return List.of(phrases);
  }

  /** The characters of the vocabulary in id order (ids 3, 4, ...). */
  public String alphabet() {
    return alphabet;
  }

  /** The id of one character, or -1 when it is not in the vocabulary. */
  public int idOf(int codePoint) {
    if (codePoint >= 0 && codePoint <= Character.MAX_VALUE) {
      return bmp[codePoint];
    }
    return supplementary.getOrDefault(codePoint, -1);
  }

  @Override
  public int[] encode(String text) {
    int[] out = new int[text.length()];
    int n = 0;
    int i = 0;
    int len = text.length();
    while (i < len) {
      char c = text.charAt(i);
      int id;
      int width = 1;
      int phrase = phrases.length == 0 ? -1 : phraseAt(text, i);
      if (phrase >= 0) {
        id = SPECIALS.length + codePoints.length + phrase;
        width = phrases[phrase].length();
      } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(text.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, text.charAt(i + 1));
        id = supplementary.getOrDefault(cp, -1);
        width = 2;
      } else {
        id = bmp[c];
      }
      if (id < 0) {
        throw new UserException(unknown(text.codePointAt(i), i));
      }
      out[n++] = id;
      i += width;
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  /** The longest phrase that starts at {@code i}, or -1. */
  private int phraseAt(String text, int i) {
    List<Integer> candidates = phrasesByFirstChar.get(text.charAt(i));
    if (candidates != null) {
      for (int p : candidates) {
        if (text.startsWith(phrases[p], i)) {
          return p;
        }
      }
    }
    return -1;
  }

  private static String unknown(int cp, int offset) {
    String shown = switch (cp) {
      case '\n' -> "\\n";
      case '\r' -> "\\r";
      case '\t' -> "\\t";
      default -> Character.isISOControl(cp) || Character.isSurrogate((char) cp) && cp <= Character.MAX_VALUE
          ? "?" : new String(Character.toChars(cp));
    };
    return String.format("character '%s' (U+%04X) at offset %d is not in the tokenizer vocabulary", shown, cp, offset);
  }

  @Override
  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder(ids.length);
    for (int id : ids) {
      checkId(id);
      if (id >= SPECIALS.length + codePoints.length) {
        sb.append(phrases[id - SPECIALS.length - codePoints.length]);
      } else if (id >= SPECIALS.length) {
        sb.appendCodePoint(codePoints[id - SPECIALS.length]);
      }
    }
    return sb.toString();
  }

  @Override
  public String tokenText(int id) {
    checkId(id);
    if (id >= SPECIALS.length + codePoints.length) {
      return phrases[id - SPECIALS.length - codePoints.length];
    }
    return id < SPECIALS.length ? SPECIALS[id] : new String(Character.toChars(codePoints[id - SPECIALS.length]));
  }

  private void checkId(int id) {
    if (id < 0 || id >= vocabSize()) {
      throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (size " + vocabSize() + ")");
    }
  }

  @Override
  public int vocabSize() {
    return SPECIALS.length + codePoints.length + phrases.length;
  }

  @Override
  public int padId() {
    return PAD_ID;
  }

  @Override
  public OptionalInt bosId() {
    return OptionalInt.of(BOS_ID);
  }

  @Override
  public OptionalInt eosId() {
    return OptionalInt.of(EOS_ID);
  }

  /** The Hugging Face tokenizer.json of this tokenizer. */
  public String tokenizerJson() {
    ObjectNode root = Jsonl.MAPPER.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    // Specials, then phrases (non-special: Rust matches them in text, leftmost-longest, as encode does).
    int[] ids = IntStream.concat(IntStream.range(0, SPECIALS.length),
        IntStream.range(SPECIALS.length + codePoints.length, vocabSize())).toArray();
    for (int id : ids) {
      added.addObject()
          .put("id", id)
          .put("content", tokenText(id))
          .put("single_word", false)
          .put("lstrip", false)
          .put("rstrip", false)
          .put("normalized", false)
          .put("special", id < SPECIALS.length);
    }
    root.putNull("normalizer");
    root.putNull("pre_tokenizer");
    root.putNull("post_processor");
    root.putObject("decoder").put("type", "Fuse");
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    ObjectNode vocab = model.putObject("vocab");
    for (int i = 0; i < vocabSize(); i++) {
      vocab.put(tokenText(i), i);
    }
    model.putArray("merges");
    return root.toPrettyString() + "\n";
  }

  /** The tokenizer_config.json of this tokenizer (loadable by transformers' AutoTokenizer). */
  public String tokenizerConfigJson() {
    ObjectNode c = Jsonl.MAPPER.createObjectNode();
    c.put("tokenizer_class", "PreTrainedTokenizerFast");
    c.put(MARKER, true);
    c.put("bos_token", SPECIALS[BOS_ID]);
    c.put("eos_token", SPECIALS[EOS_ID]);
    c.put("pad_token", SPECIALS[PAD_ID]);
    c.put("clean_up_tokenization_spaces", false);
    return c.toPrettyString() + "\n";
  }

  @Override
  public void save(Path dir) {
    AtomicFiles.writeString(dir.resolve(TOKENIZER_JSON), tokenizerJson());
    AtomicFiles.writeString(dir.resolve(TOKENIZER_CONFIG_JSON), tokenizerConfigJson());
  }

  @Override
  public String toString() {
    return "CharTokenizer[" + vocabSize() + " tokens]";
  }
}
