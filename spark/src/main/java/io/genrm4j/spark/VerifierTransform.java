package io.genrm4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

import io.genrm4j.cli.VerifierOptions;
import io.genrm4j.util.UserException;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Scores a Dataset of candidates with a genrm4j verifier: every input row comes out once, with its columns and the
 * verifier's judgement appended, or with the reason it could not be scored in {@value #ERROR}.
 *
 * <p>Input columns, as {@code genrm verify}'s candidates (docs/schemas.md): {@value #PROBLEM_ID},
 * {@value #CANDIDATE_ID} (both come out as strings), {@value #QUESTION}, {@value #TEXT} (strings); any others
 * (e.g. {@code correct}, {@code extracted_answer}) are carried through. A problem's rows are brought into one
 * partition and scored in one verifier call, in input order, with its first row's question: the question's prefix is
 * shared as in {@code genrm verify}, and CoT rationales are sampled with the same seeds, so each row scores as it does
 * there, whatever the partitioning and however often a task is retried.
 *
 * <p>Appended: {@value #SCORE}, {@value #P_YES} and {@value #P_NO} (null where the kind has none), {@value #VOTES}
 * (GenRM-CoT: each rationale's p(Yes); else empty), optionally {@value #RATIONALES}, {@value #TOKENS} and
 * {@value #ERROR}. A row with a null or empty id, question or text, a question unlike its problem's first, a
 * character the tokenizer lacks, or a verification that does not fit the model's context gets null scores and the
 * reason in {@value #ERROR}; the job goes on.
 */
public final class VerifierTransform {
  public static final String PROBLEM_ID = "problem_id";
  public static final String CANDIDATE_ID = "candidate_id";
  public static final String QUESTION = "question";
  public static final String TEXT = "text";
  public static final String SCORE = "score";
  public static final String P_YES = "p_yes";
  public static final String P_NO = "p_no";
  public static final String VOTES = "votes";
  public static final String RATIONALES = "rationales";
  public static final String TOKENS = "tokens";
  public static final String ERROR = "error";

  /** The input's row number, so a problem's rows are scored in input order after the shuffle. */
  static final String INPUT_ORDER = "_genrm_input_order";

  private VerifierTransform() {}

  /** {@link #score(Dataset, VerifierOptions, boolean, int)} without rationales, in the default number of tasks. */
  public static Dataset<Row> score(Dataset<Row> candidates, VerifierOptions verifier) {
    return score(candidates, verifier, false, 0);
  }

  /**
   * The candidates with the verifier's judgement appended.
   *
   * @param verifier which verifier each executor opens (once per executor JVM, on its first task)
   * @param keepRationales append the CoT rationales as a column {@value #RATIONALES}
   * @param partitions scoring tasks; 0 = 4 per default parallelism (the cluster's cores), small enough that a
   *     retried task redoes little, enough to balance uneven problems
   */
  public static Dataset<Row> score(Dataset<Row> candidates, VerifierOptions verifier, boolean keepRationales,
      int partitions) {
    verifier.validate();
    StructType given = candidates.schema();
    for (String name : List.of(PROBLEM_ID, CANDIDATE_ID, QUESTION, TEXT)) {
      if (!Arrays.asList(given.fieldNames()).contains(name)) {
        throw new UserException("the candidates have no column '" + name + "' (columns: "
            + String.join(", ", given.fieldNames()) + "); genrm verify's input needs problem_id, candidate_id, "
            + "question, text");
      }
    }
    for (String name : List.of(QUESTION, TEXT)) {
      DataType type = given.apply(name).dataType();
      if (!type.equals(DataTypes.StringType)) {
        throw new UserException("column '" + name + "' must be a string, not " + type.simpleString());
      }
    }
    for (String name : appended(keepRationales).fieldNames()) {
      if (Arrays.asList(given.fieldNames()).contains(name)) {
        throw new UserException("the candidates already have a column '" + name + "' (scored before? drop it first)");
      }
    }
    Dataset<Row> in = candidates.withColumn(PROBLEM_ID, col(PROBLEM_ID).cast(DataTypes.StringType))
        .withColumn(CANDIDATE_ID, col(CANDIDATE_ID).cast(DataTypes.StringType));
    StructType inSchema = in.schema();
    StructType outSchema = inSchema;
    for (StructField f : appended(keepRationales).fields()) {
      outSchema = outSchema.add(f);
    }
    int tasks = partitions > 0 ? partitions : 4 * in.sparkSession().sparkContext().defaultParallelism();
    Dataset<Row> grouped = in.withColumn(INPUT_ORDER, monotonically_increasing_id())
        .repartition(tasks, col(PROBLEM_ID))
        .sortWithinPartitions(col(PROBLEM_ID), col(INPUT_ORDER));
    return grouped.mapPartitions(new ScorePartition(verifier, keepRationales, inSchema), Encoders.row(outSchema));
  }

  /** The columns the transform appends. */
  static StructType appended(boolean keepRationales) {
    StructType s = new StructType()
        .add(SCORE, DataTypes.DoubleType, true)
        .add(P_YES, DataTypes.DoubleType, true)
        .add(P_NO, DataTypes.DoubleType, true)
        .add(VOTES, DataTypes.createArrayType(DataTypes.DoubleType, false), true);
    if (keepRationales) {
      s = s.add(RATIONALES, DataTypes.createArrayType(DataTypes.StringType, true), true);
    }
    return s.add(TOKENS, DataTypes.LongType, true).add(ERROR, DataTypes.StringType, true);
  }
}
