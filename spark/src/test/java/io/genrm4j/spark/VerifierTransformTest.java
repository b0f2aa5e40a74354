package io.genrm4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.cli.VerifierOptions;
import io.genrm4j.eval.BestOfN;
import io.genrm4j.eval.Pool;
import io.genrm4j.util.Jsonl;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The transform, the aggregations and the job on {@code local[2]} (with up to 2 attempts per task) and a GenRM made
 * by genrm's commands, against {@code genrm verify} and the local harness on the same rows. No mocks.
 */
class VerifierTransformTest {
  @TempDir static Path dir;
  static SparkSession spark;
  static Path model;
  static Path input;
  /** genrm verify's scores of {@link #input}, by "problem_id/candidate_id". */
  static Map<String, JsonNode> reference;

  @BeforeAll
  static void setUp() throws Exception {
    model = TinyCheckpoint.genrm(dir);
    input = dir.resolve("candidates.jsonl");
    TinyCheckpoint.writeCandidates(input, TinyCheckpoint.candidates(12, 8, new Random(7)));
    reference = genrmVerify("--mode", "genrm");
    spark = SparkSession.builder().master("local[2,2]").appName("genrm4j-spark tests")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  /** genrm verify on {@link #input} with {@code args}, its score records by key. */
  static Map<String, JsonNode> genrmVerify(String... args) throws Exception {
    Path out = Files.createTempFile(dir, "verify", ".jsonl");
    List<String> all = new ArrayList<>(List.of("verify"));
    all.addAll(List.of(args));
    all.addAll(List.of("--model", model.toString(), "--input", input.toString(), "--out", out.toString()));
    TinyCheckpoint.genrm(all.toArray(String[]::new));
    Map<String, JsonNode> byKey = new HashMap<>();
    for (JsonNode n : Jsonl.read(out, n -> n)) {
      byKey.put(n.get("problem_id").asText() + "/" + n.get("candidate_id").asText(), n);
    }
    return byKey;
  }

  static VerifierOptions genrm(String... more) {
    List<String> args = new ArrayList<>(List.of("--model", model.toString()));
    args.addAll(List.of(more.length == 0 ? new String[] {"--mode", "genrm"} : more));
    return VerifierOptions.of(args.toArray(String[]::new));
  }

  static String key(Row r) {
    return r.getAs("problem_id") + "/" + r.getAs("candidate_id");
  }

  /** Every row once, scored exactly as genrm verify scored it (the same calls, so the same doubles). */
  static void assertEqualsGenrmVerify(List<Row> rows, Map<String, JsonNode> ref) {
    assertEquals(ref.size(), rows.size(), "rows in, rows out");
    assertEquals(ref.keySet(), new java.util.HashSet<>(rows.stream().map(VerifierTransformTest::key).toList()),
        "no row lost or duplicated");
    for (Row r : rows) {
      JsonNode want = ref.get(key(r));
      assertNull(r.getAs("error"), key(r));
      assertEquals(want.get("score").asDouble(), (double) r.getAs("score"), 0.0, key(r));
      assertEquals(want.get("p_yes").asDouble(), (double) r.getAs("p_yes"), 0.0, key(r));
      assertEquals(want.get("p_no").asDouble(), (double) r.getAs("p_no"), 0.0, key(r));
    }
  }

  static CommandLineRun scoreJob(String... args) {
    CommandLine cl = ScoreJob.commandLine(() -> spark);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new CommandLineRun(cl.execute(args), out.toString(), err.toString());
  }

  record CommandLineRun(int code, String out, String err) {}

  @Test
  void theJobScoresJsonlAndParquetAsGenrmVerifyDoesRowForRow() {
    String jsonl = dir.resolve("scored.jsonl").toString();
    CommandLineRun r = scoreJob("--mode", "genrm", "--model", model.toString(), "--input", input.toString(),
        "--output", jsonl);
    assertEquals(0, r.code(), r.err());
    assertEqualsGenrmVerify(spark.read().json(jsonl).collectAsList(), reference);

    String parquetIn = dir.resolve("candidates.parquet").toString();
    spark.read().json(input.toString()).write().parquet(parquetIn);
    String parquetOut = dir.resolve("scored.parquet").toString();
    r = scoreJob("--mode", "genrm", "--model", model.toString(), "--input", parquetIn, "--output", parquetOut,
        "--partitions", "3");
    assertEquals(0, r.code(), r.err());
    List<Row> rows = spark.read().parquet(parquetOut).collectAsList();
    assertEqualsGenrmVerify(rows, reference);
    assertTrue(rows.get(0).schema().fieldIndex("correct") >= 0, "input columns are carried through");
  }

  @Test
  void cotVotesAndRationalesAreGenrmVerifysWithTheSameSeeds() throws Exception {
    String[] cot = {"--mode", "genrm-cot", "--votes", "3", "--max-rationale-tokens", "6", "--seed", "5"};
    Map<String, JsonNode> ref = genrmVerify(cot);
    List<Row> rows = VerifierTransform.score(spark.read().json(input.toString()), genrm(cot), true, 3)
        .collectAsList();
    assertEqualsGenrmVerify(rows, ref);
    for (Row r : rows) {
      List<Double> votes = r.getList(r.fieldIndex("votes"));
      assertEquals(3, votes.size(), key(r));
      for (int k = 0; k < 3; k++) {
        assertEquals(ref.get(key(r)).get("votes").get(k).asDouble(), votes.get(k), 0.0, key(r) + " vote " + k);
      }
      assertEquals(3, r.getList(r.fieldIndex("rationales")).size(), key(r));
    }
  }

  static final AtomicInteger KILLED = new AtomicInteger();

  /** Passes rows through, but the first attempt of partition 0 throws at its third row. */
  static final class DiesOnFirstAttempt implements MapFunction<Row, Row> {
    private int seen;

    @Override
    public Row call(Row r) {
      TaskContext t = TaskContext.get();
      if (t.partitionId() == 0 && t.attemptNumber() == 0 && ++seen == 3) {
        KILLED.incrementAndGet();
        throw new IllegalStateException("killed on purpose, mid-partition");
      }
      return r;
    }
  }

  @Test
  void aTaskKilledMidPartitionIsRetriedWithoutLosingOrRepeatingRows() {
    VerifierOptions options = genrm();
    Dataset<Row> scored = VerifierTransform.score(spark.read().json(input.toString()), options, false, 2);
    // fused into the scoring task (no shuffle between): the first attempt of partition 0 dies after 3 scored rows
    Dataset<Row> dying = scored.map(new DiesOnFirstAttempt(), Encoders.row(scored.schema()));
    int opened = ExecutorVerifiers.opened();
    List<Row> rows = dying.collectAsList();
    assertEquals(1, KILLED.get(), "the first attempt was killed");
    assertEqualsGenrmVerify(rows, reference);
    assertTrue(ExecutorVerifiers.opened() - opened <= 1, "one model per JVM, not one per task or attempt");
  }

  @Test
  void badRowsGetTheirReasonInTheErrorColumnAndTheRestIsScored() {
    List<String> records = new ArrayList<>(TinyCheckpoint.candidates(2, 3, new Random(3)));
    String q = TinyCheckpoint.QUESTION;
    records.add("{\"problem_id\":\"p000\",\"candidate_id\":\"nullq\",\"question\":null,\"text\":\"abe\"}");
    records.add("{\"problem_id\":\"p000\",\"candidate_id\":\"emptyt\",\"question\":\"" + q + "\",\"text\":\"\"}");
    records.add("{\"problem_id\":\"p001\",\"candidate_id\":\"long\",\"question\":\"" + q + "\",\"text\":\""
        + "a".repeat(1100) + "\"}");
    records.add("{\"problem_id\":\"p001\",\"candidate_id\":\"euro\",\"question\":\"" + q + "\",\"text\":\"10€\"}");
    records.add("{\"problem_id\":\"p001\",\"candidate_id\":\"otherq\",\"question\":\"Which?\",\"text\":\"abe\"}");
    records.add("{\"problem_id\":null,\"candidate_id\":\"noid\",\"question\":\"" + q + "\",\"text\":\"abe\"}");
    Path bad = dir.resolve("bad.jsonl");
    TinyCheckpoint.writeCandidates(bad, records);
    Map<String, String> errors = new HashMap<>();
    int scored = 0;
    for (Row r : VerifierTransform.score(spark.read().json(bad.toString()), genrm()).collectAsList()) {
      if (r.getAs("error") == null) {
        scored++;
        assertTrue((double) r.getAs("score") >= 0 && (double) r.getAs("score") <= 1, key(r));
      } else {
        assertNull(r.getAs("score"), key(r));
        errors.put(r.getAs("candidate_id"), r.getAs("error"));
      }
    }
    assertEquals(6, scored, "the good rows of the bad rows' problems are scored");
    assertEquals("question is null", errors.get("nullq"));
    assertEquals("text is empty", errors.get("emptyt"));
    assertTrue(errors.get("long").startsWith("does not fit the model's context"), errors.get("long"));
    assertTrue(errors.get("euro").contains("€") || errors.get("euro").contains("U+20AC"), errors.get("euro"));
    assertTrue(errors.get("otherq").startsWith("question differs"), errors.get("otherq"));
    assertEquals("problem_id is null", errors.get("noid"));
    assertEquals(6, errors.size());
  }

  @Test
  void bestOfNAndSelfConsistencyAreTheLocalHarnessEstimates() {
    int[] ns = {1, 2, 4, 8};
    Dataset<Row> scored = VerifierTransform.score(spark.read().json(input.toString()), genrm());
    Map<Integer, Row> curves = new HashMap<>();
    BestOfNAggregations.curves(scored, ns, 11).collectAsList().forEach(r -> curves.put(r.getAs("n"), r));

    // the local harness on genrm verify's scores of the same rows
    Map<String, List<JsonNode>> byProblem = new java.util.TreeMap<>();
    for (String line : readLines(input)) {
      JsonNode c = parse(line);
      byProblem.computeIfAbsent(c.get("problem_id").asText(), k -> new ArrayList<>()).add(c);
    }
    List<Pool> pools = new ArrayList<>();
    byProblem.forEach((id, cands) -> {
      boolean[] correct = new boolean[cands.size()];
      String[] answers = new String[cands.size()];
      double[] scores = new double[cands.size()];
      for (int i = 0; i < cands.size(); i++) {
        correct[i] = cands.get(i).get("correct").asBoolean();
        answers[i] = cands.get(i).get("extracted_answer").asText();
        scores[i] = reference.get(id + "/" + cands.get(i).get("candidate_id").asText()).get("score").asDouble();
      }
      pools.add(new Pool(id, correct, answers).withScores("genrm", scores));
    });
    Map<Integer, Double> pass = BestOfN.passAtNCurve(pools, ns);
    Map<Integer, Double> best = BestOfN.bestOfNCurve(pools, "genrm", ns);
    Map<Integer, Double> majority = BestOfN.majorityVoteCurve(pools, ns, 11);
    Map<Integer, Double> weighted = BestOfN.weightedMajorityVoteCurve(pools, "genrm", ns, 11);
    for (int n : ns) {
      Row r = curves.get(n);
      assertEquals(12, (int) r.getAs("problems"));
      assertEquals(pass.get(n), r.getAs("pass_at_n"), 1e-12, "pass@" + n);
      assertEquals(best.get(n), r.getAs("best_of_n"), 1e-12, "best-of-" + n);
      assertEquals(majority.get(n), r.getAs("majority_vote"), 1e-12, "majority vote at " + n);
      assertEquals(weighted.get(n), r.getAs("weighted_vote"), 1e-12, "weighted vote at " + n);
    }
    assertTrue(best.get(8) > pass.get(1) + 0.1, "the trained verifier picks better than chance: " + best);
  }

  @Test
  void theJobSaysWhatIsWrongInOneLine() {
    CommandLineRun help = scoreJob("--help");
    assertEquals(0, help.code());
    assertTrue(help.out().contains("--input") && help.out().contains("--mode"), help.out());
    assertOneLineError(scoreJob("--mode", "genrm", "--model", model.toString(), "--input",
        dir.resolve("absent.jsonl").toString(), "--output", dir.resolve("o1").toString()), "absent.jsonl");
    Path noText = dir.resolve("notext.jsonl");
    TinyCheckpoint.writeCandidates(noText, List.of("{\"problem_id\":\"p\",\"candidate_id\":\"c\",\"question\":\"q\"}"));
    assertOneLineError(scoreJob("--mode", "genrm", "--model", model.toString(), "--input", noText.toString(),
        "--output", dir.resolve("o2").toString()), "no column 'text'");
    assertOneLineError(scoreJob("--mode", "genrm", "--input", input.toString(), "--output",
        dir.resolve("o3").toString()), "--model is required");
    assertOneLineError(scoreJob("--mode", "genrm", "--model", model.toString(), "--input", input.toString(),
        "--output", dir.resolve("o4").toString(), "--input-format", "csv"), "--input-format must be");
  }

  static void assertOneLineError(CommandLineRun r, String fragment) {
    assertEquals(2, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("error: ") && r.err().contains(fragment), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }

  static List<String> readLines(Path p) {
    try {
      return Files.readAllLines(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static JsonNode parse(String line) {
    try {
      return Jsonl.MAPPER.readTree(line);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
