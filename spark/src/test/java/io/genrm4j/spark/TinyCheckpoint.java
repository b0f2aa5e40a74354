package io.genrm4j.spark;

import io.genrm4j.cli.Main;
import io.genrm4j.eval.Experiment;
import io.genrm4j.task.Tasks;
import io.genrm4j.testing.TinyModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import picocli.CommandLine;

/**
 * The checkpoint directory of this module's tests and bench: a GenRM (direct) made with genrm's own commands, as a
 * user would (genrm create with preset test and the last-letter task's alphabet, then genrm train verifier), on the
 * rule the LangChain4j module's tiny verifier learns in seconds: a word is a correct answer iff it ends in a vowel.
 * Executors load it from its path, as they would a checkpoint on shared storage.
 */
final class TinyCheckpoint {
  static final String QUESTION = TinyModels.QUESTION;

  private TinyCheckpoint() {}

  /** Creates and trains the verifier in {@code dir} (~10 s); returns its checkpoint directory. */
  static Path genrm(Path dir) {
    Path base = dir.resolve("base");
    genrm("create", "--preset", "test", "--phrase-tokens", "--tokenizer",
        "char:" + Experiment.tokenizer(Tasks.LAST_LETTER).alphabet(), "--seed", "1", "--out", base.toString());
    Path data = dir.resolve("train.jsonl");
    writeCandidates(data, candidates(8, 8, new Random(2)));
    Path genrm = dir.resolve("genrm");
    // 200 steps at lr 1e-2: the settings the LangChain4j module's tiny verifier reaches ~93% held-out accuracy with
    genrm("train", "verifier", "--kind", "genrm", "--model", base.toString(), "--data", data.toString(), "--steps",
        "200", "--batch-size", "16", "--lr", "1e-2", "--out", genrm.toString());
    return genrm;
  }

  /** One genrm command in this JVM; a failure is an exception with what it printed. */
  static void genrm(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    if (code != 0) {
      throw new IllegalStateException("genrm " + String.join(" ", args) + " exited " + code + ": " + err);
    }
  }

  /** Candidate records (genrm verify's input, graded): words, half ending in a vowel, each its own final answer. */
  static List<String> candidates(int problems, int perProblem, Random rng) {
    List<String> out = new ArrayList<>();
    for (int p = 0; p < problems; p++) {
      for (int c = 0; c < perProblem; c++) {
        boolean vowel = rng.nextBoolean();
        String word = TinyModels.word(rng, vowel);
        out.add(String.format("{\"problem_id\":\"p%03d\",\"candidate_id\":\"c%02d\",\"question\":\"%s\",\"text\":\"%s\","
            + "\"extracted_answer\":\"%s\",\"correct\":%s}", p, c, QUESTION, word, word.substring(word.length() - 1),
            vowel));
      }
    }
    return out;
  }

  static void writeCandidates(Path file, List<String> records) {
    try {
      Files.write(file, records);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
