package io.genrm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.Grade;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Task;
import io.genrm4j.task.Tasks;
import io.genrm4j.util.Jsonl;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code genrm grade}: adds {@code extracted_answer} and {@code correct} to every candidate record. */
@Command(
    name = "grade",
    mixinStandardHelpOptions = true,
    description = {
      "Grade candidate solutions: add extracted_answer and correct to each JSONL record, keeping every other field.",
      "The candidate text is field 'text' (or 'model_output', as in the GenRM release's data_collection files); the "
          + "reference answer is field 'answer' (or 'target'), else the problem's answer from --problems by "
          + "'problem_id', else (last-letter, word-sorting) computed from 'question'. Input may be .jsonl.gz."
    })
public final class GradeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--task", required = true, description = "gsm8k, last-letter or word-sorting")
  String task;

  @Option(names = "--input", required = true, description = "candidates JSONL (.jsonl or .jsonl.gz)")
  Path input;

  @Option(names = "--problems", description = "problems JSONL giving the reference answer by problem_id")
  Path problems;

  @Option(names = "--out", required = true, description = "output JSONL file")
  Path out;

  @Override
  public Integer call() {
    Task t = Tasks.byName(task);
    Map<String, String> answers = new HashMap<>();
    if (problems != null) {
      for (Problem p : Problem.read(problems)) {
        answers.put(p.id(), p.answer());
      }
    }
    long[] correct = {0};
    List<ObjectNode> graded =
        Jsonl.read(
            input,
            n -> {
              ObjectNode o = (ObjectNode) n;
              String text = field(o, "text", "model_output");
              String reference = reference(t, o, answers);
              Grade g = t.grade(reference, text);
              if (g.extractedAnswer() == null) {
                o.putNull("extracted_answer");
              } else {
                o.put("extracted_answer", g.extractedAnswer());
              }
              o.put("correct", g.correct());
              if (g.correct()) {
                correct[0]++;
              }
              return o;
            });
    Jsonl.write(out, graded);
    int n = graded.size();
    spec.commandLine()
        .getOut()
        .printf(
            Locale.ROOT,
            "records: %d, correct: %d, accuracy: %.4f -> %s%n",
            n,
            correct[0],
            n == 0 ? 0.0 : (double) correct[0] / n,
            out);
    return 0;
  }

  private static String field(JsonNode o, String name, String alias) {
    if (o.hasNonNull(name)) {
      return Jsonl.text(o, name);
    }
    if (o.hasNonNull(alias)) {
      return Jsonl.text(o, alias);
    }
    throw new IllegalArgumentException("missing field '" + name + "' (or '" + alias + "')");
  }

  private static String reference(Task t, JsonNode o, Map<String, String> answers) {
    if (o.hasNonNull("answer")) {
      return Jsonl.text(o, "answer");
    }
    if (o.hasNonNull("target")) {
      return Jsonl.text(o, "target");
    }
    if (o.hasNonNull("problem_id") && answers.containsKey(o.get("problem_id").asText())) {
      return answers.get(o.get("problem_id").asText());
    }
    if (o.hasNonNull("question")) {
      var a = t.answerOf(Jsonl.text(o, "question"));
      if (a.isPresent()) {
        return a.get();
      }
    }
    throw new IllegalArgumentException(
        "no reference answer: the record has no 'answer' or 'target'"
            + (t.answerOf("x").isPresent() ? " or 'question'" : "")
            + (answers.isEmpty() ? " (pass --problems)" : " and its problem_id is not in --problems"));
  }
}
