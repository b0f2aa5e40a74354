package io.genrm4j.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.Prompts;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.VerifierData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Label counts of the verifiers' training examples grouped by surface features that say nothing about correctness
 * out of distribution: step lines, answer length, solution length, answer format. A group with only one label is a
 * shortcut the verifier can learn instead of checking the solution (issue #21: every answer of 5+ letters was
 * labelled No, and out of distribution every 6-letter answer scored near 0).
 *
 * @param examples the number of examples audited
 * @param groupings feature name -> group value -> label counts, groups in natural order
 * @param singleLabel the groups of every grouping in which only one label occurs, but for groups of solutions
 *     without an answer: those are wrong at every length, in and out of distribution
 */
public record VerifierDataAudit(int examples, Map<String, Map<String, LabelCounts>> groupings,
    List<Group> singleLabel) {

  /** Solution length in characters is bucketed by this many characters. */
  public static final int CHAR_BUCKET = 50;

  /** The groupings, in the order they are reported; the joint one is the check. */
  public static final String LINES = "lines";
  public static final String ANSWER_LENGTH = "answer_length";
  public static final String LINES_X_ANSWER_LENGTH = "lines x answer_length";
  public static final String CHARS = "chars_bucket";
  public static final String FORMAT = "format";

  public record LabelCounts(int yes, int no) {
    boolean singleLabel() {
      return yes == 0 || no == 0;
    }
  }

  /** One group of one grouping, e.g. {@code lines x answer_length = 5 x 5}. */
  public record Group(String by, String value, LabelCounts counts) {}

  /** The audit of a list of examples. */
  public static VerifierDataAudit of(List<VerifierData.Labeled> examples) {
    Map<String, Function<String, String>> features = new LinkedHashMap<>();
    features.put(LINES, s -> pad(stepLines(s)));
    features.put(ANSWER_LENGTH, s -> answerLength(s) < 0 ? "none" : pad(answerLength(s)));
    features.put(LINES_X_ANSWER_LENGTH, VerifierDataAudit::paddedJointGroup);
    features.put(CHARS, s -> pad(s.length() / CHAR_BUCKET * CHAR_BUCKET) + "-"
        + (s.length() / CHAR_BUCKET * CHAR_BUCKET + CHAR_BUCKET - 1));
    features.put(FORMAT, s -> endsWithAnswer(s) ? "ends with 'The answer is ...'" : "other ending");
    Map<String, Map<String, LabelCounts>> groupings = new LinkedHashMap<>();
    List<Group> single = new ArrayList<>();
    features.forEach((by, feature) -> {
      // TreeMap on zero-padded numbers: groups in numeric order
      Map<String, int[]> counts = new TreeMap<>(); // yes, no, solutions without an answer
      for (VerifierData.Labeled e : examples) {
        int[] c = counts.computeIfAbsent(feature.apply(e.solution()), k -> new int[3]);
        c[e.correct() ? 0 : 1]++;
        c[2] += answer(e.solution()) == null ? 1 : 0;
      }
      Map<String, LabelCounts> groups = new LinkedHashMap<>();
      counts.forEach((value, yn) -> {
        LabelCounts c = new LabelCounts(yn[0], yn[1]);
        groups.put(unpad(value), c);
        if (c.singleLabel() && yn[2] < c.yes() + c.no()) {
          single.add(new Group(by, unpad(value), c));
        }
      });
      groupings.put(by, groups);
    });
    return new VerifierDataAudit(examples.size(), groupings, single);
  }

  /** A solution's group under {@link #LINES_X_ANSWER_LENGTH}, e.g. {@code "5 x 5"} or {@code "3 x none"}. */
  static String jointGroup(String solution) {
    return unpad(paddedJointGroup(solution));
  }

  private static String paddedJointGroup(String s) {
    return pad(stepLines(s)) + " x " + (answerLength(s) < 0 ? "none" : pad(answerLength(s)));
  }

  /** Lines of a solution other than its answer line. */
  static int stepLines(String solution) {
    int n = 0;
    for (String line : solution.split("\n")) {
      if (!line.isBlank() && !line.startsWith(Prompts.ANSWER_PREFIX)) {
        n++;
      }
    }
    return n;
  }

  /** Whether the last non-blank line is the answer line. */
  static boolean endsWithAnswer(String solution) {
    String[] lines = solution.strip().split("\n");
    return lines[lines.length - 1].startsWith(Prompts.ANSWER_PREFIX);
  }

  /** The text after the last {@code The answer is }, without its final period; null when there is none. */
  static String answer(String solution) {
    int at = solution.lastIndexOf(Prompts.ANSWER_PREFIX);
    if (at < 0) {
      return null;
    }
    String a = solution.substring(at + Prompts.ANSWER_PREFIX.length()).strip();
    return a.endsWith(".") ? a.substring(0, a.length() - 1) : a;
  }

  /** The {@link #answerItems} of a solution's answer; -1 when it has none. */
  static int answerLength(String solution) {
    String a = answer(solution);
    return a == null ? -1 : answerItems(a);
  }

  /** Items of an answer when it has several words (word sorting), else its letters (last letters). */
  static int answerItems(String answer) {
    String[] words = answer.strip().split("\\s+");
    return words.length > 1 ? words.length : answer.strip().length();
  }

  private static String pad(int n) {
    return String.format("%06d", n);
  }

  /** Drops the zero padding of every number in a group value. */
  private static String unpad(String value) {
    return value.replaceAll("\\b0+(\\d)", "$1");
  }

  public ObjectNode toJson() {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("examples", examples);
    ObjectNode g = o.putObject("groupings");
    groupings.forEach((by, groups) -> {
      ObjectNode go = g.putObject(by);
      groups.forEach((value, c) -> go.putObject(value).put("yes", c.yes()).put("no", c.no()));
    });
    ArrayNode s = o.putArray("single_label");
    singleLabel.forEach(x -> s.addObject().put("by", x.by()).put("group", x.value()).put("yes", x.counts().yes())
        .put("no", x.counts().no()));
    return o;
  }

  /** The single-label groups as a table (every grouping), for report.md. */
  MarkdownTable singleLabelTable() {
    MarkdownTable t = MarkdownTable.of("grouped by", "group", "Yes", "No");
    singleLabel.forEach(x -> t.row(x.by(), x.value(), x.counts().yes(), x.counts().no()));
    return t;
  }
}
