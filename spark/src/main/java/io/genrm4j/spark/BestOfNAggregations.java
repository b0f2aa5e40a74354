package io.genrm4j.spark;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import io.genrm4j.eval.BestOfN;
import io.genrm4j.eval.Pool;
import io.genrm4j.util.UserException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Best-of-N, Pass@N and self-consistency over a scored Dataset ({@link VerifierTransform}'s output with a boolean
 * {@code correct} column and, for the votes, {@code extracted_answer}): per problem, the local harness's own exact
 * estimators ({@link BestOfN}'s curves over that one problem's {@link Pool}, so Monte Carlo votes draw the same
 * per-problem seeds); then the mean over problems per N, as {@code genrm experiment} reports them.
 *
 * <p>A problem's pool is its rows that were scored (no {@code error}) and graded ({@code correct} not null), ordered
 * by {@code candidate_id}; at an N larger than its pool a problem has no value and is left out of that N's mean
 * ({@code problems} says how many were averaged). Without an {@code extracted_answer} column the two votes are null.
 */
public final class BestOfNAggregations {
  public static final String CORRECT = "correct";
  public static final String ANSWER = "extracted_answer";
  /** The method name the scores are filed under in each {@link Pool}. */
  static final String METHOD = "verifier";

  private BestOfNAggregations() {}

  /** Per problem and N: {@code problem_id, n, candidates, pass_at_n, best_of_n, majority_vote, weighted_vote}. */
  public static Dataset<Row> perProblem(Dataset<Row> scored, int[] ns, long seed) {
    List<String> columns = Arrays.asList(scored.columns());
    if (!columns.contains(CORRECT) || !columns.contains(VerifierTransform.SCORE)) {
      throw new UserException("Best-of-N needs the columns '" + CORRECT + "' (graded candidates) and '"
          + VerifierTransform.SCORE + "' (scored): the input has " + String.join(", ", columns));
    }
    if (ns.length == 0 || Arrays.stream(ns).anyMatch(n -> n < 1) || Arrays.stream(ns).distinct().count() < ns.length) {
      throw new UserException("N must be distinct values >= 1: " + Arrays.toString(ns));
    }
    Column answer = columns.contains(ANSWER) ? col(ANSWER).cast(DataTypes.StringType)
        : lit(null).cast(DataTypes.StringType);
    boolean votes = columns.contains(ANSWER);
    Dataset<Row> pools = scored
        .filter(col(VerifierTransform.ERROR).isNull().and(col(CORRECT).isNotNull()))
        .groupBy(col(VerifierTransform.PROBLEM_ID))
        .agg(collect_list(struct(col(VerifierTransform.CANDIDATE_ID), col(VerifierTransform.SCORE),
            col(CORRECT).cast(DataTypes.BooleanType), answer)).as("pool"));
    StructType out = new StructType()
        .add(VerifierTransform.PROBLEM_ID, DataTypes.StringType, false)
        .add("n", DataTypes.IntegerType, false)
        .add("candidates", DataTypes.IntegerType, false)
        .add("pass_at_n", DataTypes.DoubleType, false)
        .add("best_of_n", DataTypes.DoubleType, false)
        .add("majority_vote", DataTypes.DoubleType, true)
        .add("weighted_vote", DataTypes.DoubleType, true);
    int[] all = ns.clone();
    return pools.flatMap((FlatMapFunction<Row, Row>) r -> estimates(r, all, seed, votes).iterator(),
        Encoders.row(out));
  }

  /** Means over problems per N: {@code n, problems, pass_at_n, best_of_n, majority_vote, weighted_vote}. */
  public static Dataset<Row> curves(Dataset<Row> scored, int[] ns, long seed) {
    return perProblem(scored, ns, seed).groupBy("n")
        .agg(count(lit(1)).cast(DataTypes.IntegerType).as("problems"), avg("pass_at_n").as("pass_at_n"),
            avg("best_of_n").as("best_of_n"), avg("majority_vote").as("majority_vote"),
            avg("weighted_vote").as("weighted_vote"))
        .orderBy("n");
  }

  /** One problem's estimates at each N its pool reaches, by the local harness's curves over that pool alone. */
  private static List<Row> estimates(Row problem, int[] ns, long seed, boolean votes) {
    String id = problem.getString(0);
    List<Row> members = new ArrayList<>(problem.getList(1));
    members.sort(Comparator.comparing(m -> m.getString(0)));
    int m = members.size();
    double[] scores = new double[m];
    boolean[] correct = new boolean[m];
    String[] answers = new String[m];
    for (int i = 0; i < m; i++) {
      scores[i] = members.get(i).getDouble(1);
      correct[i] = members.get(i).getBoolean(2);
      answers[i] = members.get(i).isNullAt(3) ? null : members.get(i).getString(3);
    }
    Pool pool = new Pool(id, correct, answers).withScores(METHOD, scores);
    int[] reached = Arrays.stream(ns).filter(n -> n <= m).toArray();
    List<Row> out = new ArrayList<>();
    if (reached.length == 0) {
      return out;
    }
    List<Pool> one = List.of(pool);
    Map<Integer, Double> pass = BestOfN.passAtNCurve(one, reached);
    Map<Integer, Double> best = BestOfN.bestOfNCurve(one, METHOD, reached);
    Map<Integer, Double> majority = votes ? BestOfN.majorityVoteCurve(one, reached, seed) : Map.of();
    Map<Integer, Double> weighted = votes ? BestOfN.weightedMajorityVoteCurve(one, METHOD, reached, seed) : Map.of();
    for (int n : reached) {
      out.add(RowFactory.create(id, n, m, pass.get(n), best.get(n), majority.get(n), weighted.get(n)));
    }
    return out;
  }
}
