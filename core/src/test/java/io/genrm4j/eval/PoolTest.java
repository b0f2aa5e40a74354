package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolTest {
  @Test
  void validatesLengthsAndCopiesInputs() {
    boolean[] c = {true, false};
    Pool p = new Pool("q1", c, new String[] {"1", null}, Map.of("orm", new double[] {0.3, 0.7}));
    c[0] = false;
    assertEquals(true, p.correct()[0]);
    assertEquals(2, p.size());
    assertArrayEquals(new double[] {0.3, 0.7}, p.scoresOf("orm"));
    Pool q = p.withScores("genrm", new double[] {0.9, 0.1});
    assertEquals(2, q.scores().size());
    assertThrows(IllegalArgumentException.class, () -> p.scoresOf("genrm"));
    assertThrows(IllegalArgumentException.class, () -> new Pool("q2", c, new String[] {"1"}));
    assertThrows(IllegalArgumentException.class,
        () -> new Pool("q3", c, new String[] {"1", "2"}, Map.of("orm", new double[] {1})));
  }

  @Test
  void signedZeroScoresTie() {
    boolean[] c = {true, false};
    double[] s = {0.0, -0.0};
    assertEquals(0.5, BestOfN.bestOfN(s, c, 2), 1e-12);
    assertEquals(BruteForce.bestOfN(s, c, 2), BestOfN.bestOfN(s, c, 2), 1e-12);
    assertEquals(0.5, VerifierMetrics.auroc(s, c), 1e-12);
  }
}
