package io.genrm4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Text to token ids and back, with the Hugging Face file layout ({@code tokenizer.json} + {@code
 * tokenizer_config.json}) on disk. Encoding never adds special tokens, never truncates and never pads; decoding
 * skips special tokens.
 */
public interface Tokenizer {
  String TOKENIZER_JSON = "tokenizer.json";
  String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";

  /** The ids of {@code text}, with no special tokens added and no truncation or padding. */
  int[] encode(String text);

  /** BOS (when the tokenizer has one) followed by {@code encode(text)}: how every prompt starts. */
  default int[] encodeWithBos(String text) {
    return concat(bosId().isPresent() ? new int[] {bosId().getAsInt()} : new int[0], encode(text));
  }

  /** {@code encode(text)} followed by EOS (when the tokenizer has one): how every training completion ends. */
  default int[] encodeWithEos(String text) {
    return concat(encode(text), eosId().isPresent() ? new int[] {eosId().getAsInt()} : new int[0]);
  }

  /** {@code a} followed by {@code b}. */
  static int[] concat(int[] a, int[] b) {
    int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  /** The text of {@code ids}, special tokens skipped. */
  String decode(int[] ids);

  /** The raw vocabulary string of one token (as stored, e.g. {@code Ġthe} or {@code ##ing}), for log-prob listings. */
  String tokenText(int id);

  /** One more than the largest token id (model vocabulary plus added tokens). */
  int vocabSize();

  int padId();

  OptionalInt bosId();

  OptionalInt eosId();

  /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}, each atomically. */
  void save(Path dir);

  /**
   * The Jinja {@code chat_template} of a model directory's {@code tokenizer_config.json} (or its separate
   * {@code chat_template.jinja}); the texts of a list of named templates joined; null when there is none.
   */
  static String chatTemplate(Path dir) {
    Path jinja = dir.resolve("chat_template.jinja");
    if (Files.isRegularFile(jinja)) {
      return TokenizerFiles.readString(jinja);
    }
    JsonNode t = TokenizerFiles.readJsonIfExists(dir.resolve(TOKENIZER_CONFIG_JSON));
    t = t == null ? null : t.get("chat_template");
    if (t == null || t.isNull()) {
      return null;
    }
    if (t.isArray()) {
      StringBuilder b = new StringBuilder();
      t.forEach(e -> b.append(e.path("template").asText("")).append('\n'));
      return b.toString();
    }
    return t.asText();
  }

  /**
   * Loads the tokenizer of a model directory: our {@link CharTokenizer} when the files are ours (marker in
   * {@code tokenizer_config.json}, or a {@code tokenizer.json} with the char-tokenizer structure), else an
   * {@link HfTokenizer} over the Rust Hugging Face tokenizers library.
   */
  static Tokenizer load(Path dir) {
    Path json = dir.resolve(TOKENIZER_JSON);
    if (!Files.isRegularFile(json)) {
      throw new UserException(dir + ": no " + TOKENIZER_JSON);
    }
    JsonNode config = TokenizerFiles.readJsonIfExists(dir.resolve(TOKENIZER_CONFIG_JSON));
    if (config != null && config.path(CharTokenizer.MARKER).asBoolean(false)) {
      return CharTokenizer.load(dir);
    }
    JsonNode tok = TokenizerFiles.readJson(json);
    if (CharTokenizer.looksLikeCharTokenizer(tok)) {
      return CharTokenizer.fromTokenizerJson(json, tok);
    }
    return HfTokenizer.load(dir);
  }
}
