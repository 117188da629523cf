package dev.kagami.finetune;

/**
 * Learning-rate factor per step: linear warm-up from 0 to 1 over {@code warmupSteps}, then a cosine decay
 * to {@code minFactor} at {@code totalSteps} (as the authors' code, via timm's cosine scheduler).
 *
 * @param warmupSteps steps of linear warm-up (0: none)
 * @param totalSteps the step at which the factor reaches {@code minFactor}; later steps stay there
 * @param minFactor the final factor, in [0, 1]
 */
public record CosineSchedule(int warmupSteps, int totalSteps, double minFactor) {

  public CosineSchedule {
    if (warmupSteps < 0 || totalSteps < 1 || warmupSteps > totalSteps || minFactor < 0 || minFactor > 1) {
      throw new IllegalArgumentException("invalid schedule: warm-up " + warmupSteps + ", total " + totalSteps + ", min "
          + minFactor);
    }
  }

  /** The factor for {@code step} (0-based: the first update uses step 0). */
  public double factor(int step) {
    if (step < warmupSteps) {
      return (step + 1) / (double) warmupSteps;
    }
    if (step >= totalSteps) {
      return minFactor;
    }
    double progress = (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps);
    return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
}
