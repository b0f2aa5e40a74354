package io.genrm4j.langchain4j;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.scoring.ScoringModel;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierScore;
import java.util.List;
import java.util.Objects;

/**
 * A LangChain4j {@link ScoringModel} backed by a genrm4j {@link Verifier}: the query is the verifier's question, each
 * segment a solution, and its score the verifier's ({@link VerifierScore#score()}: p(Yes) for GenRM, the mean over K
 * rationales for GenRM-CoT). Plugs into {@code ReRankingContentAggregator}. The verifier is called on the caller's
 * thread and stays the caller's to close.
 */
public final class VerifierScoringModel implements ScoringModel {
  private final Verifier verifier;

  public VerifierScoringModel(Verifier verifier) {
    this.verifier = Objects.requireNonNull(verifier, "verifier");
  }

  @Override
  public Response<List<Double>> scoreAll(List<TextSegment> segments, String query) {
    if (segments == null || segments.isEmpty()) {
      throw new IllegalArgumentException("scoreAll: no segments to score");
    }
    if (query == null) {
      throw new IllegalArgumentException("scoreAll: the query is null");
    }
    List<String> texts = segments.stream().map(TextSegment::text).toList();
    return Response.from(verifier.score(query, texts).stream().map(VerifierScore::score).toList());
  }
}
