package io.genrm4j.model.tokenizer;

/** Tokenizers the tests share. */
public final class TestTokenizers {
  private TestTokenizers() {}

  /** A character tokenizer over newline and printable ASCII: any English prompt, JSON or code the tests send. */
  public static CharTokenizer printableAscii() {
    StringBuilder a = new StringBuilder("\n");
    for (char c = 32; c < 127; c++) {
      a.append(c);
    }
    return CharTokenizer.of(a.toString());
  }
}
