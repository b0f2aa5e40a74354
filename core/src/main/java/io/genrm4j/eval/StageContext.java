package io.genrm4j.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.Oracle;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Split;
import io.genrm4j.task.Task;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import java.io.PrintStream;
import java.util.List;

/**
 * What the stages of one task's experiment share: the task and its oracle, the profile (already {@code forTask}),
 * the run directory, the tokenizer, the run seed and where warnings go.
 */
record StageContext(Task task, Oracle oracle, ExperimentProfile prof, RunDir dir, CharTokenizer tok, long seed,
    PrintStream err) {

  /** Every random choice is a function of the run seed and a fixed salt (a stage or method name). */
  long seedOf(String what) {
    return seedOf(seed, what);
  }

  /** {@link #seedOf(String)} of a given run seed, for code that has the seed but no context (the report). */
  static long seedOf(long seed, String what) {
    long h = seed * 0x9E3779B97F4A7C15L;
    for (char c : what.toCharArray()) {
      h = (h ^ c) * 0x100000001B3L;
    }
    return h & Long.MAX_VALUE;
  }

  List<Problem> problems(Split s) {
    return Problem.read(dir.problems(s));
  }

  /** Enough tokens for a correct solution of the longest problem, with room for mistakes. */
  int solutionTokens(List<Problem> ps) {
    int max = 0;
    for (Problem p : ps) {
      max = Math.max(max, tok.encode(task.solve(p)).length);
    }
    return prof.capTokens(max * 3 / 2 + 16);
  }

  /** train-NAME.json: the size of the data, the cost, every step's loss and, for the generator, its dev checks. */
  void writeTrainLog(String name, Trainer.Result r, int examples, ArrayNode devChecks) {
    writeTrainLog(name, r, examples, devChecks, null);
  }

  /** As above, with the pretrained base the model started from (null: none). */
  void writeTrainLog(String name, Trainer.Result r, int examples, ArrayNode devChecks, ObjectNode base) {
    writeTrainLog(name, r, examples, devChecks, base, null);
  }

  /** As above, with the AUROC curve measured while training ({@link VerifierCurve}; null: none). */
  void writeTrainLog(String name, Trainer.Result r, int examples, ArrayNode devChecks, ObjectNode base,
      ArrayNode curve) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("examples", examples);
    o.put("steps", r.steps());
    o.put("tokens", r.tokens());
    o.put("seconds", r.seconds());
    o.put("final_loss", r.finalLoss());
    if (base != null) {
      o.set("base", base);
    }
    if (devChecks != null && !devChecks.isEmpty()) {
      o.set("dev_checks", devChecks);
    }
    if (curve != null && !curve.isEmpty()) {
      o.set("auroc_curve", curve);
    }
    ArrayNode losses = o.putArray("losses");
    r.losses().forEach(losses::add);
    AtomicFiles.writeString(dir.trainLog(name), Experiment.pretty(o));
  }
}
