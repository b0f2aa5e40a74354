package io.genrm4j.eval;

import io.genrm4j.task.Split;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The files of an experiment's run directory, named in one place: every stage writes, the report reads, and the tests
 * check these paths and no others.
 *
 * <pre>
 * config.json                          task, profile, seeds: a rerun must match it
 * problems-SPLIT.jsonl                 train, test-id, test-ood problems
 * problems-generator.jsonl             the generator's training problems
 * problems-generator-dev.jsonl         held-out problems the generator's stopping point is measured on
 * checkpoints/NAME/                    generator and trained verifiers (Hugging Face layout)
 * train-NAME.json                      training log of the generator and of each verifier
 * candidates-SPLIT.jsonl               sampled, graded candidates
 * verifier-train.jsonl                 the verifiers' training examples
 * verifier-data.json                   counts of those examples
 * verifier-data-audit.json             their label counts by surface feature (single-label groups are shortcuts)
 * scores/METHOD-SPLIT.jsonl            one verifier's scores of a split's candidates
 * generation.json                      greedy pass@1 per model and split
 * metrics.json, report.md              the report
 * best-of-n-SPLIT.png, votes-SPLIT.png the report's plots
 * stage-NAME.done                      a finished stage's marker
 * TASK/, summary.json, summary.md      with several tasks: one run directory per task and their summary
 * .genrm.lock                          locked while a genrm process runs here (util.ProcessLock): a second is refused
 * </pre>
 */
public record RunDir(Path root) {
  private static final String MARKER_PREFIX = "stage-";
  private static final String MARKER_SUFFIX = ".done";

  public Path config() {
    return root.resolve("config.json");
  }

  public Path problems(Split s) {
    return root.resolve("problems-" + s.id() + ".jsonl");
  }

  public Path generatorProblems() {
    return root.resolve("problems-generator.jsonl");
  }

  public Path generatorDevProblems() {
    return root.resolve("problems-generator-dev.jsonl");
  }

  /** The checkpoint directory of the generator or of a trained verifier ({@code name} is its method). */
  public Path checkpoint(String name) {
    return root.resolve("checkpoints").resolve(name);
  }

  /** The training log of the generator or of a trained verifier. */
  public Path trainLog(String name) {
    return root.resolve("train-" + name + ".json");
  }

  public Path candidates(Split s) {
    return root.resolve("candidates-" + s.id() + ".jsonl");
  }

  /** The verifiers' training examples. */
  public Path verifierTrain() {
    return root.resolve("verifier-train.jsonl");
  }

  /** Counts of the verifiers' training examples ({@link VerifierDataStats}). */
  public Path verifierDataStats() {
    return root.resolve("verifier-data.json");
  }

  /** Label counts of the verifiers' training examples by surface feature ({@link VerifierDataAudit}). */
  public Path verifierDataAudit() {
    return root.resolve("verifier-data-audit.json");
  }

  public Path scores(String method, Split s) {
    return root.resolve("scores").resolve(method + "-" + s.id() + ".jsonl");
  }

  public Path generation() {
    return root.resolve("generation.json");
  }

  public Path metrics() {
    return root.resolve("metrics.json");
  }

  /** GenRM-CoT's judgement given the oracle's rationale, per test split ({@code verify.OracleVerdictProbe}). */
  public Path cotVerdictProbe() {
    return root.resolve("cot-verdict-probe.json");
  }

  public Path report() {
    return root.resolve("report.md");
  }

  public Path bestOfNPlot(Split s) {
    return root.resolve("best-of-n-" + s.id() + ".png");
  }

  public Path votesPlot(Split s) {
    return root.resolve("votes-" + s.id() + ".png");
  }

  /** A file of this directory as report.md links it: relative to the root. */
  public String link(Path file) {
    return root.relativize(file).toString();
  }

  public Path stageMarker(String stage) {
    return root.resolve(MARKER_PREFIX + stage + MARKER_SUFFIX);
  }

  /**
   * The stages with a marker, in the order of their marker file names (so {@code train-genrm-cot} comes before
   * {@code train-genrm}: '-' sorts before '.').
   */
  public List<String> finishedStages() {
    try (var files = Files.list(root)) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(MARKER_PREFIX) && n.endsWith(MARKER_SUFFIX)).sorted()
          .map(n -> n.substring(MARKER_PREFIX.length(), n.length() - MARKER_SUFFIX.length())).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** With several tasks: the run directory of one task. */
  public RunDir task(String name) {
    return new RunDir(root.resolve(name));
  }

  public Path summaryJson() {
    return root.resolve("summary.json");
  }

  public Path summaryMarkdown() {
    return root.resolve("summary.md");
  }
}
