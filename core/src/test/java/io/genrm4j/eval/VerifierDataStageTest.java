package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Split;
import io.genrm4j.task.Task;
import io.genrm4j.task.Tasks;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.VerifierData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verifier-data stage on hand-made candidates with the issue #21 leak: an extra line on every problem (5 lines
 * on 4-name problems, beyond the training range, always wrong) and a shape that only wrong solutions have.
 */
class VerifierDataStageTest {
  private static final Task TASK = Tasks.LAST_LETTER;

  /** Per problem: the reference (Yes), the reference with one more name (No; on 4-name problems beyond the
   * training range), for 4-name problems the first three lines with the right answer (Yes, "3 x 4": a shape only
   * correct solutions have), and perturbations (No; two on 4-name problems, so that two examples per label are
   * kept and the 3 x 4 one among them). */
  private static RunDir runDir(Path tmp) {
    Random rng = new Random(5);
    return runDir(tmp, TASK.problems(Split.TRAIN, 30, 11), p -> {
      String ref = TASK.solve(p);
      List<String> lines = new ArrayList<>(List.of(ref.split("\n")));
      String answer = lines.remove(lines.size() - 1);
      // a name the question does not have, carried into the answer: wrong, one line and one letter longer
      List<String> extra = new ArrayList<>(lines);
      extra.add("Zed -> d -> " + p.answer() + "d");
      extra.add(Prompts.ANSWER_PREFIX + p.answer() + "d.");
      // one distinct correct text per problem, so one No is kept: the first wrong one in sample order
      List<String> texts = new ArrayList<>(List.of(ref, String.join("\n", extra)));
      if (lines.size() == 4) {
        texts.add(String.join("\n", lines.subList(0, 3)) + "\n" + answer);
      }
      texts.add(TASK.perturb(ref, rng));
      while (lines.size() == 4 && texts.size() < 5) { // two wrong ones of the reference's shape: k = 2 keeps 3 x 4
        String another = TASK.perturb(ref, rng);
        if (!texts.contains(another)) {
          texts.add(another);
        }
      }
      return texts;
    });
  }

  /** A run directory with {@code problems} as the training problems and {@code texts} of each as its candidates. */
  private static RunDir runDir(Path tmp, List<Problem> problems, Function<Problem, List<String>> texts) {
    RunDir dir = new RunDir(tmp);
    Jsonl.write(dir.problems(Split.TRAIN), problems);
    List<Candidate> out = new ArrayList<>();
    for (Problem p : problems) {
      for (String t : texts.apply(p)) {
        out.add(new Candidate(p.id(), p.id() + "-" + out.size(), p.question(), t, p.answer(), null, null)
            .withGrade(TASK.grade(p, t)));
      }
    }
    Jsonl.write(dir.candidates(Split.TRAIN), out);
    return dir;
  }

  private static List<VerifierData.Labeled> write(RunDir dir, boolean leakFree) {
    return write(dir, leakFree, 0);
  }

  private static List<VerifierData.Labeled> write(RunDir dir, boolean leakFree, int syntheticPairs) {
    ExperimentProfile prof = ExperimentProfile.named("mini").overriddenBy(Jsonl.MAPPER.createObjectNode()
        .put("maxPerClass", 4).put("leakFreeVerifierData", leakFree).put("syntheticPairs", syntheticPairs));
    StageContext ctx = new StageContext(TASK, TASK.oracle().orElseThrow(), prof, dir,
        CharTokenizer.of(TASK.alphabet(), Prompts.PHRASE_TOKENS), 3, new PrintStream(new ByteArrayOutputStream()));
    new VerifierDataStage(ctx).write();
    return VerifierDataStage.read(dir);
  }

  @Test
  void leakFreeDataHasNoSingleLabelShapeAndNothingBeyondTheTrainingRange(@TempDir Path tmp) throws Exception {
    RunDir dir = runDir(tmp);
    List<VerifierData.Labeled> data = write(dir, true);
    VerifierDataAudit audit = VerifierDataAudit.of(data);
    assertTrue(audit.singleLabel().stream().noneMatch(g -> g.by().equals(VerifierDataAudit.LINES_X_ANSWER_LENGTH)),
        audit.singleLabel().toString());
    for (VerifierData.Labeled e : data) {
      assertTrue(VerifierDataAudit.stepLines(e.solution()) <= 4, e.solution());
    }
    VerifierDataStats stats = VerifierDataStats.of(Jsonl.MAPPER.readTree(dir.verifierDataStats().toFile()));
    long fourNames = Problem.read(dir.problems(Split.TRAIN)).stream()
        .filter(p -> TASK.solve(p).split("\n").length == 5).count();
    assertTrue(fourNames > 0);
    assertEquals(fourNames, stats.droppedOutOfRange(), "every 5-line candidate and no other is out of range");
    assertTrue(stats.singleLabelGroups().contains("3 x 4"), stats.singleLabelGroups().toString());
    assertTrue(stats.droppedSingleLabelGroup() > 0);
    // every problem keeps a Yes and a No (the 2-name problems' 3-line candidates were dropped: 3 x 2 is all No)
    Set<String> yes = new HashSet<>();
    Set<String> no = new HashSet<>();
    for (VerifierData.Labeled e : data) {
      (e.correct() ? yes : no).add(e.question());
    }
    assertEquals(yes, no);
    assertEquals(30, yes.size());
  }

  /**
   * A candidate whose answer line is garbled has no answer and is wrong at every length: the leak-free data keeps
   * it where its lines are in range (before, such candidates were dropped, and verifiers that never saw one ranked
   * them first), its group is no shortcut, and its rationale says that it has no answer.
   */
  @Test
  void solutionsWithoutAnAnswerAreKept(@TempDir Path tmp) {
    List<Problem> problems = TASK.problems(Split.TRAIN, 20, 12);
    Random rng = new Random(5);
    RunDir dir = runDir(tmp, problems, p -> {
      String ref = TASK.solve(p);
      String miscopied = "X" + ref.substring(1); // still correct: the first name keeps its last letter
      return List.of(ref, miscopied, TASK.perturb(ref, rng), ref.replace(Prompts.ANSWER_PREFIX, "The aswer is "));
    });
    List<VerifierData.Labeled> data = write(dir, true);
    long shortProblems = problems.stream().filter(p -> TASK.solve(p).split("\n").length < 5).count();
    List<VerifierData.Labeled> answerless = data.stream().filter(e -> VerifierDataAudit.answer(e.solution()) == null)
        .toList();
    assertTrue(shortProblems > 0 && shortProblems < problems.size());
    assertEquals(shortProblems, answerless.size(), "kept on 2-3-name problems; a 4-name one has 5 lines");
    for (VerifierData.Labeled e : answerless) {
      assertFalse(e.correct());
      assertTrue(e.rationale().contains(Prompts.NO_ANSWER + "wrong."), e.rationale());
    }
    assertEquals(List.of(), VerifierDataAudit.of(data).singleLabel());
  }

  @Test
  void withoutTheFilterTheLeakIsThere(@TempDir Path tmp) {
    List<VerifierData.Labeled> data = write(runDir(tmp), false);
    VerifierDataAudit audit = VerifierDataAudit.of(data);
    assertFalse(audit.singleLabel().stream().noneMatch(g -> g.by().equals(VerifierDataAudit.LINES_X_ANSWER_LENGTH)));
    assertTrue(data.stream().anyMatch(e -> VerifierDataAudit.stepLines(e.solution()) == 5 && !e.correct()));
  }

  /**
   * Synthetic pairs come after the sampled data: new training-half questions of the training lengths (none a
   * training or test question), one reference and one wrong perturbation each, with the oracle's rationales.
   */
  @Test
  void syntheticPairsAddAReferenceAndAMistakeOnNewQuestions(@TempDir Path tmp) throws Exception {
    RunDir dir = runDir(tmp);
    List<VerifierData.Labeled> plain = write(dir, true);
    List<VerifierData.Labeled> more = write(dir, true, 25);
    assertEquals(plain, more.subList(0, plain.size()), "the sampled data is unchanged");
    List<VerifierData.Labeled> extra = more.subList(plain.size(), more.size());
    assertEquals(50, extra.size());
    Set<String> seen = new HashSet<>();
    Problem.read(dir.problems(Split.TRAIN)).forEach(p -> seen.add(p.question()));
    for (int i = 0; i < extra.size(); i += 2) {
      VerifierData.Labeled right = extra.get(i);
      VerifierData.Labeled wrong = extra.get(i + 1);
      assertEquals(right.question(), wrong.question());
      assertTrue(seen.add(right.question()), "a new question: " + right.question());
      assertTrue(right.correct() && !wrong.correct());
      List<String> words = Tasks.LAST_LETTER.words(right.question());
      assertTrue(words.size() >= 2 && words.size() <= 4 && !io.genrm4j.task.AlgorithmicTask.inTestIdHalf(words));
      assertTrue(wrong.rationale().endsWith(Prompts.JUDGED_WRONG) && right.rationale().endsWith(Prompts.JUDGED_CORRECT));
    }
    assertEquals(25, VerifierDataStats.of(Jsonl.MAPPER.readTree(dir.verifierDataStats().toFile())).syntheticPairs());
  }
}
