package io.genrm4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.ContentMetadata;
import dev.langchain4j.rag.content.aggregator.ReRankingContentAggregator;
import dev.langchain4j.rag.query.Query;
import io.genrm4j.testing.TinyModels;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierScore;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The verifier as LangChain4j's re-ranker: ReRankingContentAggregator over a GenRM trained here. */
class VerifierScoringModelTest {
  static final TinyModels models = TinyModels.shared();

  /** Ten distinct held-out words, alternately ending in a consonant and in a vowel (the retriever's order). */
  static List<String> words() {
    Random rng = new Random(11);
    return IntStream.range(0, 10).mapToObj(i -> TinyModels.word(rng, i % 2 == 1)).distinct().toList();
  }

  static Map<Query, Collection<List<Content>>> retrieved(List<String> segments) {
    return Map.of(Query.from(TinyModels.QUESTION), List.of(segments.stream().map(Content::from).toList()));
  }

  @Test
  void reRankingContentAggregatorOrdersSegmentsByTheVerifierScore() {
    Verifier v = models.verifier();
    List<String> words = words();
    List<Content> out = ReRankingContentAggregator.builder().scoringModel(new VerifierScoringModel(v)).build()
        .aggregate(retrieved(words));
    List<VerifierScore> direct = v.score(TinyModels.QUESTION, words);
    List<String> byScore = IntStream.range(0, words.size()).boxed()
        .sorted(Comparator.comparingDouble(i -> -direct.get(i).score())).map(words::get).toList();
    assertEquals(byScore, out.stream().map(c -> c.textSegment().text()).toList());
    for (Content c : out) {
      assertEquals(direct.get(words.indexOf(c.textSegment().text())).score(),
          (Double) c.metadata().get(ContentMetadata.RERANKED_SCORE), 0.0);
    }
    // the trained rule shows: every word ending in a vowel ranks above every other
    long vowels = words.stream().filter(TinyModels::endsInVowel).count();
    assertTrue(out.subList(0, (int) vowels).stream().allMatch(c -> TinyModels.endsInVowel(c.textSegment().text())),
        "vowel endings first: " + out.stream().map(c -> c.textSegment().text()).toList());
  }

  @Test
  void minScoreKeepsOnlyTheSegmentsTheVerifierJudgesCorrect() {
    List<Content> kept = ReRankingContentAggregator.builder()
        .scoringModel(new VerifierScoringModel(models.verifier())).minScore(0.5).build().aggregate(retrieved(words()));
    assertTrue(!kept.isEmpty() && kept.stream().allMatch(c -> TinyModels.endsInVowel(c.textSegment().text())),
        kept.toString());
  }

  @Test
  void noSegmentsIsAOneLineError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new VerifierScoringModel(models.verifier()).scoreAll(List.of(), TinyModels.QUESTION));
    assertEquals("scoreAll: no segments to score", e.getMessage());
  }
}
