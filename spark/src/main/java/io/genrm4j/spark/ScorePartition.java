package io.genrm4j.spark;

import io.genrm4j.cli.VerifierOptions;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.ContextLengthException;
import io.genrm4j.verify.VerifierScore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.ArraySeq;

/**
 * One scoring task of {@link VerifierTransform}: its rows arrive sorted by problem, and each problem's rows are
 * scored in one verifier call as the iterator reaches them, so a partition streams (one problem in memory at a time)
 * and a task killed mid-partition is simply run again by Spark: its output is only what the iterator returned, and a
 * problem scores the same on every attempt.
 */
final class ScorePartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final VerifierOptions options;
  private final boolean keepRationales;
  private final int width; // the input's columns (the input-order column follows them)
  private final int problemId;
  private final int candidateId;
  private final int question;
  private final int text;

  ScorePartition(VerifierOptions options, boolean keepRationales, StructType input) {
    this.options = options;
    this.keepRationales = keepRationales;
    this.width = input.size();
    this.problemId = input.fieldIndex(VerifierTransform.PROBLEM_ID);
    this.candidateId = input.fieldIndex(VerifierTransform.CANDIDATE_ID);
    this.question = input.fieldIndex(VerifierTransform.QUESTION);
    this.text = input.fieldIndex(VerifierTransform.TEXT);
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    return new Iterator<>() {
      private final ArrayDeque<Row> scored = new ArrayDeque<>();
      private Row next; // the first row of the problem after the one scored last

      @Override
      public boolean hasNext() {
        while (scored.isEmpty() && (next != null || rows.hasNext())) {
          List<Row> problem = new ArrayList<>();
          problem.add(next != null ? next : rows.next());
          next = null;
          String id = problem.get(0).getString(problemId);
          while (id != null && rows.hasNext()) {
            Row r = rows.next();
            if (!id.equals(r.getString(problemId))) {
              next = r;
              break;
            }
            problem.add(r);
          }
          scored.addAll(score(problem));
        }
        return !scored.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return scored.poll();
      }
    };
  }

  /** One problem's rows, scored; a row that cannot be scored comes back with the reason. */
  private List<Row> score(List<Row> problem) {
    String[] errors = new String[problem.size()];
    String q = null;
    for (int i = 0; i < problem.size(); i++) {
      Row r = problem.get(i);
      errors[i] = missing(r);
      if (errors[i] == null) {
        if (q == null) {
          q = r.getString(question);
        } else if (!q.equals(r.getString(question))) {
          errors[i] = "question differs from the one of this problem's first row (one question per problem_id)";
        }
      }
    }
    VerifierScore[] scores = new VerifierScore[problem.size()];
    if (q != null) {
      ExecutorVerifiers.Shared shared = ExecutorVerifiers.get(options);
      // outside the lock: requireFits only tokenises (Verifier's contract), so the other task threads' checks
      // overlap the model's forward passes
      List<Integer> fit = new ArrayList<>();
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < problem.size(); i++) {
        if (errors[i] == null) {
          try {
            shared.verifier().requireFits(q, List.of(problem.get(i).getString(text)));
            fit.add(i);
            texts.add(problem.get(i).getString(text));
          } catch (ContextLengthException e) {
            errors[i] = e.reason();
          } catch (UserException e) { // e.g. a character the tokenizer lacks
            errors[i] = e.getMessage();
          }
        }
      }
      if (!texts.isEmpty()) {
        List<VerifierScore> s;
        synchronized (shared.lock()) {
          s = shared.verifier().score(q, texts);
        }
        for (int k = 0; k < fit.size(); k++) {
          scores[fit.get(k)] = s.get(k);
        }
      }
    }
    List<Row> out = new ArrayList<>(problem.size());
    for (int i = 0; i < problem.size(); i++) {
      out.add(row(problem.get(i), scores[i], errors[i]));
    }
    return out;
  }

  /** Why a row cannot be scored before the verifier sees it, or null. */
  private String missing(Row r) {
    for (int c : new int[] {problemId, candidateId, question, text}) {
      String name = r.schema().fieldNames()[c];
      if (r.isNullAt(c)) {
        return name + " is null";
      }
      if (r.getString(c).isBlank()) {
        return name + " is empty";
      }
    }
    return null;
  }

  /** The input row's columns, then the score's (all null but the error when not scored). */
  private Row row(Row in, VerifierScore s, String error) {
    List<Object> v = new ArrayList<>(width + 7);
    for (int c = 0; c < width; c++) {
      v.add(in.get(c));
    }
    v.add(s == null ? null : s.score());
    v.add(s == null ? null : orNull(s.pYes()));
    v.add(s == null ? null : orNull(s.pNo()));
    // arrays as Scala sequences, Spark's external type for an array column
    v.add(s == null ? null : ArraySeq.unsafeWrapArray(s.votes()));
    if (keepRationales) {
      v.add(s == null ? null : ArraySeq.unsafeWrapArray(s.rationales()));
    }
    v.add(s == null ? null : s.tokens());
    v.add(error);
    return RowFactory.create(v.toArray());
  }

  /** NaN (not applicable to the kind, e.g. p(Yes) of an ORM) as null, which JSON and Parquet both have. */
  private static Double orNull(double x) {
    return Double.isNaN(x) ? null : x;
  }
}
