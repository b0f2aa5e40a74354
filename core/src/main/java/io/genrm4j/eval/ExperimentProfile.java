package io.genrm4j.eval;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.VerifierKind;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sizes of one experiment run (see {@link Experiment}). Named profiles are the JSON files in
 * {@code core/src/main/resources/io/genrm4j/profiles/}, each value with its reason beside it: {@code mini} (seconds, for
 * tests), {@code quick} (the default; tens of minutes on 2 CPU cores), {@code full} (about twice quick; best results). Measured
 * times: docs/experiment.md and docs/results/. A file may override fields per task ({@link #forTask}).
 *
 * @param name profile name
 * @param preset model preset of the generator (every verifier is fine-tuned from the generator checkpoint)
 * @param trainProblems training problems (generator SFT data and verifier data)
 * @param testProblems problems per test split (test-id and test-ood each)
 * @param samplesPerTrainProblem candidates sampled per training problem to build verifier data
 * @param maxPerClass at most this many correct and this many incorrect candidates per training problem (balanced)
 * @param n candidates per test problem; Best-of-N is reported for powers of two up to n
 * @param votes GenRM-CoT / judge rationales per candidate; the votes curve covers powers of two up to this
 * @param genSteps generator SFT steps (at most, with a target)
 * @param genTarget the generator trains until its samples of held-out out-of-distribution-length problems are at
 *     least this often correct, checked every 10 steps from step 250 (0 = exactly genSteps steps)
 * @param genBatch generator batch size
 * @param genLr generator peak learning rate
 * @param verSteps verifier fine-tuning steps (each verifier)
 * @param verBatch verifier batch size
 * @param verLr verifier peak learning rate
 * @param lambda weight of solution SFT in unified GenRM training, each correct solution weighing lambda Yes/No
 *     examples (lambda = 0 is plain GenRM)
 * @param cotReplay weight of the generator's own solution SFT data mixed into GenRM-CoT training (0 = none): the
 *     generator learned every length, the CoT data has only in-distribution lengths, and the rationales re-solve
 *     the problem in the generator's own format (weights 0, 1 and 2 measured: docs/tasks.md)
 * @param cotPositions where GenRM-CoT's rationale sits in rotary-position space, {@code sequential},
 *     {@code solution}, {@code coupled} or {@code coupled-lines} ({@link io.genrm4j.verify.RationalePositions})
 * @param cotVerdictWeight how much GenRM-CoT's training weighs each token of a rationale's verdict (its last word,
 *     {@code correct} / {@code wrong}, and the label) against the other rationale tokens, 1 = alike
 *     ({@link io.genrm4j.verify.VerifierData#cot})
 * @param dpoBeta DPO beta
 * @param temperature candidate sampling temperature
 * @param cotTemperature rationale sampling temperature of GenRM-CoT and the judge
 * @param tokenCap at most this many generated tokens per solution or rationale (0 = as long as the task needs)
 * @param leakFreeVerifierData drop sampled candidates outside the training problems' length range and any
 *     (lines x answer length) group with one label from the verifier data ({@link VerifierDataStage}, issue #21)
 * @param base the pretrained base the generator starts from, a {@link BaseRecipe} name ({@link Pretraining}), or
 *     {@code none} for random weights
 * @param syntheticPairs extra training-half problems of the training lengths whose reference solution and a
 *     perturbed reference join the verifier data, for every verifier (0 = none; {@link VerifierDataStage})
 * @param baseReplay the fraction of each GenRM, unified and GenRM-CoT verifier's training examples drawn from the
 *     base's own corpus (issue #21 step 3: fine-tuning that keeps the base); 0 = none; needs a base
 * @param verifierBase what the ORM, GenRM, unified and GenRM-CoT verifiers are fine-tuned from: {@value #GENERATOR}
 *     (the generator's checkpoint) or a {@link BaseRecipe} name, that base, as the paper fine-tunes its verifiers from
 *     the pretrained model rather than from the generator; their base replay then comes from that base's corpus. DPO
 *     starts from the generator either way (it is its reference)
 * @param cotRestatement who writes the candidate's answer that GenRM-CoT's rationale restates when it scores,
 *     {@code sampled} (the verifier) or {@code forced} (the scorer; {@link io.genrm4j.verify.Restatement})
 * @param cotComparison how GenRM-CoT's rationales compare the re-solved answer with the candidate's, {@code whole} or
 *     {@code marked} (a running mark per character; {@link io.genrm4j.task.AnswerComparison})
 * @param cotBaseReplay GenRM-CoT's {@code baseReplay}: under {@code marked} the only examples that compare answers
 *     longer than the training problems' are the base's, and 10% of the mix did not keep that comparison at six
 *     letters (docs/results/2026-12-06-marked-default.md)
 * @param directVerLr {@code verLr} of the verifiers that score in one forward pass from the verifier base (ORM,
 *     GenRM, unified GenRM); GenRM-CoT and DPO keep {@code verLr} ({@link #verLr(VerifierKind)}): the base already
 *     verifies, and at GenRM-CoT's rate fine-tuning took that away (docs/results/2026-12-07-direct-verifier-rate.md)
 */
// The component order is the field order of "profile" in a run's config.json, which a resumed run must reproduce.
public record ExperimentProfile(String name, String preset, int trainProblems, int testProblems,
    int samplesPerTrainProblem, int maxPerClass, int n, int votes, int genSteps, double genTarget, int genBatch,
    double genLr, int verSteps, int verBatch, double verLr, double lambda, double cotReplay, String cotPositions,
    double cotVerdictWeight, double dpoBeta, double temperature, double cotTemperature, int tokenCap,
    boolean leakFreeVerifierData, int syntheticPairs, String base, double baseReplay, String verifierBase,
    String cotRestatement, String cotComparison, double cotBaseReplay, double directVerLr) {

  /** {@link #verifierBase}'s value for verifiers fine-tuned from the generator's checkpoint. */
  public static final String GENERATOR = "generator";

  public ExperimentProfile {
    if (n < 1 || votes < 1 || trainProblems < 1 || testProblems < 1 || samplesPerTrainProblem < 1) {
      throw new IllegalArgumentException("profile sizes must be positive");
    }
    if (!BaseRecipe.NONE.equals(base)) {
      BaseRecipe.named(base); // an unknown base fails when the profile is read, not after hours
    }
    if (syntheticPairs < 0) {
      throw new UserException("syntheticPairs must be >= 0, got " + syntheticPairs);
    }
    if (!(cotVerdictWeight > 0)) {
      throw new UserException("cotVerdictWeight must be positive, got " + cotVerdictWeight);
    }
    if (!(directVerLr > 0)) {
      throw new UserException("directVerLr must be positive, got " + directVerLr);
    }
    requireFraction("baseReplay", baseReplay);
    requireFraction("cotBaseReplay", cotBaseReplay);
    if (!GENERATOR.equals(verifierBase)) {
      if (BaseRecipe.NONE.equals(verifierBase)) {
        throw new UserException("verifierBase must be " + GENERATOR + " or a base's name, not " + verifierBase);
      }
      BaseRecipe.named(verifierBase);
    }
    io.genrm4j.verify.Restatement.check(cotRestatement);
    io.genrm4j.task.AnswerComparison.of(cotComparison);
    if (Math.max(baseReplay, cotBaseReplay) > 0 && BaseRecipe.NONE.equals(replayBase(base, verifierBase))) {
      throw new UserException("baseReplay " + Math.max(baseReplay, cotBaseReplay) + " needs a base to replay: --set "
          + "base=NAME, or --set baseReplay=0 --set cotBaseReplay=0 to train from random weights");
    }
  }

  private static void requireFraction(String field, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new UserException(field + " must be in [0, 1), got " + value);
    }
  }

  /** The fraction of a {@code kind} verifier's training examples drawn from the base's corpus. */
  public double baseReplay(VerifierKind kind) {
    return kind == VerifierKind.GENRM_COT ? cotBaseReplay : baseReplay;
  }

  /** The verifiers fine-tuned at {@link #directVerLr}. */
  private static final Set<VerifierKind> DIRECT = EnumSet.of(VerifierKind.ORM, VerifierKind.GENRM,
      VerifierKind.GENRM_UNIFIED);

  /** The peak learning rate {@code kind} is fine-tuned at: {@link #directVerLr} or {@link #verLr}. */
  public double verLr(VerifierKind kind) {
    return DIRECT.contains(kind) ? directVerLr : verLr;
  }

  /** The named profiles, in this order; each is the resource {@code profiles/<name>.json} beside this package. */
  private static final List<String> NAMES = List.of("mini", "quick", "full");

  /** A profile file: the profile, and per task name the fields that differ on that task. */
  private record ProfileFile(ExperimentProfile profile, Map<String, ObjectNode> taskOverrides) {}

  /**
   * Reads profile files: comments allowed; a missing, null or unknown field is an error (a forgotten field must
   * not silently become 0).
   */
  private static final ObjectMapper READER = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
          DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES,
          DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
      .build();

  private static final Map<String, ProfileFile> NAMED = readNamed();

  private static Map<String, ProfileFile> readNamed() {
    Map<String, ProfileFile> out = new LinkedHashMap<>();
    for (String name : NAMES) {
      String resource = "/io/genrm4j/profiles/" + name + ".json";
      try (InputStream in = ExperimentProfile.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing resource " + resource);
        }
        ProfileFile f = read(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        if (!f.profile().name().equals(name)) {
          throw new IllegalStateException(resource + ": name is '" + f.profile().name() + "'");
        }
        out.put(name, f);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** Every field of the record, plus an optional {@code overrides} object: task name -> fields that differ. */
  private static ProfileFile read(String source, String json) {
    try {
      ObjectNode tree = (ObjectNode) READER.readTree(json);
      JsonNode overrides = tree.remove("overrides");
      ExperimentProfile profile = READER.treeToValue(tree, ExperimentProfile.class);
      Map<String, ObjectNode> byTask = new LinkedHashMap<>();
      if (overrides != null) {
        overrides.fields().forEachRemaining(e -> byTask.put(e.getKey(), (ObjectNode) e.getValue()));
        byTask.values().forEach(profile::overriddenBy); // a bad override fails when read, not when run
      }
      return new ProfileFile(profile, byTask);
    } catch (IOException | ClassCastException e) {
      throw new IllegalArgumentException(source + ": not a valid profile: " + e.getMessage(), e);
    }
  }

  /** A profile written as JSON (the format of {@code profiles/quick.json}; comments allowed). */
  public static ExperimentProfile parse(String json) {
    return read("profile", json).profile();
  }

  /** This profile with the given fields replaced (field name -> value, as in a profile file). */
  ExperimentProfile overriddenBy(ObjectNode fields) {
    ObjectNode tree = READER.valueToTree(this);
    tree.setAll(fields);
    try {
      return READER.treeToValue(tree, ExperimentProfile.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("profile " + name + ": bad override " + fields + ": " + e.getMessage(), e);
    }
  }

  /**
   * This profile as run on {@code task}: the same, except for the fields its file overrides for that task. Apply it
   * before any field set by hand ({@link #with}), so that a value set by hand is the value run even where it equals
   * the profile's own (word sorting's {@code --set cotPositions=coupled} ran {@code solution} until 2026-12-05).
   */
  public ExperimentProfile forTask(String task) {
    ProfileFile f = NAMED.get(name);
    ObjectNode fields = f == null ? null : f.taskOverrides().get(task);
    return fields == null ? this : overriddenBy(fields);
  }

  /**
   * This profile with fields set from text ({@code genrm experiment --set FIELD=VALUE}): a value that reads as a
   * JSON number or boolean is one, anything else is a string; an unknown field or a wrong type is a
   * {@link UserException}.
   */
  public ExperimentProfile with(Map<String, String> fields) {
    ObjectNode mine = READER.valueToTree(this);
    ObjectNode o = READER.createObjectNode();
    fields.forEach((k, v) -> {
      if (!mine.has(k)) {
        List<String> known = new java.util.ArrayList<>();
        mine.fieldNames().forEachRemaining(known::add);
        throw new UserException("--set: unknown profile field '" + k + "' (fields: " + String.join(", ", known) + ")");
      }
      JsonNode value;
      try {
        value = READER.readTree(v);
      } catch (IOException e) {
        value = null;
      }
      o.set(k, value != null && (value.isNumber() || value.isBoolean()) ? value : o.textNode(v));
    });
    try {
      return overriddenBy(o);
    } catch (IllegalArgumentException e) {
      String why = e.getCause() instanceof JsonMappingException j ? j.getOriginalMessage() : e.getMessage();
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof UserException u) { // a rule of the profile itself: its own words, not Jackson's
          why = u.getMessage();
        }
      }
      throw new UserException("--set " + fields + ": " + why.lines().findFirst().orElse(""));
    }
  }

  /** The named profile; a {@link UserException} listing the names when unknown. */
  public static ExperimentProfile named(String name) {
    ProfileFile f = NAMED.get(name);
    if (f == null) {
      throw new UserException("unknown profile '" + name + "' (known: " + String.join(", ", NAMED.keySet()) + ")");
    }
    return f.profile();
  }

  public static Map<String, ExperimentProfile> all() {
    Map<String, ExperimentProfile> out = new LinkedHashMap<>();
    NAMED.forEach((name, f) -> out.put(name, f.profile()));
    return Collections.unmodifiableMap(out);
  }

  /** 1, 2, 4, ... up to and including {@code max} (and {@code max} itself if not a power of two). */
  public static int[] powersOfTwo(int max) {
    List<Integer> out = new java.util.ArrayList<>();
    for (int v = 1; v <= max; v *= 2) {
      out.add(v);
    }
    if (out.get(out.size() - 1) != max) {
      out.add(max);
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The base the verifiers' base replay is drawn from: the one they start from, else the generator's. */
  public String replayBase() {
    return replayBase(base, verifierBase);
  }

  // also for the constructor's check, before the fields are assigned
  private static String replayBase(String base, String verifierBase) {
    return GENERATOR.equals(verifierBase) ? base : verifierBase;
  }

  /** {@code needed} limited by {@link #tokenCap}. */
  public int capTokens(int needed) {
    return tokenCap > 0 ? Math.min(tokenCap, needed) : needed;
  }

  public int[] ns() {
    return powersOfTwo(n);
  }

  public int[] ks() {
    return powersOfTwo(votes);
  }
}
