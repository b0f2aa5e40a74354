package io.genrm4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Split;
import io.genrm4j.task.Task;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.VerifierData;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IntSummaryStatistics;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/** Stage {@code verifier-data}: the verifiers' balanced training examples, with oracle rationales. */
final class VerifierDataStage {
  private final StageContext ctx;

  VerifierDataStage(StageContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Per training problem: the distinct correct and incorrect sampled candidates, k = min(maxPerClass, #correct,
   * #incorrect) of each. A problem with no correct sample gets the reference solution as its correct one; a problem
   * with no incorrect sample gets a perturbed reference solution ({@link Task#perturb}); both are counted in
   * {@link VerifierDataStats}.
   *
   * <p>With the profile's {@code leakFreeVerifierData} (issue #21), no surface feature may tell the labels apart in
   * a way that is wrong out of distribution: a sampled candidate whose step lines or answer length lie outside the
   * range of the training problems' reference solutions is dropped (a generator that learned longer lists writes
   * extra lines on short problems, and those were all No: "long means wrong"), and so is every candidate of a
   * {@link VerifierDataAudit#LINES_X_ANSWER_LENGTH} group that ends up with one label only; the selection is redone
   * until no new such group appears. Within a problem, candidates whose shape the other label also has are taken
   * first. Fills are always kept: they have the reference's shape. A sampled candidate without an answer is wrong at
   * every length, in and out of distribution: the first of a problem whose lines are in range is one more No example,
   * outside the balanced selection (left out, the verifiers never saw one and ranked such candidates first,
   * docs/results/2026-12-07-answerless.md).
   */
  void write() {
    Task task = ctx.task();
    RunDir dir = ctx.dir();
    Map<String, List<Candidate>> sampled = CandidatePool.byProblem(CandidatePool.read(dir, Split.TRAIN));
    List<Problem> problems = ctx.problems(Split.TRAIN);
    Shape range = Shape.rangeOf(problems.stream().map(task::solve).toList());
    Random rng = new Random(ctx.seedOf("fill"));
    Map<String, String> perturbed = new HashMap<>(); // one perturbation per problem, whatever the round
    Set<String> excluded = new TreeSet<>();
    Selection sel;
    while (true) {
      sel = select(problems, sampled, range, excluded, p -> perturbed.computeIfAbsent(p.id(),
          id -> task.perturb(task.solve(p), rng)));
      if (!ctx.prof().leakFreeVerifierData()) {
        break;
      }
      Set<String> single = new TreeSet<>();
      VerifierDataAudit.of(sel.examples()).singleLabel().stream()
          .filter(g -> g.by().equals(VerifierDataAudit.LINES_X_ANSWER_LENGTH)).forEach(g -> single.add(g.value()));
      if (!excluded.addAll(single)) {
        break;
      }
    }
    List<VerifierData.Labeled> examples = new ArrayList<>(sel.examples());
    List<Problem> problemOf = new ArrayList<>(sel.problemOf());
    int synthetic = addSyntheticPairs(problems, rng, examples, problemOf);
    List<ObjectNode> rows = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      VerifierData.Labeled e = examples.get(i);
      Problem p = problemOf.get(i);
      if (task.grade(p, e.solution()).correct() != e.correct()) {
        throw new IllegalStateException("perturbation did not change correctness: " + e.solution());
      }
      ObjectNode o = Jsonl.MAPPER.createObjectNode();
      o.put("problem_id", p.id());
      o.put("question", p.question());
      o.put("solution", e.solution());
      o.put("correct", e.correct());
      o.put("rationale", ctx.oracle().rationaleBody(p, e.solution(), e.correct()));
      rows.add(o);
    }
    Jsonl.write(dir.verifierTrain(), rows);
    AtomicFiles.writeString(dir.verifierDataStats(),
        Experiment.pretty(sel.stats(rows.size(), excluded, synthetic).toJson()));
    AtomicFiles.writeString(dir.verifierDataAudit(), Experiment.pretty(VerifierDataAudit.of(read(dir)).toJson()));
  }

  /**
   * The profile's {@code syntheticPairs}: that many more training-half problems of the training lengths (none a
   * training problem), each giving its reference solution and a perturbed reference ({@link Task#perturb}: the
   * generator's kinds of mistakes), appended to {@code examples}. Why: a GenRM-CoT verifier memorised the ~2,000
   * verdicts of the sampled data instead of learning to compare answers (issue #21); every verifier gets the same
   * examples. Returns the number of pairs.
   */
  private int addSyntheticPairs(List<Problem> training, Random rng, List<VerifierData.Labeled> examples,
      List<Problem> problemOf) {
    int want = ctx.prof().syntheticPairs();
    if (want == 0) {
      return 0;
    }
    Set<String> taken = new HashSet<>();
    training.forEach(p -> taken.add(p.question()));
    Task task = ctx.task();
    int added = 0;
    for (Problem drawn : task.problems(Split.TRAIN, want + training.size(), ctx.seedOf("synthetic"))) {
      if (added == want) {
        break;
      }
      if (!taken.add(drawn.question())) {
        continue;
      }
      Problem p = new Problem(task.name() + "-synthetic-" + added, drawn.task(), drawn.question(), drawn.answer(),
          drawn.split(), drawn.referenceSolution());
      String reference = task.solve(p);
      for (String s : List.of(reference, task.perturb(reference, rng))) {
        examples.add(new VerifierData.Labeled(p.question(), s, s.equals(reference), ""));
        problemOf.add(p);
      }
      added++;
    }
    return added;
  }

  /** The step-line and answer-length range of a set of solutions (the training problems' references). */
  record Shape(int minLines, int maxLines, int minAnswer, int maxAnswer) {
    static Shape rangeOf(List<String> solutions) {
      IntSummaryStatistics lines = solutions.stream().mapToInt(VerifierDataAudit::stepLines).summaryStatistics();
      IntSummaryStatistics answer = solutions.stream().mapToInt(VerifierDataAudit::answerLength).summaryStatistics();
      return new Shape(lines.getMin(), lines.getMax(), answer.getMin(), answer.getMax());
    }

    /**
     * Whether {@code solution}'s step lines, and its answer length if it has an answer ({@link #write}), are in range.
     */
    boolean contains(String solution) {
      int l = VerifierDataAudit.stepLines(solution);
      int a = VerifierDataAudit.answerLength(solution);
      return l >= minLines && l <= maxLines && (a < 0 || a >= minAnswer && a <= maxAnswer);
    }
  }

  /** The chosen examples (question, solution, label; rationale empty), the problem of each, and what was left. */
  private record Selection(List<VerifierData.Labeled> examples, List<Problem> problemOf, int distinctCorrect,
      int distinctIncorrect, int filledCorrect, int filledIncorrect, int outOfRange, int inExcludedGroups,
      int answerless) {
    VerifierDataStats stats(int rows, Set<String> excludedGroups, int synthetic) {
      return new VerifierDataStats(rows, distinctCorrect, distinctIncorrect, filledCorrect, filledIncorrect,
          outOfRange, inExcludedGroups, List.copyOf(excludedGroups), synthetic, answerless);
    }
  }

  /** One round of the balanced selection; with leak-free data, sampled candidates must fit range and groups. */
  private Selection select(List<Problem> problems, Map<String, List<Candidate>> sampled, Shape range,
      Set<String> excluded, Function<Problem, String> perturbation) {
    boolean leakFree = ctx.prof().leakFreeVerifierData();
    List<VerifierData.Labeled> examples = new ArrayList<>();
    List<Problem> problemOf = new ArrayList<>();
    // distinct correct, distinct incorrect, filled correct, filled incorrect, out of range, excluded, answerless
    int[] n = new int[7];
    for (Problem p : problems) {
      LinkedHashSet<String> good = new LinkedHashSet<>();
      LinkedHashSet<String> bad = new LinkedHashSet<>();
      String answerless = null;
      for (Candidate c : sampled.getOrDefault(p.id(), List.of())) {
        LinkedHashSet<String> side = Boolean.TRUE.equals(c.correct()) ? good : bad;
        if (side.contains(c.text())) {
          continue;
        }
        if (leakFree && !range.contains(c.text())) {
          n[4]++;
        } else if (leakFree && VerifierDataAudit.answer(c.text()) == null) {
          answerless = answerless == null ? c.text() : answerless;
        } else if (leakFree && excluded.contains(VerifierDataAudit.jointGroup(c.text()))) {
          n[5]++;
        } else {
          side.add(c.text());
        }
      }
      if (good.isEmpty()) {
        good.add(ctx.task().solve(p));
        n[2]++;
      }
      if (bad.isEmpty()) {
        bad.add(perturbation.apply(p));
        n[3]++;
      }
      int k = Math.min(ctx.prof().maxPerClass(), Math.min(good.size(), bad.size()));
      List<String> goodFirst = leakFree ? shapeMatchedFirst(good, bad) : List.copyOf(good);
      List<String> badFirst = leakFree ? shapeMatchedFirst(bad, good) : List.copyOf(bad);
      for (boolean label : new boolean[] {true, false}) {
        (label ? goodFirst : badFirst).stream().limit(k).forEach(s -> {
          examples.add(new VerifierData.Labeled(p.question(), s, label, ""));
          problemOf.add(p);
        });
      }
      if (answerless != null) {
        examples.add(new VerifierData.Labeled(p.question(), answerless, false, ""));
        problemOf.add(p);
        n[6]++;
      }
      n[0] += good.size();
      n[1] += bad.size();
    }
    return new Selection(examples, problemOf, n[0], n[1], n[2], n[3], n[4], n[5], n[6]);
  }

  /**
   * {@code these} in sample order, those with the (lines x answer length) shape of one of {@code others} first: a
   * problem's Yes and No examples then share their shape where its candidates allow it, so the shape does not tell
   * the label (with one correct candidate and an extra-line wrong one sampled first, the wrong one used to be kept).
   */
  private static List<String> shapeMatchedFirst(Set<String> these, Set<String> others) {
    Set<String> shapes = new HashSet<>();
    others.forEach(s -> shapes.add(VerifierDataAudit.jointGroup(s)));
    List<String> out = new ArrayList<>(these);
    out.sort(Comparator.comparing(s -> shapes.contains(VerifierDataAudit.jointGroup(s)) ? 0 : 1));
    return out;
  }

  /** The training examples written by {@link #write}. */
  static List<VerifierData.Labeled> read(RunDir dir) {
    return Jsonl.read(dir.verifierTrain(), n -> new VerifierData.Labeled(Jsonl.text(n, "question"),
        Jsonl.text(n, "solution"), n.get("correct").booleanValue(), Jsonl.text(n, "rationale")));
  }
}
