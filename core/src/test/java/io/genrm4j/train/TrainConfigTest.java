package io.genrm4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Named construction of training and server configs keeps the values of the positional constructors (f73aa1f). */
class TrainConfigTest {
  @Test
  void defaultsAndEachWitherChangeExactlyTheirField() {
    TrainConfig d = TrainConfig.defaults(100, 8, 1e-3, 7);
    assertEquals("TrainConfig[steps=100, batchSize=8, gradAccum=1, lr=0.001, minLrRatio=0.1, warmupSteps=5, "
        + "weightDecay=0.01, clipNorm=1.0, seed=7, checkpointEvery=0]", d.toString());
    assertEquals(1, TrainConfig.defaults(19, 8, 1e-3, 7).warmupSteps(), "at least one warmup step");
    assertEquals("TrainConfig[steps=100, batchSize=8, gradAccum=2, lr=0.001, minLrRatio=0.2, warmupSteps=3, "
        + "weightDecay=0.0, clipNorm=0.5, seed=7, checkpointEvery=10]", d.withGradAccum(2).withMinLrRatio(0.2)
        .withWarmupSteps(3).withWeightDecay(0).withClipNorm(0.5).withCheckpointEvery(10).toString());
  }
}
