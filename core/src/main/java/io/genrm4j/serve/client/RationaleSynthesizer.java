package io.genrm4j.serve.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reference-guided rationale synthesis (GSM8K): a teacher model sees question, candidate and the reference solution
 * (the authors' exact grading prompt), K rationales are sampled, and a rationale is kept only when its verdict line
 * equals the candidate's label. Each kept rationale becomes a CoT training record {@code {"inputs", "targets"}} in
 * the authors' format. The output is an append-only log, flushed per candidate; on restart, a torn last line is
 * cut off, candidates whose records are all present are skipped, and partially written candidates are redone.
 */
public final class RationaleSynthesizer {
  public static final String TEACHER_PROMPT = "You are a math teacher. Grade the Solution, verifying correctness step "
      + "by step. Use Expected Answer to find any erroneous step in the Solution. At the end of the Solution "
      + "verification, when you give your final grade, write it in the form \"Verification: Is the answer correct "
      + "(Yes/No)? X\",  where X is either Yes or No.\n\nQuestion: %s\nSolution: %s\nExpected Answer: %s";
  static final Pattern VERDICT = Pattern.compile("Verification: Is the answer correct \\(Yes/No\\)\\? *\\**\\s*(Yes|No)\\b");

  /** One candidate to grade. */
  public record Candidate(String key, String question, String solution, String reference, boolean correct,
      JsonNode questionId, JsonNode outputId) {}

  public static String teacherPrompt(String question, String solution, String reference) {
    return String.format(TEACHER_PROMPT, question, solution, reference);
  }

  /** The CoT verifier input (what the trained verifier sees; no reference). */
  public static String cotInput(String question, String solution) {
    return io.genrm4j.task.Prompts.Format.PAPER.verifyCot(question, solution);
  }

  /** The last verdict in a rationale ("Yes"/"No"), or null; the rationale cut just after it goes in {@code cut}. */
  static String verdict(String text, StringBuilder cut) {
    Matcher m = VERDICT.matcher(text);
    String v = null;
    int end = -1;
    int start = -1;
    while (m.find()) {
      v = m.group(1);
      start = m.start();
      end = m.end();
    }
    if (v != null && cut != null) {
      cut.append(text, 0, start).append("Verification: Is the answer correct (Yes/No)? ").append(v);
    }
    return v;
  }

  /** GSM8K's "steps #### N" (calculator annotations dropped) as a reference ending "The answer is N.". */
  static String reference(String answer) {
    int i = answer.lastIndexOf("####");
    if (i < 0) {
      return answer.strip();
    }
    String steps = answer.substring(0, i).replaceAll("<<[^>]*>>", "").strip().replace("\n", " ");
    String n = answer.substring(i + 4).strip();
    return (steps.isEmpty() ? "" : steps + " ") + "The answer is " + n + ".";
  }

  static Candidate parse(JsonNode r, int line) {
    String q = Jsonl.text(r, "question");
    String sol = r.hasNonNull("solution") ? Jsonl.text(r, "solution") : Jsonl.text(r, "model_output");
    String ref;
    if (r.hasNonNull("reference")) {
      ref = Jsonl.text(r, "reference");
    } else if (r.hasNonNull("answer")) {
      ref = reference(Jsonl.text(r, "answer"));
    } else {
      throw new IllegalArgumentException("needs 'reference' (a solution ending \"The answer is N.\") or a GSM8K 'answer'");
    }
    JsonNode c = r.has("correctness") ? r.get("correctness") : r.get("label");
    boolean ok;
    if (c == null || c.isNull()) {
      throw new IllegalArgumentException("needs 'correctness' (0/1/true/false) or 'label' (Yes/No)");
    } else if (c.isBoolean()) {
      ok = c.asBoolean();
    } else if (c.isNumber()) {
      ok = c.asInt() != 0;
    } else if (c.asText().equalsIgnoreCase("yes") || c.asText().equalsIgnoreCase("no")) {
      ok = c.asText().equalsIgnoreCase("yes");
    } else {
      throw new IllegalArgumentException("bad label '" + c.asText() + "'");
    }
    JsonNode qid = r.get("question_id");
    JsonNode oid = r.get("model_output_id");
    String key = qid != null && oid != null ? qid.asText() + ":" + oid.asText() : "line:" + line;
    return new Candidate(key, q, sol, ref, ok, qid, oid);
  }

  /**
   * Reads what a previous run finished: cuts a torn last line, drops records of partially written candidates, and
   * returns the keys of finished candidates.
   */
  static Set<String> recover(Path out) throws IOException {
    Set<String> done = new HashSet<>();
    if (!Files.exists(out)) {
      return done;
    }
    byte[] all = Files.readAllBytes(out);
    int end = all.length;
    while (end > 0 && all[end - 1] != '\n') {
      end--; // a torn last line (no newline): drop it
    }
    String text = new String(all, 0, end, StandardCharsets.UTF_8);
    List<String> lines = new ArrayList<>();
    Map<String, Integer> have = new HashMap<>();
    Map<String, Integer> want = new HashMap<>();
    for (String l : text.split("\n")) {
      if (l.isBlank()) {
        continue;
      }
      JsonNode n;
      try {
        n = Jsonl.MAPPER.readTree(l);
      } catch (IOException e) {
        continue; // a corrupt line is treated as missing: its candidate is redone
      }
      String k = n.path("key").asText(null);
      if (k == null) {
        continue;
      }
      lines.add(l);
      have.merge(k, 1, Integer::sum);
      want.put(k, Math.max(1, n.path("rationales_kept").asInt(0)));
    }
    List<String> keep = new ArrayList<>();
    for (String l : lines) {
      String k = Jsonl.MAPPER.readTree(l).path("key").asText();
      if (have.get(k).intValue() == want.get(k).intValue()) {
        keep.add(l);
        done.add(k);
      }
    }
    if (end != all.length || keep.size() != lines.size() || lines.size() != text.split("\n", -1).length - 1) {
      StringBuilder sb = new StringBuilder();
      keep.forEach(l -> sb.append(l).append('\n'));
      AtomicFiles.writeString(out, sb.toString());
    }
    return done;
  }

  /** Synthesizes for every candidate of {@code in} not yet in {@code out}; returns counts [candidates, kept]. */
  public static int[] run(OpenAiClient client, Path in, Path out, int samples, double temperature, int maxTokens,
      long seed) throws IOException {
    List<Candidate> cands = new ArrayList<>();
    int[] line = {0};
    Jsonl.read(in, n -> {
      line[0]++;
      cands.add(parse(n, line[0]));
      return n;
    });
    Set<String> done = recover(out);
    int processed = 0;
    int kept = 0;
    try (OutputStream os = Files.newOutputStream(out, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      for (Candidate c : cands) {
        if (done.contains(c.key())) {
          continue;
        }
        String label = c.correct() ? "Yes" : "No";
        OpenAiClient.Params p = OpenAiClient.Params.sample(maxTokens, temperature, samples,
            seed + c.key().hashCode());
        List<String> good = new ArrayList<>();
        for (OpenAiClient.Choice ch : client.complete(teacherPrompt(c.question(), c.solution(), c.reference()), p)) {
          StringBuilder cut = new StringBuilder();
          if (label.equals(verdict(ch.text(), cut))) {
            good.add(cut.toString().strip());
          }
        }
        StringBuilder sb = new StringBuilder();
        if (good.isEmpty()) { // a log entry so a restart does not redo it; it has no "targets"
          sb.append(Jsonl.toJson(record(c, label, null, 0, 0, samples))).append('\n');
        }
        for (int i = 0; i < good.size(); i++) {
          sb.append(Jsonl.toJson(record(c, label, good.get(i), i, good.size(), samples))).append('\n');
        }
        os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        os.flush();
        processed++;
        kept += good.size();
      }
    }
    return new int[] {processed, kept};
  }

  private static ObjectNode record(Candidate c, String label, String rationale, int index, int keptCount, int samples) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("key", c.key());
    if (rationale != null) {
      o.put("inputs", cotInput(c.question(), c.solution()));
      o.put("targets", rationale);
    }
    if (c.questionId() != null) {
      o.set("question_id", c.questionId());
    }
    if (c.outputId() != null) {
      o.set("model_output_id", c.outputId());
    }
    o.put("label", label);
    o.put("rationale_index", index);
    o.put("rationales_kept", keptCount);
    o.put("samples", samples);
    return o;
  }
}
