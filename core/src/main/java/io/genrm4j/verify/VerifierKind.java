package io.genrm4j.verify;

import io.genrm4j.util.UserException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The kinds of verifier, in report order, and what each needs. The canonical {@link #id()} is the experiment's
 * method name: it is a seed salt and a file name, so it never changes. {@link #parse} is the one table of the names
 * the CLI ({@code --mode}, {@code --kind}) and the HTTP server ({@code "mode"}) accept: the ids and the older
 * aliases {@code direct}, {@code cot}, {@code judge}. {@link VerifierRecipe} trains and opens each kind.
 */
public enum VerifierKind {
  /** Discriminative reward model: a score head on the last token, balanced BCE. */
  ORM("orm", List.of(), Trait.TRAINED, Trait.SCORE_HEAD, Trait.PROBABILITY_SCORES),
  /** GenRM: SFT on " Yes"/" No"; the score is p(Yes) renormalised over {Yes, No}. */
  GENRM("genrm", List.of("direct"), Trait.TRAINED, Trait.PROBABILITY_SCORES),
  /** GenRM trained with lambda-weighted solution SFT on the correct candidates too; scored as GenRM. */
  GENRM_UNIFIED("genrm-unified", List.of(), Trait.TRAINED, Trait.PROBABILITY_SCORES),
  /** GenRM-CoT: SFT on rationale + verdict; the score is the mean p(Yes) over K sampled rationales. */
  GENRM_COT("genrm-cot", List.of("cot"), Trait.TRAINED, Trait.SAMPLES_VOTES, Trait.PROBABILITY_SCORES),
  /** DPO on (correct, incorrect) pairs; the score is beta * log(pi / pi_ref), a log-ratio. */
  DPO("dpo", List.of(), Trait.TRAINED, Trait.REFERENCE_MODEL),
  /** LLM-as-a-Judge: the GenRM-CoT procedure on the generator itself, never trained to verify. */
  LLM_JUDGE("llm-judge", List.of("judge"), Trait.SAMPLES_VOTES, Trait.PROBABILITY_SCORES);

  /** What a kind needs or does; a kind has the traits it lists. */
  private enum Trait { TRAINED, SAMPLES_VOTES, PROBABILITY_SCORES, REFERENCE_MODEL, SCORE_HEAD }

  private final String id;
  private final List<String> aliases;
  private final Set<Trait> traits;

  VerifierKind(String id, List<String> aliases, Trait... traits) {
    this.id = id;
    this.aliases = aliases;
    this.traits = traits.length == 0 ? EnumSet.noneOf(Trait.class) : EnumSet.of(traits[0], traits);
  }

  /** The canonical name: {@code orm}, {@code genrm}, {@code genrm-unified}, {@code genrm-cot}, {@code dpo}, ... */
  public String id() {
    return id;
  }

  /** Fine-tuned from the generator (every kind but the judge, which is the generator prompted to verify). */
  public boolean trained() {
    return traits.contains(Trait.TRAINED);
  }

  /** Samples K rationales per candidate and averages their p(Yes) votes (sampled: random, seeded). */
  public boolean samplesVotes() {
    return traits.contains(Trait.SAMPLES_VOTES);
  }

  /** Scores are probabilities in [0, 1] (accuracy at 0.5, ECE, Brier apply); else a log-ratio reward (DPO). */
  public boolean probabilityScores() {
    return traits.contains(Trait.PROBABILITY_SCORES);
  }

  /** Scoring needs the frozen model training started from (DPO's pi_ref). */
  public boolean needsReference() {
    return traits.contains(Trait.REFERENCE_MODEL);
  }

  /** The checkpoint has a scalar score head ({@code num_labels = 1}) besides the language-model head. */
  public boolean hasScoreHead() {
    return traits.contains(Trait.SCORE_HEAD);
  }

  /** Every accepted name, each id followed by its aliases, in report order. */
  public static List<String> names() {
    List<String> out = new ArrayList<>();
    for (VerifierKind k : values()) {
      out.add(k.id);
      out.addAll(k.aliases);
    }
    return out;
  }

  /** The kind of a canonical id or an alias; an unknown name is a {@link UserException} listing every name. */
  public static VerifierKind parse(String name) {
    for (VerifierKind k : values()) {
      if (k.id.equals(name) || k.aliases.contains(name)) {
        return k;
      }
    }
    throw new UserException("unknown verifier kind '" + name + "' (one of " + String.join(", ", names()) + ")");
  }

  /** The kind of a canonical id (a file or method name of the experiment); aliases are not ids. */
  public static VerifierKind of(String id) {
    for (VerifierKind k : values()) {
      if (k.id.equals(id)) {
        return k;
      }
    }
    throw new IllegalArgumentException("not a verifier kind id: '" + id + "'");
  }

  /** The names for picocli's {@code completionCandidates}, so {@code --help} lists what {@link #parse} accepts. */
  public static final class Names implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return names().iterator();
    }
  }
}
