package io.genrm4j.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Readers for the GenRM authors' GSM8K release ({@code genrm-star/genrm-critiques}): {@code rm_*} direct
 * verification SFT records and {@code critiques_*} CoT SFT records (zip archives of one JSONL each, or the JSONL
 * itself, fields {@code inputs}, {@code targets}, {@code question_id}, {@code model_output_id}), and the
 * {@code data_collection/*.jsonl.gz} candidate records. A bad line stops the read with {@code file:line: reason}.
 */
public final class ReleaseData {
  private ReleaseData() {}

  /** One SFT record: {@code inputs} is the full prompt, {@code targets} the completion. */
  public record SftRecord(String inputs, String targets, long questionId, long modelOutputId) {
    /** The label: the direct target ({@code " Yes"}/{@code " No"}) or the verdict a CoT rationale ends with. */
    public boolean label() {
      String t = targets.strip();
      if (t.equals("Yes")) {
        return true;
      }
      if (t.equals("No")) {
        return false;
      }
      return Prompts.parseVerdict(targets)
          .orElseThrow(() -> new IllegalArgumentException("targets end with no Yes/No verdict"));
    }

    /** Whether this is a direct record (the target is a label token). */
    public boolean direct() {
      return targets.equals(Prompts.YES) || targets.equals(Prompts.NO);
    }

    /** The question between {@code Q: } and {@code \nA: } of the prompt. */
    public String question() {
      int q = inputs.indexOf("\nQ: ");
      int a = inputs.indexOf("\nA: ", q + 1);
      return q < 0 || a < 0 ? null : inputs.substring(q + 4, a);
    }

    /** As one of our verification examples. */
    public VerificationExample toExample() {
      return new VerificationExample(
          inputs,
          targets,
          label(),
          direct() ? VerificationExample.DIRECT : VerificationExample.COT,
          problemId(questionId),
          candidateId(questionId, modelOutputId));
    }
  }

  /** One {@code data_collection} record: a Gemini 1.0 Pro candidate with its label and teacher rationale. */
  public record CandidateRecord(
      String question,
      long questionId,
      String modelOutput,
      long modelOutputId,
      String extractedAnswer,
      String target,
      int correctness,
      String verifierPrompt,
      String verifierOutput) {

    /** As one of our candidates, with the release's own extracted answer and label. */
    public Candidate toCandidate() {
      String answer = Gsm8kTask.normalizeNumber(target);
      return new Candidate(
          problemId(questionId),
          candidateId(questionId, modelOutputId),
          question,
          modelOutput,
          answer == null ? target : answer,
          extractedAnswer,
          correctness == 1);
    }
  }

  /** Our problem id of a release question ({@code question_id} is the release's own numbering). */
  public static String problemId(long questionId) {
    return "genrm-release-q" + questionId;
  }

  public static String candidateId(long questionId, long modelOutputId) {
    return problemId(questionId) + "-c" + modelOutputId;
  }

  private static long number(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("missing field '" + field + "'");
    }
    if (v.isIntegralNumber()) {
      return v.longValue();
    }
    if (v.isTextual() && v.asText().matches("-?\\d+")) {
      return Long.parseLong(v.asText());
    }
    throw new IllegalArgumentException("field '" + field + "' must be an integer");
  }

  public static SftRecord parseSft(JsonNode n) {
    SftRecord r =
        new SftRecord(
            Jsonl.text(n, "inputs"), Jsonl.text(n, "targets"), number(n, "question_id"), number(n, "model_output_id"));
    r.label();
    return r;
  }

  public static CandidateRecord parseCandidate(JsonNode n) {
    long c = number(n, "correctness");
    if (c != 0 && c != 1) {
      throw new IllegalArgumentException("field 'correctness' must be 0 or 1");
    }
    return new CandidateRecord(
        Jsonl.text(n, "question"),
        number(n, "question_id"),
        Jsonl.text(n, "model_output"),
        number(n, "model_output_id"),
        n.hasNonNull("extracted_answer") ? Jsonl.text(n, "extracted_answer") : null,
        Jsonl.text(n, "target"),
        (int) c,
        n.hasNonNull("verifier_prompt") ? Jsonl.text(n, "verifier_prompt") : null,
        n.hasNonNull("verifier_output") ? Jsonl.text(n, "verifier_output") : null);
  }

  /** Reads {@code rm_*} or {@code critiques_*} records from a .zip (every .jsonl entry), .jsonl or .jsonl.gz. */
  public static List<SftRecord> readSft(Path file) {
    return readAny(file, ReleaseData::parseSft);
  }

  /** Reads {@code data_collection} records from a .jsonl.gz, .jsonl or .zip. */
  public static List<CandidateRecord> readCandidates(Path file) {
    return readAny(file, ReleaseData::parseCandidate);
  }

  /** Reads JSONL records from a zip's .jsonl entries (named {@code file.zip!entry}) or a plain/gzipped file. */
  public static <T> List<T> readAny(Path file, Jsonl.LineParser<T> parser) {
    if (!file.getFileName().toString().endsWith(".zip")) {
      return Jsonl.read(file, parser);
    }
    List<T> out = new ArrayList<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        if (e.isDirectory() || !e.getName().endsWith(".jsonl")) {
          continue;
        }
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(zip.getInputStream(e), StandardCharsets.UTF_8), 1 << 16)) {
          out.addAll(Jsonl.read(file + "!" + e.getName(), r, parser));
        }
      }
    } catch (NoSuchFileException e) {
      throw new UserException(file + ": no such file");
    } catch (IOException e) {
      if (!file.toFile().exists()) {
        throw new UserException(file + ": no such file");
      }
      throw new UserException(file + ": cannot read zip: " + e.getMessage());
    }
    return out;
  }
}
