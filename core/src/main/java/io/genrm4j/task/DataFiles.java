package io.genrm4j.task;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The data files shipped in the jar under {@code io/genrm4j/data/} (see each folder's README and PROVENANCE): census
 * names, the wamerican word list, GSM8K.
 */
public final class DataFiles {
  private DataFiles() {}

  public static final String ROOT = "/io/genrm4j/data/";

  private static volatile List<String> names;
  private static volatile List<String> words;

  /** Opens a shipped file, e.g. {@code gsm8k/train.jsonl}. */
  public static BufferedReader open(String relative) {
    InputStream in = DataFiles.class.getResourceAsStream(ROOT + relative);
    if (in == null) {
      throw new IllegalStateException("missing resource " + ROOT + relative + " (is the jar complete?)");
    }
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
  }

  /** The non-blank lines of a shipped text file, trimmed. */
  public static List<String> lines(String relative) {
    List<String> out = new ArrayList<>();
    try (BufferedReader r = open(relative)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) {
          out.add(line.strip());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * The union of the 1,000 census first names and 1,000 census last names (Title case, first names first, each name
   * once): the word pool of last-letter concatenation.
   */
  public static List<String> names() {
    List<String> n = names;
    if (n == null) {
      LinkedHashSet<String> set = new LinkedHashSet<>(lines("names/first_names.txt"));
      set.addAll(lines("names/last_names.txt"));
      n = names = Collections.unmodifiableList(new ArrayList<>(set));
    }
    return n;
  }

  /** The wamerican lowercase word list ({@code ^[a-z]+$}, byte-sorted, distinct): the pool of word sorting. */
  public static List<String> words() {
    List<String> w = words;
    if (w == null) {
      w = words = Collections.unmodifiableList(lines("word_sorting/wamerican_lowercase_words.txt"));
    }
    return w;
  }
}
