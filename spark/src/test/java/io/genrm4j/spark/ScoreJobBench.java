package io.genrm4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.apache.spark.sql.SparkSession;

/**
 * Throughput of {@link ScoreJob} on {@code local[2]} against {@code genrm verify} in this JVM, same checkpoint, same
 * candidates JSONL, both end to end (read, score, write). Spark's start-up is timed apart (once per application);
 * every round after a warm-up one, medians. Not a test: run it with
 *
 * <pre>
 * ./mvnw -q -o -B -pl spark test-compile dependency:build-classpath \
 *   -Dmdep.outputFile=/tmp/spark-cp.txt -Dmdep.includeScope=test
 * OPENS=$(grep -o -- '--add-opens=[^ <]*' spark/pom.xml)   # Spark's module openings, as the tests get them
 * java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 $OPENS \
 *   -cp "spark/target/test-classes:spark/target/classes:$(cat /tmp/spark-cp.txt)" \
 *   io.genrm4j.spark.ScoreJobBench [PROBLEMS [CANDIDATES_PER_PROBLEM [ROUNDS [CHECKPOINT]]]]
 * </pre>
 */
public final class ScoreJobBench {
  private ScoreJobBench() {}

  public static void main(String[] a) throws Exception {
    int problems = a.length > 0 ? Integer.parseInt(a[0]) : 250;
    int perProblem = a.length > 1 ? Integer.parseInt(a[1]) : 8;
    int rounds = a.length > 2 ? Integer.parseInt(a[2]) : 3;
    Path dir = Files.createTempDirectory("genrm4j-spark-bench");
    Path model = a.length > 3 ? Path.of(a[3]) : TinyCheckpoint.genrm(dir);
    Path input = dir.resolve("candidates.jsonl");
    TinyCheckpoint.writeCandidates(input, TinyCheckpoint.candidates(problems, perProblem, new Random(1)));
    int n = problems * perProblem;

    long t0 = System.nanoTime();
    SparkSession spark = SparkSession.builder().master("local[2]").appName("genrm4j-spark bench")
        .config("spark.ui.enabled", "false").getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    double startup = (System.nanoTime() - t0) / 1e9;

    double[] local = new double[rounds];
    double[] onSpark = new double[rounds];
    for (int r = -1; r < rounds; r++) {
      long s0 = System.nanoTime();
      TinyCheckpoint.genrm("verify", "--mode", "genrm", "--model", model.toString(), "--input", input.toString(),
          "--out", dir.resolve("verify.jsonl").toString());
      long s1 = System.nanoTime();
      int code = ScoreJob.commandLine(() -> spark).execute("--mode", "genrm", "--model", model.toString(), "--input",
          input.toString(), "--output", dir.resolve("scored.jsonl").toString(), "--overwrite");
      long s2 = System.nanoTime();
      if (code != 0) {
        throw new IllegalStateException("ScoreJob exited " + code);
      }
      if (r >= 0) {
        local[r] = n / ((s1 - s0) / 1e9);
        onSpark[r] = n / ((s2 - s1) / 1e9);
      }
    }
    spark.stop();
    double l = median(local);
    double s = median(onSpark);
    System.out.printf("%d candidates (%d problems x %d), %d rounds after a warm-up, medians; Spark start-up %.1f s%n",
        n, problems, perProblem, rounds, startup);
    System.out.printf("  genrm verify       %8.1f candidates/s  %s%n", l, Arrays.toString(local));
    System.out.printf("  ScoreJob local[2]  %8.1f candidates/s  %s%n", s, Arrays.toString(onSpark));
    System.out.printf("  ratio %.2f%n", s / l);
  }

  static double median(double[] x) {
    double[] c = x.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
