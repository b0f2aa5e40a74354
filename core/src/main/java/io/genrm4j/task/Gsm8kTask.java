package io.genrm4j.task;

import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GSM8K (7,473 train / 1,319 test problems, shipped under {@code io/genrm4j/data/gsm8k}). Reference answers are the
 * {@code #### N} numbers, normalised ({@code 1,234} -> {@code 1234}); the reference solution is the worked answer
 * without calculator annotations, ending {@code The answer is N.} Candidates are graded numerically on the number
 * after the last {@code The answer is}, falling back to the last {@code \boxed{}}, then {@code #### N}, then the last
 * number in the text.
 */
public final class Gsm8kTask implements Task {
  public static final String NAME = "gsm8k";

  private static final Pattern NUMBER = Pattern.compile("-?(?:\\$\\s?)?-?(?:\\d[\\d,]*(?:\\.\\d+)?|\\.\\d+)");
  private static final Pattern ANSWER_IS = Pattern.compile("(?i)the (?:final )?answer is");
  private static final Pattern BOXED = Pattern.compile("\\\\boxed\\{([^{}]*)\\}");
  private static final Pattern HASHES = Pattern.compile("####\\s*([^\\n]*)");
  private static final Pattern CALCULATOR = Pattern.compile("<<[^>]*>>");

  private static volatile List<Problem> train;
  private static volatile List<Problem> test;

  @Override
  public String name() {
    return NAME;
  }

  /** Every problem of the shipped {@code train} or {@code test} split, in file order; ids {@code gsm8k-train-0}... */
  public static List<Problem> load(String split) {
    if ("train".equals(split)) {
      List<Problem> t = train;
      if (t == null) {
        t = train = Collections.unmodifiableList(read("train"));
      }
      return t;
    }
    if ("test".equals(split)) {
      List<Problem> t = test;
      if (t == null) {
        t = test = Collections.unmodifiableList(read("test"));
      }
      return t;
    }
    throw new UserException("gsm8k has splits train and test, not '" + split + "'");
  }

  private static List<Problem> read(String split) {
    String file = "gsm8k/" + split + ".jsonl";
    int[] index = {0};
    try (BufferedReader r = DataFiles.open(file)) {
      return Jsonl.read(
          DataFiles.ROOT + file,
          r,
          n -> {
            String q = Jsonl.text(n, "question");
            String a = Jsonl.text(n, "answer");
            return new Problem(
                NAME + "-" + split + "-" + index[0]++, NAME, q, referenceAnswer(a), split, referenceSolution(a));
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public List<Problem> problems(Split split, int count, long seed) {
    List<Problem> all =
        switch (split) {
          case TRAIN -> load("train");
          case TEST_ID -> load("test");
          case TEST_OOD -> throw new UserException("gsm8k has no test-ood split (use test-id or test)");
        };
    if (count <= 0 || count >= all.size()) {
      return all;
    }
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      idx.add(i);
    }
    Collections.shuffle(idx, new Random(seed));
    List<Integer> pick = new ArrayList<>(idx.subList(0, count));
    Collections.sort(pick);
    List<Problem> out = new ArrayList<>(count);
    pick.forEach(i -> out.add(all.get(i)));
    return out;
  }

  /** The normalised number after {@code ####} in a GSM8K worked answer. */
  public static String referenceAnswer(String workedAnswer) {
    Matcher m = HASHES.matcher(workedAnswer);
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    if (last == null) {
      throw new IllegalArgumentException("answer has no '#### N' line");
    }
    String n = normalizeNumber(last);
    if (n == null) {
      throw new IllegalArgumentException("final answer '" + last.strip() + "' is not a number");
    }
    return n;
  }

  /** The worked answer as plain text: calculator annotations removed, {@code #### N} replaced by the answer line. */
  public static String referenceSolution(String workedAnswer) {
    String plain = CALCULATOR.matcher(workedAnswer).replaceAll("");
    int h = plain.lastIndexOf("####");
    String body = (h >= 0 ? plain.substring(0, h) : plain).strip();
    return (body.isEmpty() ? "" : body + "\n") + Prompts.ANSWER_PREFIX + referenceAnswer(workedAnswer) + ".";
  }

  /**
   * A number as canonical text ({@code 1,234.50} -> {@code 1234.5}, {@code $-3} -> {@code -3}); tolerates spaces,
   * commas, a leading '$', a trailing '%' or '.'; null when the text is not a number.
   */
  public static String normalizeNumber(String s) {
    BigDecimal d = parseNumber(s);
    if (d == null) {
      return null;
    }
    d = d.stripTrailingZeros();
    if (d.signum() == 0) {
      return "0";
    }
    return d.toPlainString();
  }

  /** The numeric value of {@link #normalizeNumber}'s input, or null. */
  public static BigDecimal parseNumber(String s) {
    if (s == null) {
      return null;
    }
    String t = s.strip().replace(",", "").replace(" ", "").replace("\u2212", "-");
    while (t.endsWith(".") || t.endsWith("%")) {
      t = t.substring(0, t.length() - 1);
    }
    boolean neg = false;
    if (t.startsWith("-")) {
      neg = true;
      t = t.substring(1);
    }
    if (t.startsWith("$")) {
      t = t.substring(1);
    }
    if (t.startsWith("-")) {
      neg = !neg;
      t = t.substring(1);
    }
    if (!t.matches("\\d+(\\.\\d+)?|\\.\\d+")) {
      return null;
    }
    BigDecimal d = new BigDecimal(t);
    return neg ? d.negate() : d;
  }

  private static String firstNumber(String s) {
    Matcher m = NUMBER.matcher(s);
    return m.find() ? normalizeNumber(m.group()) : null;
  }

  private static String lastNumber(String s) {
    Matcher m = NUMBER.matcher(s);
    String last = null;
    while (m.find()) {
      last = m.group();
    }
    return last == null ? null : normalizeNumber(last);
  }

  /**
   * The final answer of a candidate: the first number after the last {@code The answer is} (on that line), else
   * the number in the last {@code \boxed{}}, else after the last {@code ####}, else the last number of the text.
   * When the answer line is an equation ({@code The answer is 100 - 25 = 75.}) the number after its last '=' counts.
   */
  @Override
  public String extractAnswer(String candidate) {
    Matcher m = ANSWER_IS.matcher(candidate);
    int end = -1;
    while (m.find()) {
      end = m.end();
    }
    if (end >= 0) {
      int nl = candidate.indexOf('\n', end);
      String segment = candidate.substring(end, nl < 0 ? candidate.length() : nl);
      // "The answer is 100% - 25% = 75%.": the result after the last '=' is the answer
      int eq = segment.lastIndexOf('=');
      String a = eq >= 0 ? firstNumber(segment.substring(eq + 1)) : null;
      if (a == null) {
        a = firstNumber(segment);
      }
      if (a != null) {
        return a;
      }
    }
    Matcher b = BOXED.matcher(candidate);
    String boxed = null;
    while (b.find()) {
      boxed = b.group(1);
    }
    if (boxed != null && firstNumber(boxed) != null) {
      return firstNumber(boxed);
    }
    Matcher h = HASHES.matcher(candidate);
    String hashes = null;
    while (h.find()) {
      hashes = h.group(1);
    }
    if (hashes != null && firstNumber(hashes) != null) {
      return firstNumber(hashes);
    }
    return lastNumber(candidate);
  }

  /** Numeric equality ({@link BigDecimal#compareTo}); texts that are not numbers compare case-insensitively. */
  @Override
  public boolean answersMatch(String reference, String extracted) {
    if (extracted == null) {
      return false;
    }
    BigDecimal r = parseNumber(reference);
    BigDecimal e = parseNumber(extracted);
    if (r != null && e != null) {
      return r.compareTo(e) == 0;
    }
    return reference.strip().toLowerCase(Locale.ROOT).equals(extracted.strip().toLowerCase(Locale.ROOT));
  }

  @Override
  public String solve(Problem p) {
    if (p.referenceSolution() == null) {
      throw new IllegalArgumentException("problem " + p.id() + " has no reference solution");
    }
    return p.referenceSolution();
  }

  /** The solution with its final answer moved by a non-zero whole amount (or one appended when it has none). */
  @Override
  public String perturb(String solution, Random rng) {
    String a = extractAnswer(solution);
    BigDecimal v = a == null ? BigDecimal.ZERO : new BigDecimal(a);
    int delta = 1 + rng.nextInt(9);
    String wrong = normalizeNumber(v.add(BigDecimal.valueOf(rng.nextBoolean() ? delta : -delta)).toPlainString());
    Matcher m = ANSWER_IS.matcher(solution);
    int end = -1;
    int start = -1;
    while (m.find()) {
      start = m.start();
      end = m.end();
    }
    if (start < 0) {
      return solution + "\n" + Prompts.ANSWER_PREFIX + wrong + ".";
    }
    int nl = solution.indexOf('\n', end);
    return solution.substring(0, start) + Prompts.ANSWER_PREFIX + wrong + "."
        + (nl < 0 ? "" : solution.substring(nl));
  }

  /** Printable ASCII and newline (GSM8K is for subword models; the data hold a few characters outside it). */
  @Override
  public String alphabet() {
    StringBuilder sb = new StringBuilder("\n");
    for (char c = ' '; c <= '~'; c++) {
      sb.append(c);
    }
    return sb.toString();
  }
}
