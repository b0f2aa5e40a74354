package io.genrm4j.verify;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Prompts;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a GenRM-CoT rationale sits in rotary-position space. The text is the paper's either way (question, solution,
 * {@code Verification: Let's verify step by step.}, rationale); only the position ids differ.
 *
 * <ul>
 *   <li>{@link #SEQUENTIAL}: 0, 1, 2, ... through the whole sequence, as every pretrained model expects.
 *   <li>{@link #SOLUTION}: the rationale's positions restart where the candidate solution's started, so a rationale
 *       that re-solves the problem sees the question at exactly the distances the generator saw when it wrote a
 *       solution, and its line k sits next to the candidate's line k. A length-generalisation trick for models
 *       trained from scratch: the generator learned those distances for every length, the CoT data covers only the
 *       in-distribution lengths. Rotary attention depends on distances only, so two tokens may share a position.
 * </ul>
 */
public enum RationalePositions {
  SEQUENTIAL,
  SOLUTION;

  /** The file in a verifier checkpoint directory that records how its rationales were placed. */
  public static final String FILE = "genrm_verifier.json";

  /** The position of the first rationale token, given the question and the CoT prompt's length in tokens. */
  public int rationaleStart(Tokenizer tok, Prompts.Format format, String question, int promptLength) {
    return this == SEQUENTIAL ? promptLength : tok.encodeWithBos(format.solve(question)).length;
  }

  /** Positions of a CoT training sequence: the prompt counts from 0, the completion from its rationale start. */
  public int[] positions(Tokenizer tok, Prompts.Format format, String question, int promptLength, int total) {
    return layout(promptLength, rationaleStart(tok, format, question, promptLength), total);
  }

  /** 0 .. promptLength-1, then {@code start}, start+1, ... up to {@code total} positions. */
  static int[] layout(int promptLength, int start, int total) {
    int[] p = new int[total];
    for (int i = 0; i < total; i++) {
      p[i] = i < promptLength ? i : start + (i - promptLength);
    }
    return p;
  }

  /** The name used on the command line and in files: {@code sequential} or {@code solution}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static RationalePositions of(String id) {
    for (RationalePositions r : values()) {
      if (r.id().equals(id)) {
        return r;
      }
    }
    throw new UserException("unknown rationale positions '" + id + "' (sequential or solution)");
  }

  /** Records this placement in a checkpoint directory (read back by {@link #of(Path)}). */
  public void save(Path checkpoint) {
    AtomicFiles.writeString(checkpoint.resolve(FILE), "{\n  \"rationale_positions\" : \"" + id() + "\"\n}\n");
  }

  /**
   * How the checkpoint's rationales were placed in training: from {@link #FILE}, {@link #SEQUENTIAL} when the
   * directory has none (any model not trained here, and the paper's default).
   */
  public static RationalePositions of(Path checkpoint) {
    Path f = checkpoint.resolve(FILE);
    if (!Files.exists(f)) {
      return SEQUENTIAL;
    }
    try {
      JsonNode n = Jsonl.MAPPER.readTree(f.toFile());
      return of(n.path("rationale_positions").asText("sequential"));
    } catch (IOException e) {
      throw new UserException(f + ": cannot read: " + e.getMessage());
    }
  }
}
