package io.genrm4j.task;

import io.genrm4j.util.UserException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * What the two algorithmic tasks share: a question is a fixed prefix and a list of words drawn uniformly (with
 * replacement) from a pool; solutions are one step per line and end {@code The answer is X.}; an oracle checks
 * every step.
 *
 * <p>Splits: {@code train} and {@code test-id} draw lists of the in-distribution lengths, {@code test-ood} lists of
 * the out-of-distribution length. Train and test-id are disjoint whatever their seeds: a list belongs to test-id
 * exactly when a fixed 64-bit FNV-1a hash of its sorted words is 0 mod {@link #TEST_ID_BUCKETS}. Within a split
 * problems are distinct lists. The same seed gives the same problems on every JVM ({@link java.util.Random}).
 */
public abstract class AlgorithmicTask implements Task, Oracle {
  /** One list in this many belongs to the in-distribution test half of the problem space. */
  public static final int TEST_ID_BUCKETS = 10;

  /** Letters, digits, space, newline and the punctuation of compact prompts, solutions and rationales. */
  public static final String ALPHABET =
      Prompts.alphabetOf(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n.,:;'()/?->",
          Prompts.compactPromptChars());

  private final String name;
  private final String prefix;
  private final int minLength;
  private final int maxLength;
  private final int oodLength;

  protected AlgorithmicTask(String name, String prefix, int minLength, int maxLength, int oodLength) {
    this.name = name;
    this.prefix = prefix;
    this.minLength = minLength;
    this.maxLength = maxLength;
    this.oodLength = oodLength;
  }

  /** The pool words are drawn from. */
  protected abstract List<String> pool();

  /** The answer for a list of words. */
  public abstract String answer(List<String> words);

  /** A correct solution for a list of words. */
  public abstract String solve(List<String> words);

  @Override
  public String name() {
    return name;
  }

  /** The question's fixed prefix, e.g. {@code Last letters: }. */
  public String prefix() {
    return prefix;
  }

  /** The shortest and longest in-distribution list and the out-of-distribution length. */
  public int minLength() {
    return minLength;
  }

  public int maxLength() {
    return maxLength;
  }

  public int oodLength() {
    return oodLength;
  }

  /** The question for a list of words. */
  public String question(List<String> words) {
    return prefix + String.join(" ", words);
  }

  /** The words of a question (the prefix is optional). */
  public List<String> words(String question) {
    String q = question.strip();
    if (q.startsWith(prefix.strip())) {
      q = q.substring(prefix.strip().length()).strip();
    }
    if (q.isEmpty()) {
      throw new IllegalArgumentException("question has no words: '" + question + "'");
    }
    return Arrays.asList(q.split("\\s+"));
  }

  @Override
  public Optional<String> answerOf(String question) {
    return Optional.of(answer(words(question)));
  }

  @Override
  public String solve(Problem p) {
    return solve(words(p.question()));
  }

  @Override
  public Optional<Oracle> oracle() {
    return Optional.of(this);
  }

  @Override
  public String alphabet() {
    return ALPHABET;
  }

  /** Whether a list (by its sorted words) belongs to the in-distribution test half. */
  public static boolean inTestIdHalf(List<String> words) {
    List<String> sorted = new ArrayList<>(words);
    sorted.sort(null);
    long h = 0xcbf29ce484222325L;
    for (byte b : String.join(" ", sorted).getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return Long.remainderUnsigned(h, TEST_ID_BUCKETS) == 0;
  }

  @Override
  public List<Problem> problems(Split split, int count, long seed) {
    return draw(split.id(), count, new Random(seed * 0x9E3779B97F4A7C15L + split.ordinal()),
        split == Split.TEST_OOD ? oodLength : minLength, split == Split.TEST_OOD ? oodLength : maxLength,
        words -> split == Split.TEST_OOD || inTestIdHalf(words) == (split == Split.TEST_ID));
  }

  /**
   * Problems to train a generator on: lists of {@code minLength..oodLength} items from the training half of the
   * problem space (never in-distribution test lists) whose question is not in {@code exclude} (pass the
   * out-of-distribution test questions). The generator stands in for a pretrained model that can attempt every
   * length; verifiers are still trained on in-distribution lengths only.
   */
  public List<Problem> generatorProblems(int count, long seed, Set<String> exclude) {
    return draw("gen", count, new Random(seed * 0x9E3779B97F4A7C15L + 101), minLength, oodLength,
        words -> !inTestIdHalf(words) && !exclude.contains(question(words)));
  }

  private List<Problem> draw(String splitId, int count, Random rng, int minLen, int maxLen,
      java.util.function.Predicate<List<String>> keep) {
    if (count <= 0) {
      throw new UserException(name + ": --count must be positive for a generated task");
    }
    List<String> pool = pool();
    Set<List<String>> seen = new HashSet<>();
    List<Problem> out = new ArrayList<>(count);
    long attempts = 0;
    long maxAttempts = 1000L * count + 100_000L;
    while (out.size() < count) {
      if (++attempts > maxAttempts) {
        throw new UserException(
            name + ": could not draw " + count + " distinct " + splitId + " problems (got " + out.size() + ")");
      }
      int len = minLen + rng.nextInt(maxLen - minLen + 1);
      List<String> words = new ArrayList<>(len);
      for (int i = 0; i < len; i++) {
        words.add(pool.get(rng.nextInt(pool.size())));
      }
      if (!keep.test(words) || !seen.add(List.copyOf(words))) {
        continue;
      }
      String q = question(words);
      out.add(new Problem(name + "-" + splitId + "-" + out.size(), name, q, answer(words), splitId, solve(words)));
    }
    return out;
  }

  // ---- solution parsing shared by grader, oracle and perturbation

  /** The text after the last line that starts {@code The answer is}, without a final '.'; null when none. */
  @Override
  public String extractAnswer(String candidate) {
    String[] lines = candidate.split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      String l = lines[i].strip();
      if (l.startsWith(Prompts.ANSWER_PREFIX.strip())) {
        String a = l.substring(Prompts.ANSWER_PREFIX.strip().length()).strip();
        if (a.endsWith(".")) {
          a = a.substring(0, a.length() - 1).strip();
        }
        return a.replaceAll("\\s+", " ");
      }
    }
    return null;
  }

  @Override
  public boolean answersMatch(String reference, String extracted) {
    return extracted != null && reference.strip().replaceAll("\\s+", " ").equals(extracted);
  }

  /** The non-blank lines of a candidate before its first answer line: its steps. */
  protected static List<String> steps(String candidate) {
    List<String> out = new ArrayList<>();
    for (String l : candidate.split("\n")) {
      String s = l.strip();
      if (s.startsWith(Prompts.ANSWER_PREFIX.strip())) {
        break;
      }
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  /** A step line {@code left -> right} split in two; null when the line has another form. */
  protected static String[] arrow(String line) {
    int i = line.lastIndexOf(" -> ");
    if (i <= 0) {
      return null;
    }
    String left = line.substring(0, i).strip();
    String right = line.substring(i + 4).strip();
    if (left.isEmpty() || right.isEmpty() || right.contains(" ")) {
      return null;
    }
    return new String[] {left, right};
  }

  /** The solution text: steps, then the answer line. */
  protected static String render(List<String> steps, String answer) {
    StringBuilder sb = new StringBuilder();
    for (String s : steps) {
      sb.append(s).append('\n');
    }
    return sb.append(Prompts.ANSWER_PREFIX).append(answer).append('.').toString();
  }

  /** The final step of a rationale (number {@code k}) and the verdict line. */
  protected String finish(StringBuilder body, int k, Problem p, String candidate) {
    Grade g = grade(answer(words(p.question())), candidate);
    String truth = answer(words(p.question()));
    body.append("Step ").append(k);
    if (g.extractedAnswer() == null) {
      body.append(": there is no final answer; it should be ").append(truth).append('.');
    } else if (g.correct()) {
      body.append(": the answer ").append(g.extractedAnswer()).append(" is correct.");
    } else {
      body.append(": the answer ").append(g.extractedAnswer()).append(" is wrong: it should be ").append(truth);
      body.append('.');
    }
    return Prompts.withVerdict(body.toString(), g.correct());
  }

  /** A random lowercase letter other than {@code not}. */
  protected static char otherLetter(char not, Random rng) {
    char c;
    do {
      c = (char) ('a' + rng.nextInt(26));
    } while (c == not);
    return c;
  }
}
