package io.genrm4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import io.genrm4j.cli.Main;
import io.genrm4j.cli.VerifierOptions;
import io.genrm4j.util.UserException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The spark-submit entry: scores a candidates file (JSONL or Parquet) with {@link VerifierTransform} and writes the
 * scored rows (JSONL or Parquet); optionally the Best-of-N curves of {@link BestOfNAggregations}. See docs/spark.md.
 */
@Command(name = "io.genrm4j.spark.ScoreJob", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Score candidate solutions with a genrm4j verifier on Spark: every input row comes out once, with "
        + "score, p_yes, p_no, votes, tokens and error (the reason a row could not be scored; the job goes on).",
        "Input: problem_id, candidate_id, question, text (genrm verify's candidates; other columns are carried "
            + "through). The verifier options are genrm verify's; --model is a checkpoint directory every executor "
            + "can read at that path (each executor loads it once), or --backend openai with --concurrency requests "
            + "in flight per executor.",
        "Output: a directory of part files (Spark's), JSONL or Parquet."})
public final class ScoreJob implements Callable<Integer> {
  @Option(names = "--input", required = true, description = "candidates: a JSONL or Parquet file or directory (any "
      + "path Spark reads: file:, hdfs:, s3a:, ...)") String input;
  @Option(names = "--output", required = true, description = "scored rows: a directory, written by Spark")
  String output;
  @Option(names = "--input-format", defaultValue = "auto", description = "jsonl|parquet|auto (from the name: "
      + ".parquet, else jsonl); default ${DEFAULT-VALUE}") String inputFormat;
  @Option(names = "--output-format", defaultValue = "auto", description = "jsonl|parquet|auto (from the name: "
      + ".parquet, else jsonl); default ${DEFAULT-VALUE}") String outputFormat;
  @Option(names = "--overwrite", description = "replace --output (and --curves) if they exist") boolean overwrite;
  @Option(names = "--keep-rationales", description = "genrm-cot, llm-judge: add the sampled rationales (column "
      + "rationales)") boolean keepRationales;
  @Option(names = "--partitions", defaultValue = "0", description = "scoring tasks; 0 = 4 per core of the "
      + "application (default parallelism); default ${DEFAULT-VALUE}") int partitions;
  @Option(names = "--best-of-n", split = ",", description = "with --curves: the N of the Best-of-N, Pass@N and "
      + "self-consistency curves (the input needs 'correct'; the votes 'extracted_answer'), e.g. 1,2,4,8")
  int[] bestOfN;
  @Option(names = "--curves", description = "where the curves go (JSONL, one line per N)") String curves;
  @Option(names = "--vote-seed", defaultValue = "0", description = "seed of the Monte Carlo votes (pools with more "
      + "than " + io.genrm4j.eval.BestOfN.EXACT_LIMIT + " subsets); default ${DEFAULT-VALUE}") long voteSeed;
  @Mixin VerifierOptions verifier;

  private final Supplier<SparkSession> session;

  /** The job on {@code session}, asked for once the arguments are valid (so --help starts no Spark). */
  public ScoreJob(Supplier<SparkSession> session) {
    this.session = session;
  }

  /** The job's command line, with genrm's one-line errors (exit 2 for bad input or options). */
  public static CommandLine commandLine(Supplier<SparkSession> session) {
    return Main.reportingErrors(new CommandLine(new ScoreJob(session)));
  }

  public static void main(String[] args) {
    System.setProperty("ai.djl.offline", "true");
    SparkSession[] started = new SparkSession[1];
    int code = commandLine(() -> started[0] = SparkSession.builder().appName("genrm4j score").getOrCreate())
        .execute(args);
    if (started[0] != null) {
      started[0].stop();
    }
    System.exit(code);
  }

  @Override
  public Integer call() {
    verifier.validate();
    String inFormat = format(inputFormat, input, "--input-format");
    String outFormat = format(outputFormat, output, "--output-format");
    if ((bestOfN == null) != (curves == null)) {
      throw new UserException("--best-of-n and --curves go together");
    }
    SparkSession spark = session.get();
    long t0 = System.nanoTime();
    Dataset<Row> candidates = analysed("--input " + input,
        () -> inFormat.equals("parquet") ? spark.read().parquet(input) : spark.read().json(input));
    if (List.of(candidates.columns()).contains("_corrupt_record") && candidates.columns().length == 1) {
      throw new UserException("--input " + input + ": no line is a JSON object");
    }
    write(VerifierTransform.score(candidates, verifier, keepRationales, partitions), outFormat, output);
    // counted from what was written: the scored Dataset is not cached, counting it would score it again
    Dataset<Row> scored = outFormat.equals("parquet") ? spark.read().parquet(output) : spark.read().json(output);
    Row counts = scored.agg(count(lit(1)), count(col(VerifierTransform.ERROR))).first(); // one pass
    long rows = counts.getLong(0);
    long errors = counts.getLong(1);
    System.out.printf("score %s: %d candidates (%d not scored: see column error) in %.1f s -> %s%n",
        verifier.kind().id(), rows, errors, (System.nanoTime() - t0) / 1e9, output);
    if (curves != null) {
      Dataset<Row> c = BestOfNAggregations.curves(scored, bestOfN, voteSeed).coalesce(1);
      write(c, "jsonl", curves);
      c.collectAsList().forEach(r -> System.out.println("  " + r.json()));
    }
    return 0;
  }

  private void write(Dataset<Row> rows, String format, String path) {
    analysed(path, () -> {
      var w = rows.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists);
      if (format.equals("parquet")) {
        w.parquet(path);
      } else {
        w.option("ignoreNullFields", "false").json(path); // every line has every column, error: null included
      }
      return null;
    });
  }

  /**
   * What {@code action} returns; Spark's verdict on a path or a plan (an {@link AnalysisException}: no such file,
   * the output exists) as a one-line error about {@code what}.
   */
  private static <T> T analysed(String what, Callable<T> action) {
    try {
      return action.call();
    } catch (Exception e) { // AnalysisException is checked in Java's eyes but not declared by Spark's Scala methods
      if (e instanceof AnalysisException) {
        throw new UserException(what + ": " + firstLine(e));
      }
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
  }

  /** jsonl or parquet, as given or from the path's name. */
  static String format(String given, String path, String option) {
    return switch (given) {
      case "auto" -> path.replaceAll("/+$", "").endsWith(".parquet") ? "parquet" : "jsonl";
      case "jsonl", "json" -> "jsonl";
      case "parquet" -> "parquet";
      default -> throw new UserException(option + " must be jsonl, parquet or auto, not '" + given + "'");
    };
  }

  private static String firstLine(Exception e) {
    return e.getMessage().strip().lines().findFirst().orElse(e.toString());
  }
}
