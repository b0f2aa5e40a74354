package io.genrm4j.train;

/** Linear warmup to the peak rate, then cosine decay to {@code minRatio} x peak at the last step. */
public record LrSchedule(double peak, int warmupSteps, int totalSteps, double minRatio) {
  /** The learning rate of 1-based step {@code step}. */
  public double at(long step) {
    if (warmupSteps > 0 && step <= warmupSteps) {
      return peak * step / warmupSteps;
    }
    double span = Math.max(1, totalSteps - warmupSteps);
    double progress = Math.min(1.0, (step - warmupSteps) / span);
    double min = peak * minRatio;
    return min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress));
  }
}
