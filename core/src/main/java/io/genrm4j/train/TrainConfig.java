package io.genrm4j.train;

/**
 * Hyper-parameters of one training run. Effective batch = {@code batchSize * gradAccum} examples per step.
 *
 * @param steps optimizer steps
 * @param batchSize examples per micro-batch
 * @param gradAccum micro-batches accumulated per step
 * @param lr peak learning rate
 * @param minLrRatio final learning rate as a fraction of the peak (cosine floor)
 * @param warmupSteps linear warmup steps
 * @param weightDecay decoupled decay on matrices only
 * @param clipNorm global gradient-norm clip (0 = off)
 * @param seed data order (and nothing else: initialisation has its own seed)
 * @param checkpointEvery save a resumable checkpoint every this many steps (0 = only at the end)
 */
public record TrainConfig(int steps, int batchSize, int gradAccum, double lr, double minLrRatio, int warmupSteps,
    double weightDecay, double clipNorm, long seed, int checkpointEvery) {

  public TrainConfig {
    if (steps <= 0 || batchSize <= 0 || gradAccum <= 0) {
      throw new IllegalArgumentException("steps, batch size and gradient accumulation must be positive");
    }
    if (!(lr > 0)) {
      throw new IllegalArgumentException("learning rate must be positive");
    }
  }

  /**
   * The usual run: no accumulation, a warmup of 5% of the steps, then cosine to 10% of the peak; checkpoints only
   * at the end. Change a field with the {@code with*} methods.
   */
  public static TrainConfig defaults(int steps, int batchSize, double lr, long seed) {
    return new TrainConfig(steps, batchSize,
        1, // gradAccum
        lr,
        0.1, // minLrRatio
        Math.max(1, steps / 20), // warmupSteps
        0.01, // weightDecay
        1.0, // clipNorm
        seed,
        0); // checkpointEvery
  }

  public TrainConfig withGradAccum(int accum) {
    return new TrainConfig(steps, batchSize, accum, lr, minLrRatio, warmupSteps, weightDecay, clipNorm, seed,
        checkpointEvery);
  }

  public TrainConfig withMinLrRatio(double ratio) {
    return new TrainConfig(steps, batchSize, gradAccum, lr, ratio, warmupSteps, weightDecay, clipNorm, seed,
        checkpointEvery);
  }

  public TrainConfig withWarmupSteps(int warmup) {
    return new TrainConfig(steps, batchSize, gradAccum, lr, minLrRatio, warmup, weightDecay, clipNorm, seed,
        checkpointEvery);
  }

  public TrainConfig withWeightDecay(double decay) {
    return new TrainConfig(steps, batchSize, gradAccum, lr, minLrRatio, warmupSteps, decay, clipNorm, seed,
        checkpointEvery);
  }

  public TrainConfig withClipNorm(double norm) {
    return new TrainConfig(steps, batchSize, gradAccum, lr, minLrRatio, warmupSteps, weightDecay, norm, seed,
        checkpointEvery);
  }

  public TrainConfig withCheckpointEvery(int every) {
    return new TrainConfig(steps, batchSize, gradAccum, lr, minLrRatio, warmupSteps, weightDecay, clipNorm, seed,
        every);
  }

  public LrSchedule schedule() {
    return new LrSchedule(lr, warmupSteps, steps, minLrRatio);
  }
}
