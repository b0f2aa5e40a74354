package io.genrm4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {
  static final String ALPHABET =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t.,;:!?'\"()[]{}<>/\\|-_+=*&^%$#@~`é中🙂";

  @TempDir Path dir;

  @Test
  void charRoundTrip() {
    CharTokenizer t = CharTokenizer.of("abcab c\n.,!?");
    assertEquals("abc \n.,!?", t.alphabet());
    assertEquals(3 + 9, t.vocabSize());
    assertArrayEquals(new int[] {3, 4, 5}, t.encode("abc"));
    String s = "a b,c!\n?.  cba";
    int[] ids = t.encode(s);
    assertEquals(s.length(), ids.length);
    assertEquals(s, t.decode(ids));
    // specials are skipped on decode and never added on encode
    int[] withSpecials = new int[ids.length + 3];
    withSpecials[0] = CharTokenizer.BOS_ID;
    System.arraycopy(ids, 0, withSpecials, 1, ids.length);
    withSpecials[ids.length + 1] = CharTokenizer.EOS_ID;
    withSpecials[ids.length + 2] = CharTokenizer.PAD_ID;
    assertEquals(s, t.decode(withSpecials));
    assertEquals(0, t.padId());
    assertEquals(OptionalInt.of(1), t.bosId());
    assertEquals(OptionalInt.of(2), t.eosId());
    assertEquals("<s>", t.tokenText(1));
    assertEquals("\n", t.tokenText(t.encode("\n")[0]));
    assertEquals(0, t.encode("").length);
    assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {99}));
    // supplementary characters are one token
    CharTokenizer emoji = CharTokenizer.of("a🙂");
    assertArrayEquals(new int[] {3, 4, 3}, emoji.encode("a🙂a"));
    assertEquals("a🙂a", emoji.decode(new int[] {3, 4, 3}));
  }

  @Test
  void unknownCharacter() {
    CharTokenizer t = CharTokenizer.of("abcdefghijklmnopqrstuvwxyz ");
    UserException e = assertThrows(UserException.class, () -> t.encode("hello world é"));
    assertEquals("character 'é' (U+00E9) at offset 12 is not in the tokenizer vocabulary", e.getMessage());
    e = assertThrows(UserException.class, () -> t.encode("ab\ncd"));
    assertEquals("character '\\n' (U+000A) at offset 2 is not in the tokenizer vocabulary", e.getMessage());
    e = assertThrows(UserException.class, () -> t.encode("x🙂"));
    assertEquals("character '🙂' (U+1F642) at offset 1 is not in the tokenizer vocabulary", e.getMessage());
  }

  @Test
  void savedCharTokenizerMatchesRustHuggingFaceTokenizers() throws IOException {
    CharTokenizer t = CharTokenizer.of(ALPHABET);
    t.save(dir);
    assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")));
    assertTrue(Files.isRegularFile(dir.resolve("tokenizer_config.json")));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(2, s.count());
    }
    Tokenizer loaded = Tokenizer.load(dir);
    assertInstanceOf(CharTokenizer.class, loaded);
    assertEquals(t.alphabet(), ((CharTokenizer) loaded).alphabet());

    try (HuggingFaceTokenizer rust = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        HfTokenizer wrapped = HfTokenizer.load(dir)) {
      assertEncodesLikeRust(t, rust, wrapped, ALPHABET, 3000);
      long[] withSpecials = {1, 3, 4, 2, 0};
      assertEquals("ab", rust.decode(withSpecials, true));
    }
  }

  /** Random texts over {@code alphabet}: ours, Rust's and the DJL-wrapped tokenizer agree on ids and text. */
  static void assertEncodesLikeRust(CharTokenizer t, HuggingFaceTokenizer rust, HfTokenizer wrapped, String alphabet,
      int longest) {
    assertEquals(t.vocabSize(), wrapped.vocabSize());
    assertEquals(t.bosId(), wrapped.bosId());
    assertEquals(t.eosId(), wrapped.eosId());
    assertEquals(t.padId(), wrapped.padId());
    Random r = new Random(42);
    int[] cps = alphabet.codePoints().toArray();
    for (int i = 0; i < 300; i++) {
      StringBuilder sb = new StringBuilder();
      int len = i == 0 ? longest : r.nextInt(60);
      for (int j = 0; j < len; j++) {
        sb.appendCodePoint(cps[r.nextInt(cps.length)]);
      }
      String s = sb.toString();
      if (s.contains("<s>") || s.contains("</s>") || s.contains("<pad>")) {
        continue; // Rust matches literal special-token strings in text; we encode them character by character
      }
      int[] ours = t.encode(s);
      long[] theirs = rust.encode(s).getIds();
      assertArrayEquals(Arrays.stream(ours).asLongStream().toArray(), theirs, s);
      assertArrayEquals(ours, wrapped.encode(s), s);
      assertEquals(s, rust.decode(theirs, true));
      assertEquals(s, t.decode(ours));
      assertEquals(s, wrapped.decode(ours));
      for (int id : ours) {
        assertEquals(t.tokenText(id), wrapped.tokenText(id));
      }
    }
  }

  @Test
  void phrasesAreOneTokenLeftmostLongestAsInRust() throws IOException {
    // Overlapping phrases: "abcde" is "abcd" + "e" (leftmost, then longest), "xcde" is "x" + "cde".
    CharTokenizer t = CharTokenizer.of("abcdex ", List.of("abc", "abcd", "cde", "e e"));
    assertEquals(3 + 7 + 4, t.vocabSize());
    assertEquals(List.of("abc", "abcd", "cde", "e e"), t.phrases());
    assertArrayEquals(new int[] {11, 7}, t.encode("abcde"));
    assertArrayEquals(new int[] {8, 12}, t.encode("xcde"));
    assertArrayEquals(new int[] {3, 4}, t.encode("ab"));
    assertEquals("abcd", t.tokenText(11));
    assertEquals("abcde e", t.decode(t.encode("abcde e")));
    assertThrows(IllegalArgumentException.class, () -> CharTokenizer.of("ab", List.of("a")));
    assertThrows(IllegalArgumentException.class, () -> CharTokenizer.of("ab", List.of("ab", "ab")));
    t.save(dir);
    Tokenizer loaded = Tokenizer.load(dir);
    assertInstanceOf(CharTokenizer.class, loaded);
    assertEquals(t.phrases(), ((CharTokenizer) loaded).phrases());
    assertEquals(t.alphabet(), ((CharTokenizer) loaded).alphabet());
    try (HuggingFaceTokenizer rust = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        HfTokenizer wrapped = HfTokenizer.load(dir)) {
      assertEncodesLikeRust(t, rust, wrapped, "abcdex ", 500);
    }
  }

  static final String WORDPIECE_JSON = """
      {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": 16, "strategy": "LongestFirst", "stride": 0},
        "padding": null,
        "added_tokens": [
          {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
          {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
          {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
          {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
          "type": "TemplateProcessing",
          "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
          "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
          "special_tokens": {
            "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
            "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}
          }
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {
          "type": "WordPiece",
          "unk_token": "[UNK]",
          "continuing_subword_prefix": "##",
          "max_input_chars_per_word": 100,
          "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "the": 6, "##s": 7, "yes": 8, "no": 9, ".": 10}
        }
      }
      """;

  @Test
  void hfTokenizerAddsNoSpecialsAndDoesNotTruncate() throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), WORDPIECE_JSON);
    Files.writeString(dir.resolve("tokenizer_config.json"), """
        {"tokenizer_class": "BertTokenizer", "model_max_length": 8, "pad_token": "[PAD]", "cls_token": "[CLS]",
         "sep_token": "[SEP]", "unk_token": {"content": "[UNK]", "special": true}, "do_lower_case": true}
        """);
    Tokenizer t = Tokenizer.load(dir);
    assertInstanceOf(HfTokenizer.class, t);
    try (HfTokenizer hf = (HfTokenizer) t) {
      assertArrayEquals(new int[] {4, 5, 7, 10}, hf.encode("Hello WORLDs."));
      assertArrayEquals(new int[] {8, 1}, hf.encode("yes maybe"));
      String text = "hello world ".repeat(1000);
      int[] ids = hf.encode(text);
      assertEquals(2000, ids.length);
      assertTrue(Arrays.stream(ids).allMatch(id -> id == 4 || id == 5));
      assertEquals(text.strip(), hf.decode(ids));
      assertEquals("hello worlds", hf.decode(new int[] {2, 4, 5, 7, 3, 0}));
      assertEquals(0, hf.padId());
      assertEquals(OptionalInt.empty(), hf.bosId());
      assertEquals(OptionalInt.empty(), hf.eosId());
      assertEquals(11, hf.vocabSize());
      assertEquals("##s", hf.tokenText(7));
      assertEquals("[CLS]", hf.tokenText(2));

      Path copy = dir.resolve("copy");
      hf.save(copy);
      assertEquals(WORDPIECE_JSON, Files.readString(copy.resolve("tokenizer.json")));
      try (HfTokenizer again = HfTokenizer.load(copy)) {
        assertArrayEquals(ids, again.encode(text));
      }
    }
  }

  @Test
  void hfSpecialsFromConfigObjectsOrWellKnownNames() throws IOException {
    CharTokenizer.of("ab").save(dir);
    // a config that names specials as AddedToken objects, without our marker
    Files.writeString(dir.resolve("tokenizer_config.json"),
        "{\"bos_token\": {\"content\": \"</s>\"}, \"eos_token\": \"<s>\", \"pad_token\": null}");
    try (HfTokenizer hf = HfTokenizer.load(dir)) {
      assertEquals(OptionalInt.of(2), hf.bosId());
      assertEquals(OptionalInt.of(1), hf.eosId());
      assertEquals(1, hf.padId(), "no pad token: falls back to eos");
    }
    // structure alone identifies our tokenizer
    assertInstanceOf(CharTokenizer.class, Tokenizer.load(dir));
    Files.delete(dir.resolve("tokenizer_config.json"));
    try (HfTokenizer hf = HfTokenizer.load(dir)) {
      assertEquals(OptionalInt.of(1), hf.bosId());
      assertEquals(OptionalInt.of(2), hf.eosId());
      assertEquals(0, hf.padId());
    }
    UserException e = assertThrows(UserException.class, () -> Tokenizer.load(dir.resolve("missing")));
    assertTrue(e.getMessage().endsWith("no tokenizer.json"), e.getMessage());
  }

  @Test
  void aModelsChatTemplateIsReadFromItsTokenizerConfigOrJinjaFile() throws IOException {
    CharTokenizer.of("ab").save(dir);
    assertEquals(null, Tokenizer.chatTemplate(dir), "our tokenizers have none");
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ '<|im_start|>' }}\"}");
    assertEquals("{{ '<|im_start|>' }}", Tokenizer.chatTemplate(dir));
    Files.writeString(dir.resolve("tokenizer_config.json"),
        "{\"chat_template\": [{\"name\": \"default\", \"template\": \"A\"}, {\"name\": \"rag\", \"template\": \"B\"}]}");
    assertEquals("A\nB\n", Tokenizer.chatTemplate(dir));
    Files.writeString(dir.resolve("chat_template.jinja"), "<start_of_turn>");
    assertEquals("<start_of_turn>", Tokenizer.chatTemplate(dir), "the separate file (transformers >= 4.43) wins");
  }
}
