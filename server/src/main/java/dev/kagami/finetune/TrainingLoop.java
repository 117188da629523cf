package dev.kagami.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.kagami.error.KagamiException.Cancelled;
import dev.kagami.error.KagamiException.Suspended;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The loop every trainer here shares; a trainer brings only its batch and its loss. It resumes from a
 * checkpoint (optimiser moments and the session's state), validates before the first step and every
 * {@link TrainingSession#validateEvery()} steps (validation may stop it early) and writes a checkpoint
 * after each validation, honours cancellation between steps, and draws its randomness so that a resumed run
 * computes what an uninterrupted one does: epoch {@code e}'s order comes from {@code (seed, e)} and every
 * random draw of step {@code s} from a source seeded by {@code (seed, s)}. The last, smaller batch of an
 * epoch is dropped.
 */
final class TrainingLoop {

  /** The loss of one batch ({@code examples}: indexes into the training examples), built in {@code batch}. */
  interface BatchLoss {
    NDArray loss(int[] examples, SplittableRandom rnd, NDManager batch);
  }

  /** Writes the trainer's resumable state (its weights and extras, the optimiser, the session) after a step. */
  interface Checkpointer {
    void write(int step);
  }

  /**
   * @param what the name of the loop in a cancellation message ("fine-tuning")
   * @param examples how many training examples there are
   * @param batchSize examples per step
   * @param steps steps in all
   * @param seed data order and per-step randomness
   */
  record Plan(String what, int examples, int batchSize, int steps, long seed) {

    int stepsPerEpoch() {
      return examples / batchSize;
    }
  }

  private final Engine engine;

  TrainingLoop(Engine engine) {
    this.engine = engine;
  }

  /**
   * Runs {@code plan} from the step {@code resumed} holds (0 when empty) to the end, or until validation or
   * cancellation stops it; {@code logged} is the parameter group whose learning rate each step reports.
   * Returns the log of the steps run by this call.
   */
  List<ImageTuner.StepLog> run(Plan plan, NDManager m, AdamW opt, AdamW.Group logged, TrainingSession session,
      Optional<Checkpoint.State> resumed, BatchLoss batchLoss, Checkpointer checkpointer) {
    resumed.ifPresent(st -> {
      Checkpoint.restore(st, opt);
      session.restore(st.session());
    });
    int perEpoch = plan.stepsPerEpoch();
    int total = plan.steps();
    int step = resumed.map(Checkpoint.State::step).orElse(0);
    List<ImageTuner.StepLog> log = new ArrayList<>();
    boolean go = step > 0 || session.validateEvery() <= 0 || session.validate(0);
    int[] order = null;
    int orderEpoch = -1;
    while (go && step < total) {
      if (session.cancelled()) {
        throw new Cancelled(plan.what() + " cancelled at step " + step + " of " + total);
      }
      if (session.suspended()) {
        if (session.checkpointDir() != null && step > 0) {
          checkpointer.write(step);
        }
        throw new Suspended(plan.what() + " suspended at step " + step + " of " + total + "; it resumes there at the next start");
      }
      int epoch = step / perEpoch;
      if (epoch != orderEpoch) {
        order = Seeds.permutation(plan.examples(), new SplittableRandom(Seeds.mix(plan.seed(), -1 - epoch)));
        orderEpoch = epoch;
      }
      int first = (step % perEpoch) * plan.batchSize();
      int[] batch = Arrays.copyOfRange(order, first, first + plan.batchSize());
      SplittableRandom rnd = new SplittableRandom(Seeds.mix(plan.seed(), step));
      double lr = opt.learningRate(logged);
      double loss;
      try (NDManager bm = m.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
        NDArray l = batchLoss.loss(batch, rnd, bm);
        gc.backward(l);
        loss = l.getFloat();
      }
      AdamW.StepInfo info = opt.step();
      step++;
      ImageTuner.StepLog s = new ImageTuner.StepLog(step, total, loss, lr, info.gradNorm());
      log.add(s);
      session.step(s);
      if (session.validateEvery() > 0 && (step % session.validateEvery() == 0 || step == total)) {
        go = session.validate(step);
        if (session.checkpointDir() != null) {
          checkpointer.write(step);
        }
      }
    }
    return log;
  }
}
