package io.genrm4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenExampleTest {
  private static TokenExample completion(int promptLength, int completionLength, float weight) {
    return TokenExample.completion(new int[promptLength], new int[completionLength], weight);
  }

  @Test
  void replayedExamplesEachWeighAnAverageHostExample() {
    // a GenRM-direct host: one-token labels; replayed: a 100-token solution and a one-token label
    List<TokenExample> host = List.of(completion(40, 1, 1f), completion(50, 1, 1f), completion(60, 1, 1f));
    List<TokenExample> replay = List.of(completion(20, 100, 1f), completion(30, 1, 1f));
    List<TokenExample> w = TokenExample.weighedLike(host, replay);
    assertEquals(1.0, w.get(0).totalWeight(), 1e-6, "the solution's 100 tokens together weigh one label");
    assertEquals(1.0, w.get(1).totalWeight(), 1e-6);
    assertEquals(0.01f, w.get(0).weight(), 1e-7);

    // a CoT host whose examples weigh 120 and 80 tokens: a replayed label weighs their mean, 100
    List<TokenExample> cot = List.of(completion(10, 120, 1f), completion(10, 40, 2f));
    assertEquals(100.0, TokenExample.weighedLike(cot, replay).get(1).totalWeight(), 1e-6);
    assertEquals(List.of(), TokenExample.weighedLike(host, List.of()));
  }

  /** Emphasis multiplies target tokens only: in the loss's weights, in an example's total, and through reweighting. */
  @Test
  void emphasisWeighsTargetTokens() {
    TokenExample e = completion(3, 4, 2f).withEmphasis(new float[] {9, 9, 9, 1, 1, 5, 1});
    float[] w = Losses.targetWeights(List.of(e), 7); // position t predicts token t + 1
    assertEquals(List.of(0f, 0f, 2f, 2f, 10f, 2f), boxed(w), "prompt tokens stay at 0 whatever their emphasis");
    assertEquals(16.0, e.totalWeight(), 1e-6);
    assertEquals(16.0, e.withPositions(new int[7]).totalWeight(), 1e-6, "kept by withPositions");
    assertEquals(8.0, e.withWeight(1f).totalWeight(), 1e-6, "kept by withWeight");
  }

  private static List<Float> boxed(float[] a) {
    List<Float> out = new java.util.ArrayList<>();
    for (float f : a) {
      out.add(f);
    }
    return out;
  }
}
