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
 * replacement) from a pool; solutions are one {@link Step} per line, {@code left -> pick -> answer so far}, and end
 * {@code The answer is X.}; the oracle's rationale solves the problem again and compares final answers
 * ({@link #rationale}).
 *
 * <p>Why the answer so far is written on every line: each check a verifier has to make is then local to one or two
 * adjacent lines (a pick against its own line, the answer so far against the line above, the final answer against
 * the last line), the scratchpad that lets a small model learn the task and generalise to longer lists. Without it
 * the final answer has to be compared with letters many lines away by their index, which tiny verifiers trained
 * from scratch did not learn (GenRM direct plateaued at AUROC 0.75 on perturbed last-letter candidates).
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

  /** What separates the three parts of a step. */
  public static final String ARROW = " -> ";

  /**
   * One step of a solution: what the step works on ({@code left}: a name, or the words not yet picked), what it
   * picks, and the answer so far (written on the line or not, as the task's {@link #writesSoFar} says).
   */
  public record Step(String left, String pick, String sofar) {}

  /** Whether a solution line ends with the answer so far ({@code left -> pick -> sofar}) or not ({@code left -> pick}). */
  protected boolean writesSoFar() {
    return true;
  }

  /** The text of one solution line. */
  protected String line(Step s) {
    return s.left() + ARROW + s.pick() + (writesSoFar() ? ARROW + s.sofar() : "");
  }

  /**
   * A line of this task's step form ({@code left -> pick [-> sofar]}, pick without spaces) as a step, its
   * {@code sofar} null when the task does not write it; null when the line has another form.
   */
  protected Step parseStep(String line) {
    String[] parts = line.strip().split(ARROW, -1); // ARROW has no regex metacharacters
    if (parts.length != (writesSoFar() ? 3 : 2)) {
      return null;
    }
    for (int i = 0; i < parts.length; i++) {
      parts[i] = parts[i].strip();
      if (parts[i].isEmpty()) {
        return null;
      }
    }
    return parts[1].contains(" ") ? null : new Step(parts[0], parts[1], writesSoFar() ? parts[2] : null);
  }

  /** The pool words are drawn from. */
  protected abstract List<String> pool();

  /**
   * The correct steps for a list of words, except that step {@code at} picks {@code forced} (and later steps follow
   * from it); {@code at < 0} for the correct solution.
   */
  protected abstract List<Step> steps(List<String> words, int at, String forced);

  /** The question's words, recovered from the steps of a well-formed solution. */
  protected abstract List<String> wordsOf(List<Step> steps);

  /** A pick a wrong step could make instead of {@code truth.pick()}; null when there is none. */
  protected abstract String otherPick(Step truth, Random rng);

  /**
   * A wrong pick as the generator makes them, from the real distribution of picks; {@link #otherPick} unless a task
   * knows better. Only {@link #perturb} uses it: the pretraining corpus keeps {@link #otherPick}, so that a shipped
   * base's rebuild command still rebuilds it.
   */
  protected String realisticPick(Step truth, Random rng) {
    return otherPick(truth, rng);
  }

  /** A wrong final answer as the generator writes them; {@link #wrongAnswer} unless a task knows better. */
  protected String realisticWrongAnswer(String answer, Random rng) {
    return wrongAnswer(answer, rng);
  }

  /** The answer with one mistake in it (never equal to {@code answer}). */
  protected abstract String wrongAnswer(String answer, Random rng);

  /** The answer for a list of words: the last step's answer so far. */
  public String answer(List<String> words) {
    List<Step> s = steps(words, -1, null);
    return s.get(s.size() - 1).sofar();
  }

  /** A correct solution for a list of words. */
  public String solve(List<String> words) {
    return render(steps(words, -1, null));
  }

  /**
   * A solution of {@code words} whose step {@code k} picks {@code pick} instead, carried through the later steps to
   * the answer: a wrong pick whose letter the caller chooses (e.g. from the real letter distribution, where
   * {@link #withMistake}'s uniform letter is a frequency give-away).
   */
  public String withPick(List<String> words, int k, String pick) {
    return render(steps(words, k, pick));
  }

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

  /**
   * A random problem of exactly {@code items} words from the training half of the problem space (never an
   * in-distribution test list; a pretraining corpus or a probe draws these).
   */
  public Problem randomProblem(int items, Random rng) {
    List<String> pool = pool();
    while (true) {
      List<String> words = new ArrayList<>(items);
      for (int i = 0; i < items; i++) {
        words.add(pool.get(rng.nextInt(pool.size())));
      }
      if (!inTestIdHalf(words)) {
        return new Problem(name + "-random", name, question(words), answer(words), "random", solve(words));
      }
    }
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
  protected static List<String> stepLines(String candidate) {
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

  /** A solution with these steps, whose answer is the last step's answer so far. */
  protected String render(List<Step> steps) {
    return render(lines(steps), steps.get(steps.size() - 1).sofar());
  }

  protected List<String> lines(List<Step> steps) {
    List<String> lines = new ArrayList<>();
    steps.forEach(st -> lines.add(line(st)));
    return lines;
  }

  /** The solution text: step lines, then the answer line. */
  protected static String render(List<String> lines, String answer) {
    StringBuilder sb = new StringBuilder();
    for (String s : lines) {
      sb.append(s).append('\n');
    }
    return sb.append(Prompts.ANSWER_PREFIX).append(answer).append('.').toString();
  }

  /**
   * Solves the problem again, written exactly as a correct solution ({@code Noah -> h -> h} per line, then {@code The
   * answer is hlaa}), and compares the final answers: {@code The answer is hlaa; the solution's answer is hlea:
   * wrong.}.
   *
   * <p>Why a verbatim solution and no line-by-line judgement: a verifier trained on 2-4 items has to work on 6 out
   * of distribution, and the only part of it that has seen 6 is the generator it starts from. Measured on the
   * {@code quick} last-letter run, GenRM-CoT out-of-distribution AUROC: judging line k against the question's k-th
   * name ({@code Step 2: Wimmie is wrong: name 2 is Jimmie.}) 0.381; re-solving with a comparison on every line
   * ({@code Elisha -> a -> hla (solution: e -> hle)}) 0.438, also naming the next item 0.478, and the verifier still
   * re-solved 4 of 6 names and stopped, the number of lines it had been trained on. Written as a plain solution the
   * re-solve is the generator's own text, which it learned for every length (and replays during CoT training).
   */
  @Override
  public String rationale(Problem p, String candidate) {
    List<String> words = words(p.question());
    String solved = solve(words); // ends "The answer is X."
    Grade g = grade(answer(words), candidate);
    StringBuilder b = new StringBuilder(solved.substring(0, solved.length() - 1));
    if (g.extractedAnswer() == null) {
      b.append(Prompts.NO_ANSWER).append(Prompts.JUDGED_WRONG);
    } else {
      b.append(Prompts.RESTATED_ANSWER).append(g.extractedAnswer()).append(": ")
          .append(g.correct() ? Prompts.JUDGED_CORRECT : Prompts.JUDGED_WRONG);
    }
    return Prompts.withVerdict(b.toString(), g.correct());
  }

  /**
   * A wrong solution of {@code solution}'s problem: for a correct solution of this task's form, one mistake of the
   * kinds the generator makes ({@link #realisticMistake}, drawn again until the answer changes); otherwise, or when
   * twenty draws leave the answer, its steps with a wrong answer line ({@link #realisticWrongAnswer}). Issue #21:
   * the verifiers' No examples are mostly these, so their mistakes have to be the ones candidates out of
   * distribution carry.
   */
  @Override
  public String perturb(String solution, Random rng) {
    String answer = extractAnswer(solution);
    List<String> words = wordsOfSolution(solution);
    for (int attempt = 0; words != null && attempt < 20; attempt++) {
      String bad = realisticMistake(words, rng);
      if (bad != null && !answersMatch(answer, extractAnswer(bad))) {
        return bad;
      }
    }
    return render(stepLines(solution), realisticWrongAnswer(answer == null ? "" : answer, rng));
  }

  /**
   * A solution of {@code words} with one mistake drawn from the generator's own kinds, in about the shares of its
   * wrong samples on training problems; null when the drawn kind does not apply to these words.
   */
  protected abstract String realisticMistake(List<String> words, Random rng);

  /** The question's words when {@code solution}'s step lines are this task's correct ones for them; else null. */
  protected List<String> wordsOfSolution(String solution) {
    List<String> lines = stepLines(solution);
    List<Step> parsed = lines.stream().map(this::parseStep).toList();
    if (parsed.isEmpty() || parsed.contains(null)) {
      return null;
    }
    List<String> words = wordsOf(parsed);
    return lines(steps(words, -1, null)).equals(lines) ? words : null;
  }

  /**
   * A solution of {@code words} whose step at a random position picks {@link #realisticPick} instead, carried
   * through to the answer; null when no step has another pick.
   */
  public String withRealisticPick(List<String> words, Random rng) {
    List<Step> truth = steps(words, -1, null);
    int at = rng.nextInt(truth.size());
    String pick = realisticPick(truth.get(at), rng);
    return pick == null ? null : render(steps(words, at, pick));
  }

  /** Error types of a wrong candidate, each common among the generator's own ({@link #withMistake}). */
  public enum Mistake {
    /** One item's letter picked wrongly, carried through the running string. */
    WRONG_PICK,
    /** One item copied as another pool word, with that word's letter (the line agrees with itself). */
    MISCOPIED_ITEM,
    /** One item's line left out. */
    DROPPED_LINE,
    /** A line for an item the question does not have. */
    EXTRA_LINE,
    /** One running string written with a letter changed, the later lines building on it. */
    RUNNING_SLIP,
    /** The answer line differs from the last running string. */
    WRONG_ANSWER
  }

  /** The running string after {@code sofar} takes {@code pick} (last-letter appends it). */
  protected String extend(String sofar, String pick) {
    return sofar + pick;
  }

  /** {@code truth} with step k's answer so far written {@code slipped}, the later steps building on it. */
  protected List<Step> slippedAt(List<Step> truth, int k, String slipped) {
    List<Step> s = new ArrayList<>(truth.subList(0, k));
    String sofar = slipped;
    s.add(new Step(truth.get(k).left(), truth.get(k).pick(), sofar));
    for (Step t : truth.subList(k + 1, truth.size())) {
      sofar = extend(sofar, t.pick());
      s.add(new Step(t.left(), t.pick(), sofar));
    }
    return s;
  }

  /**
   * A solution of {@code words} carrying {@code m} (its grade may still be correct, e.g. a mis-copied item with the
   * same letter; the corpus labels candidates with the grader).
   */
  public String withMistake(List<String> words, Mistake m, Random rng) {
    if (!writesSoFar() && m == Mistake.RUNNING_SLIP || words.size() == 1 && m == Mistake.DROPPED_LINE) {
      m = Mistake.WRONG_ANSWER; // no running string to slip, no line that can go
    }
    int k = rng.nextInt(words.size());
    String wrongPick = otherPick(steps(words, -1, null).get(k), rng);
    if (m == Mistake.WRONG_PICK && wrongPick == null) {
      m = Mistake.WRONG_ANSWER; // nothing else to pick at k
    }
    List<String> w = new ArrayList<>(words);
    List<String> pool = pool();
    return switch (m) {
      case WRONG_PICK -> render(steps(words, k, wrongPick));
      case MISCOPIED_ITEM -> {
        String other;
        do {
          other = pool.get(rng.nextInt(pool.size()));
        } while (other.equals(words.get(k)));
        w.set(k, other);
        yield render(steps(w, -1, null));
      }
      case DROPPED_LINE -> {
        w.remove(k);
        yield render(steps(w, -1, null));
      }
      case EXTRA_LINE -> {
        w.add(rng.nextInt(w.size() + 1), pool.get(rng.nextInt(pool.size())));
        yield render(steps(w, -1, null));
      }
      case RUNNING_SLIP -> {
        List<Step> s = steps(words, -1, null);
        yield render(slippedAt(s, k, wrongAnswer(s.get(k).sofar(), rng)));
      }
      case WRONG_ANSWER -> {
        List<Step> s = steps(words, -1, null);
        yield render(lines(s), wrongAnswer(s.get(s.size() - 1).sofar(), rng));
      }
    };
  }

  /**
   * A mis-copy of {@code w} of the kinds seen in the generator's samples: one or two letters changed, dropped or
   * added ({@code publish -> publist}, {@code usages -> qusages}), or its start joined to the end of another word of
   * the list ({@code sparkle} beside {@code leopard} -> {@code spard}); never {@code w} itself.
   */
  protected static String garble(String w, List<String> words, Random rng) {
    List<String> others = words.stream().filter(o -> !o.equals(w) && o.length() > 1).toList();
    String letters = String.join("", others) + "abcdefghijklmnopqrstuvwxyz";
    while (true) {
      StringBuilder b = new StringBuilder(w);
      if (!others.isEmpty() && w.length() > 1 && rng.nextBoolean()) {
        String o = others.get(rng.nextInt(others.size()));
        b.setLength(1 + rng.nextInt(w.length() - 1));
        b.append(o, 1 + rng.nextInt(o.length() - 1), o.length());
      } else {
        for (int e = 1 + rng.nextInt(2); e > 0; e--) {
          char c = letters.charAt(rng.nextInt(letters.length()));
          int op = rng.nextInt(3);
          if (op == 0) {
            b.setCharAt(rng.nextInt(b.length()), c);
          } else if (op == 1 && b.length() > 2) {
            b.deleteCharAt(rng.nextInt(b.length()));
          } else {
            b.insert(rng.nextInt(b.length() + 1), c);
          }
        }
      }
      if (!b.toString().equals(w)) {
        return b.toString();
      }
    }
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
