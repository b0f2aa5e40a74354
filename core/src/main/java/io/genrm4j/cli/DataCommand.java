package io.genrm4j.cli;

import io.genrm4j.task.Candidate;
import io.genrm4j.task.Problem;
import io.genrm4j.task.ReleaseData;
import io.genrm4j.task.Split;
import io.genrm4j.task.Task;
import io.genrm4j.task.Tasks;
import io.genrm4j.task.VerificationExample;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code genrm data generate|pairs|convert}: problem files, labelled pairs and conversions of the authors' release. */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = "Problem sets, labelled verifier pairs and dataset conversion.",
    subcommands = {DataCommand.Generate.class, DataCommand.Pairs.class, DataCommand.Convert.class})
public final class DataCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = {
        "Write a split's problems as JSONL (id, task, question, answer, split, reference_solution).",
        "last-letter / word-sorting: COUNT distinct lists drawn from SEED (train and test-id are disjoint; "
            + "test-ood has longer lists). gsm8k: the shipped split (train or test-id), all of it or a seeded "
            + "sample of COUNT."
      })
  static final class Generate implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Mixin ProblemDraw draw;

    /** Problems one run may write (they are held in memory until the atomic write). */
    static final int MAX_COUNT = 1_000_000;

    @Option(names = "--count", defaultValue = "0", description = "number of problems, at most 1000000 (gsm8k: 0 = all)")
    int count;

    @Override
    public Integer call() {
      if (count < 0 || count > MAX_COUNT) { // all problems are held in memory before the atomic write
        throw new UserException("--count must be in [0, " + MAX_COUNT + "], got " + count);
      }
      List<Problem> problems = draw.problems(count);
      Jsonl.write(draw.out, problems);
      spec.commandLine()
          .getOut()
          .println("records: " + problems.size() + " " + draw.task().name() + " " + draw.split + " problems -> "
              + draw.out);
      return 0;
    }
  }

  /** Which problems a data command draws and where it writes them: task, split, seed, output file. */
  static final class ProblemDraw {
    @Option(names = "--task", required = true, description = "last-letter, word-sorting or gsm8k")
    String task;

    @Option(names = "--split", required = true, description = "train, test-id or test-ood (gsm8k: train, test-id)")
    String split;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, description = "output JSONL file")
    Path out;

    Task task() {
      return Tasks.byName(task);
    }

    /** {@code count} distinct problems of the split drawn from the seed (gsm8k: 0 = all). */
    List<Problem> problems(int count) {
      return task().problems(Split.parse(split), count, seed);
    }
  }

  @Command(
      name = "pairs",
      mixinStandardHelpOptions = true,
      description = {
        "Write labelled candidates for training or probing a verifier without a generator: for each of a split's "
            + "problems (drawn as by `data generate`), its reference solution and the reference with one of the "
            + "task's typical mistakes (a mis-copied item, a wrong pick, a dropped line, a wrong final answer, ...), "
            + "each graded by the task. Records: problem_id, candidate_id, question, text, answer, extracted_answer, "
            + "correct, as `genrm train verifier --data` and `genrm verify --input` read them."
      })
  static final class Pairs implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Mixin ProblemDraw draw; // the seed draws the mistakes too

    @Option(names = "--count", required = true, description = "problems, two records each; at most 500000 (gsm8k: 0 "
        + "= all)")
    int count;

    @Override
    public Integer call() {
      if (count < 0 || count > Generate.MAX_COUNT / 2) {
        throw new UserException("--count must be in [0, " + Generate.MAX_COUNT / 2 + "], got " + count);
      }
      Task t = draw.task();
      java.util.Random rng = new java.util.Random(draw.seed);
      List<Candidate> out = new java.util.ArrayList<>();
      for (Problem p : draw.problems(count)) {
        String reference = t.solve(p);
        String perturbed = t.perturb(reference, rng);
        out.add(graded(t, p, "reference", reference));
        out.add(graded(t, p, "perturbed", perturbed));
      }
      Jsonl.write(draw.out, out);
      long correct = out.stream().filter(Candidate::correct).count();
      spec.commandLine().getOut().printf(Locale.ROOT, "records: %d (%d correct) from %d %s %s problems -> %s%n",
          out.size(), correct, out.size() / 2, t.name(), draw.split, draw.out);
      return 0;
    }

    private static Candidate graded(Task t, Problem p, String kind, String text) {
      return new Candidate(p.id(), p.id() + "-" + kind, p.question(), text, p.answer(), null, null)
          .withGrade(t.grade(p, text));
    }
  }

  @Command(
      name = "convert",
      mixinStandardHelpOptions = true,
      description = {
        "Convert the GenRM authors' release to this project's records.",
        "release-rm / release-critiques: rm_* or critiques_* (.zip, .jsonl, .jsonl.gz) -> verification examples "
            + "(prompt, completion, label, kind, problem_id, candidate_id).",
        "release-candidates: data_collection/*.jsonl.gz -> candidates (problem_id, candidate_id, question, text, "
            + "answer, extracted_answer, correct) with the release's own labels."
      })
  static final class Convert implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--from", required = true, description = "release-rm, release-critiques or release-candidates")
    String from;

    @Option(names = "--input", required = true, description = "input file")
    Path input;

    @Option(names = "--out", required = true, description = "output JSONL file")
    Path out;

    @Override
    public Integer call() {
      int n;
      long yes;
      switch (from.toLowerCase(Locale.ROOT)) {
        case "release-rm", "release-critiques" -> {
          List<VerificationExample> ex =
              ReleaseData.readSft(input).stream().map(ReleaseData.SftRecord::toExample).toList();
          String want = from.endsWith("rm") ? VerificationExample.DIRECT : VerificationExample.COT;
          for (int i = 0; i < ex.size(); i++) {
            if (!ex.get(i).kind().equals(want)) {
              throw new UserException(
                  input + ": record " + (i + 1) + " is a " + ex.get(i).kind() + " record, not " + from);
            }
          }
          Jsonl.write(out, ex);
          n = ex.size();
          yes = ex.stream().filter(VerificationExample::label).count();
        }
        case "release-candidates" -> {
          List<Candidate> c =
              ReleaseData.readCandidates(input).stream().map(ReleaseData.CandidateRecord::toCandidate).toList();
          Jsonl.write(out, c);
          n = c.size();
          yes = c.stream().filter(x -> Boolean.TRUE.equals(x.correct())).count();
        }
        default -> throw new UserException(
            "unknown --from '" + from + "' (expected release-rm, release-critiques or release-candidates)");
      }
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "records: %d, correct: %d, accuracy: %.4f -> %s%n",
              n,
              yes,
              n == 0 ? 0.0 : (double) yes / n,
              out);
      return 0;
    }
  }
}
