package dev.kagami.training;

import dev.kagami.finetune.ImageTuner;
import dev.kagami.finetune.TrainingSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Validation, best-by-validation weights, early stopping and the state they keep in checkpoints. */
final class StageSession implements TrainingSession {

  interface Saver {
    void save(Path file) throws IOException;
  }

  private final String stage;
  private final Path dir;
  private final int every;
  private final int patience;
  private final FineTuneRunner.Listener listener;
  private final BooleanSupplier cancelled;
  private final BooleanSupplier suspended;
  private final String primary;
  private final Saver saver;
  private final java.util.function.Supplier<Map<String, Double>> validator;
  private double lastLoss = Double.NaN;
  double best = Double.NEGATIVE_INFINITY;
  int bestStep = -1;
  int sinceBest;

  /** Validations a stage gets at least when the spec leaves their interval to the default (fewer epochs than this). */
  static final int MIN_VALIDATIONS = 10;

  StageSession(String stage, Path dir, RunSpec spec, int perEpoch, int totalSteps, FineTuneRunner.Listener listener,
      BooleanSupplier cancelled, BooleanSupplier suspended, String primary, Saver saver,
      java.util.function.Supplier<Map<String, Double>> validator) {
    this.stage = stage;
    this.dir = dir;
    this.every = spec.validateEvery() > 0 ? spec.validateEvery() : defaultInterval(perEpoch, totalSteps);
    this.patience = spec.patience();
    this.listener = listener;
    this.cancelled = cancelled;
    this.suspended = suspended;
    this.primary = primary;
    this.saver = saver;
    this.validator = validator;
  }

  /**
   * The default validation interval: once per epoch, or more often so that the stage is validated at least
   * {@link #MIN_VALIDATIONS} times (besides step 0) and the best step can be chosen.
   */
  static int defaultInterval(int perEpoch, int totalSteps) {
    return Math.max(1, Math.min(perEpoch, totalSteps / MIN_VALIDATIONS));
  }

  @Override
  public void step(ImageTuner.StepLog s) {
    lastLoss = s.loss();
    listener.step(stage, s);
  }

  @Override
  public boolean cancelled() {
    return cancelled.getAsBoolean();
  }

  @Override
  public boolean suspended() {
    return suspended.getAsBoolean();
  }

  @Override
  public int validateEvery() {
    return every;
  }

  @Override
  public boolean validate(int step) {
    Map<String, Double> kpis = validator.get();
    double v = kpis.get(primary);
    // the first validation (the starting weights) is always kept, so a stage always has a best checkpoint,
    // even when its KPI cannot be measured (NaN never improves on it)
    boolean improved = bestStep < 0 || v > best + 1e-9;
    if (improved) {
      try {
        // a new file per best step, never overwritten: the checkpoint written next records which one is best
        saver.save(dir.resolve("best-" + step + ".pt"));
      } catch (IOException e) {
        throw new dev.kagami.error.KagamiException.BackendUnavailable("cannot save the best weights: " + e.getMessage(), e);
      }
      best = v;
      bestStep = step;
      sinceBest = 0;
    } else {
      sinceBest++;
    }
    listener.validation(stage, step, step == 0 ? null : lastLoss, kpis, improved);
    return patience == 0 || sinceBest < patience;
  }

  @Override
  public Path checkpointDir() {
    return dir.resolve("checkpoint");
  }

  @Override
  public byte[] state() {
    return ByteBuffer.allocate(16).putDouble(best).putInt(bestStep).putInt(sinceBest).array();
  }

  @Override
  public void restore(byte[] state) {
    ByteBuffer b = ByteBuffer.wrap(state);
    best = b.getDouble();
    bestStep = b.getInt();
    sinceBest = b.getInt();
  }
}
