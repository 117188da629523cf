package dev.kagami.finetune;

import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * What a training loop reports to, and asks, the run that drives it: progress after every step,
 * cancellation, validation at an interval (which may stop the loop early), and where the loop keeps its
 * resumable state ({@link Checkpoint}).
 */
public interface TrainingSession {

  /** After every step. */
  void step(ImageTuner.StepLog s);

  /** True when the run should stop now; the loop then throws {@code Cancelled}. */
  boolean cancelled();

  /**
   * True when the process is stopping: the loop writes a checkpoint at the current step (when it keeps
   * checkpoints) and throws {@code Suspended}, so the run resumes at that step at the next start.
   */
  default boolean suspended() {
    return false;
  }

  /** Steps between validations; 0 for none. */
  default int validateEvery() {
    return 0;
  }

  /**
   * Validates the current weights after {@code step} steps (0: before the first) and returns whether to go
   * on; false stops the loop early (early stopping). The loop writes its checkpoint right after.
   */
  default boolean validate(int step) {
    return true;
  }

  /** Folder of this loop's resumable state, or null to keep none. */
  default Path checkpointDir() {
    return null;
  }

  /**
   * The session's own state to keep in each checkpoint (for example the best validation so far and the
   * patience left), so that it resumes with the weights it belongs to; empty for none.
   */
  default byte[] state() {
    return new byte[0];
  }

  /** Restores what {@link #state()} returned, when a loop resumes from a checkpoint. */
  default void restore(byte[] state) {}

  /** Progress and cancellation only: no validation, no checkpoints. */
  static TrainingSession of(Consumer<ImageTuner.StepLog> progress, BooleanSupplier cancelled) {
    return new TrainingSession() {
      @Override
      public void step(ImageTuner.StepLog s) {
        progress.accept(s);
      }

      @Override
      public boolean cancelled() {
        return cancelled.getAsBoolean();
      }
    };
  }
}
