package io.genrm4j.cli;

import io.genrm4j.eval.Experiment;
import io.genrm4j.eval.ExperimentProfile;
import io.genrm4j.eval.ExperimentReport;
import io.genrm4j.eval.RunDir;
import io.genrm4j.eval.Stages;
import io.genrm4j.task.Task;
import io.genrm4j.task.Tasks;
import io.genrm4j.util.UserException;
import java.nio.file.Path;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.ProcessLock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code genrm experiment}: the paper's algorithmic-task experiment end to end, resumable. */
@Command(
    name = "experiment",
    mixinStandardHelpOptions = true,
    description = {
      "Train a generator, sample candidates, train every verifier (ORM, GenRM, unified GenRM, GenRM-CoT, DPO; "
          + "LLM-as-a-judge on the generator) and evaluate Best-of-N, voting, verifier metrics and compute.",
      "Each stage writes its outputs atomically and a stage-NAME.done marker in --out; rerunning skips finished "
          + "stages, so a killed run continues where it stopped.",
      "Profiles: mini (seconds, a smoke test), quick (tens of minutes for last-letter on 2 cores with two workers; "
          + "word sorting longer), full (about twice quick); measured durations: docs/results/. Their values: "
          + "core/src/main/resources/io/genrm4j/profiles/."
    })
public final class ExperimentCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--task", required = true, description = "last-letter, word-sorting or all")
  String task;

  @Option(names = "--profile", defaultValue = "quick", description = "mini, quick or full (default: ${DEFAULT-VALUE})")
  String profile;

  @Option(names = "--out", required = true, description = "run directory (created; reused to resume)")
  Path out;

  @Option(names = "--seed", defaultValue = "1", description = "run seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--seeds", split = ",", description = "several run seeds, e.g. 1,2: one run per seed in "
      + "OUT/seed-N and OUT/seeds.md (each seed's test-ood Best-of-N at the largest N with its interval, and the mean);"
      + " replaces --seed")
  List<Long> seeds;

  @Option(names = "--set", paramLabel = "FIELD=VALUE", description = "change one profile field for this run, e.g. "
      + "--set leakFreeVerifierData=false --set verLr=1e-3 (repeatable; fields: docs/experiment.md#profiles); the run's "
      + "config.json records the result")
  Map<String, String> set = new LinkedHashMap<>();

  @Option(names = "--workers", description = "verifier stages run at once, each on one PyTorch thread (default: "
      + "cores / GENRM_THREADS, at most 4; here ${DEFAULT-VALUE})")
  int workers = Experiment.defaultWorkers();

  @Override
  public Integer call() {
    if (workers < 1) {
      throw new UserException("--workers must be at least 1, got " + workers);
    }
    ExperimentProfile named = ExperimentProfile.named(profile);
    List<Task> tasks = switch (task) {
      case "all" -> List.of(Tasks.LAST_LETTER, Tasks.WORD_SORTING);
      case "last-letter", "word-sorting" -> List.of(Tasks.byName(task));
      default -> throw new UserException("unknown task '" + task + "' (expected last-letter, word-sorting or all)");
    };
    Map<Task, ExperimentProfile> profiles = new LinkedHashMap<>(); // a bad --set fails here, before any stage runs
    tasks.forEach(t -> profiles.put(t, named.forTask(t.name()).with(set)));
    try (ProcessLock lock = ProcessLock.exclusive(out)) {
      return run(profiles, profiles.get(tasks.get(0)));
    }
  }

  /** Runs the tasks (each seed's, with --seeds) and prints their tables; {@code prof} gives the tables' name and N. */
  private int run(Map<Task, ExperimentProfile> profiles, ExperimentProfile prof) {
    var outStream = spec.commandLine().getOut();
    if (seeds != null && !seeds.isEmpty()) {
      Map<Long, List<Experiment.Result>> bySeed = new LinkedHashMap<>();
      for (long s : seeds) {
        bySeed.put(s, Experiment.runTasks(profiles, s, workers, new RunDir(out.resolve("seed-" + s)), System.err));
      }
      String table = ExperimentReport.seedsTable(bySeed, prof).render();
      AtomicFiles.writeString(out.resolve("seeds.md"), table);
      outStream.println(table);
      outStream.flush();
      return 0;
    }
    List<Experiment.Result> results = Experiment.runTasks(profiles, seed, workers, new RunDir(out), System.err);
    for (Experiment.Result r : results) {
      long ran = r.stages().stream().filter(Stages.Record::ran).count();
      outStream.printf("%s: %d stages run, %d already done; report in %s%n", r.metrics().get("task").asText(), ran,
          r.stages().size() - ran, r.dir().report());
    }
    outStream.println(ExperimentReport.summaryTable(ExperimentReport.summary(results, prof), prof).render());
    outStream.flush();
    return 0;
  }
}
