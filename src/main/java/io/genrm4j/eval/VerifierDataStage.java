package io.genrm4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Split;
import io.genrm4j.task.Task;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.VerifierData;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

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
   */
  void write() {
    Task task = ctx.task();
    RunDir dir = ctx.dir();
    Map<String, List<Candidate>> groups = CandidatePool.byProblem(CandidatePool.read(dir, Split.TRAIN));
    Random rng = new Random(ctx.seedOf("fill"));
    List<ObjectNode> rows = new ArrayList<>();
    int filledCorrect = 0;
    int filledIncorrect = 0;
    int sampledCorrect = 0;
    int sampledIncorrect = 0;
    for (Problem p : ctx.problems(Split.TRAIN)) {
      LinkedHashSet<String> good = new LinkedHashSet<>();
      LinkedHashSet<String> bad = new LinkedHashSet<>();
      for (Candidate c : groups.getOrDefault(p.id(), List.of())) {
        (Boolean.TRUE.equals(c.correct()) ? good : bad).add(c.text());
      }
      if (good.isEmpty()) {
        good.add(task.solve(p));
        filledCorrect++;
      }
      if (bad.isEmpty()) {
        bad.add(task.perturb(task.solve(p), rng));
        filledIncorrect++;
      }
      int k = Math.min(ctx.prof().maxPerClass(), Math.min(good.size(), bad.size()));
      for (boolean label : new boolean[] {true, false}) {
        int taken = 0;
        for (String s : label ? good : bad) {
          if (taken++ == k) {
            break;
          }
          if (task.grade(p, s).correct() != label) {
            throw new IllegalStateException("perturbation did not change correctness: " + s);
          }
          ObjectNode o = Jsonl.MAPPER.createObjectNode();
          o.put("problem_id", p.id());
          o.put("question", p.question());
          o.put("solution", s);
          o.put("correct", label);
          o.put("rationale", rationaleBody(p, s, label));
          rows.add(o);
        }
      }
      sampledCorrect += good.size();
      sampledIncorrect += bad.size();
    }
    Jsonl.write(dir.verifierTrain(), rows);
    AtomicFiles.writeString(dir.verifierDataStats(), Experiment.pretty(new VerifierDataStats(rows.size(),
        sampledCorrect, sampledIncorrect, filledCorrect, filledIncorrect).toJson()));
    AtomicFiles.writeString(dir.verifierDataAudit(), Experiment.pretty(VerifierDataAudit.of(read(dir)).toJson()));
  }

  /** The oracle rationale without its verdict line (the trainer appends the verdict). */
  private String rationaleBody(Problem p, String candidate, boolean correct) {
    String r = ctx.oracle().rationale(p, candidate);
    String tail = Prompts.VERDICT_SEPARATOR + Prompts.verdictLine(correct);
    if (!r.endsWith(tail)) {
      throw new IllegalStateException("oracle rationale does not end with the grader's verdict: " + r);
    }
    return r.substring(0, r.length() - tail.length());
  }

  /** The training examples written by {@link #write}. */
  static List<VerifierData.Labeled> read(RunDir dir) {
    return Jsonl.read(dir.verifierTrain(), n -> new VerifierData.Labeled(Jsonl.text(n, "question"),
        Jsonl.text(n, "solution"), n.get("correct").booleanValue(), Jsonl.text(n, "rationale")));
  }
}
