package io.genrm4j.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import io.genrm4j.verify.VerifierScore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The metadata of a {@link BestOfNChatModel} answer: the wrapped model's id, model name and finish reason of the
 * chosen candidate, the token usage of all N generations, and every candidate with its verifier score (N of them
 * unless some answers had no text, see {@link #answers()}). Read it with
 * {@code (BestOfNMetadata) response.metadata()}.
 */
public final class BestOfNMetadata extends ChatResponseMetadata {
  private final List<String> candidates;
  private final List<VerifierScore> verifierScores;
  private final List<String> finalAnswers;
  private final int chosen;
  private final int answers;
  private final String verifierKind;

  private BestOfNMetadata(Builder b) {
    super(b);
    candidates = List.copyOf(b.candidates);
    verifierScores = List.copyOf(b.verifierScores);
    // null entries (a candidate without an extractable answer) are kept, so no List.copyOf
    finalAnswers = b.finalAnswers == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(b.finalAnswers));
    chosen = b.chosen;
    answers = b.answers;
    verifierKind = b.verifierKind;
    if (verifierScores.size() != candidates.size()) {
      throw new IllegalArgumentException(verifierScores.size() + " scores for " + candidates.size() + " candidates");
    }
    if (answers < candidates.size()) {
      throw new IllegalArgumentException(candidates.size() + " candidates of " + answers + " answers");
    }
    if (chosen < 0 || chosen >= candidates.size()) {
      throw new IllegalArgumentException("chosen index " + chosen + " outside 0.." + (candidates.size() - 1));
    }
  }

  /** The candidates: the answers with text, in the order the wrapped model gave them. */
  public List<String> candidates() {
    return candidates;
  }

  /** Each candidate's verifier score, in candidate order. */
  public List<Double> scores() {
    return verifierScores.stream().map(VerifierScore::score).toList();
  }

  /** Each candidate's full judgement: raw p(Yes) and p(No), and for GenRM-CoT the K votes and rationales. */
  public List<VerifierScore> verifierScores() {
    return verifierScores;
  }

  /** Weighted vote: each candidate's final answer (null where none was found); empty without a vote. */
  public List<String> finalAnswers() {
    return finalAnswers;
  }

  /** The index of the returned candidate. */
  public int chosen() {
    return chosen;
  }

  /** N: the answers asked of the wrapped model (more than {@link #candidates()} when some had no text). */
  public int answers() {
    return answers;
  }

  /** The verifier's kind ({@code genrm}, {@code genrm-cot}, ...). */
  public String verifierKind() {
    return verifierKind;
  }

  @Override
  public Builder toBuilder() {
    return ((Builder) super.toBuilder(builder())).candidates(candidates).verifierScores(verifierScores)
        .finalAnswers(finalAnswers.isEmpty() ? null : finalAnswers).chosen(chosen).answers(answers).verifierKind(verifierKind);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BestOfNMetadata that && super.equals(o) && candidates.equals(that.candidates)
        && scores().equals(that.scores()) && finalAnswers.equals(that.finalAnswers) && chosen == that.chosen
        && answers == that.answers && Objects.equals(verifierKind, that.verifierKind);
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), candidates, scores(), finalAnswers, chosen, answers, verifierKind);
  }

  @Override
  public String toString() {
    return "BestOfNMetadata{chosen=" + chosen + ", answers=" + answers + ", verifierKind=" + verifierKind
        + ", scores=" + scores()
        + (finalAnswers.isEmpty() ? "" : ", finalAnswers=" + finalAnswers) + ", " + super.toString() + "}";
  }

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder extends ChatResponseMetadata.Builder<Builder> {
    private List<String> candidates = List.of();
    private List<VerifierScore> verifierScores = List.of();
    private List<String> finalAnswers;
    private int chosen;
    private int answers;
    private String verifierKind;

    public Builder candidates(List<String> c) {
      candidates = c;
      return this;
    }

    public Builder verifierScores(List<VerifierScore> s) {
      verifierScores = s;
      return this;
    }

    public Builder finalAnswers(List<String> a) {
      finalAnswers = a;
      return this;
    }

    public Builder chosen(int i) {
      chosen = i;
      return this;
    }

    public Builder answers(int count) {
      answers = count;
      return this;
    }

    public Builder verifierKind(String k) {
      verifierKind = k;
      return this;
    }

    @Override
    public BestOfNMetadata build() {
      return new BestOfNMetadata(this);
    }
  }
}
