package dev.kagami.app;

import dev.kagami.dataset.Split;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.job.JobState;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.persistence.StoredRun;
import dev.kagami.training.FineTuneRunner;
import dev.kagami.training.RunSpec;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * How long a run would take, before it starts: its training steps (train images per batch, times the epochs
 * of each stage it runs) at the seconds per step the newest run that succeeded on this server measured,
 * plus that run's fixed time (preparing, packaging, evaluating). No estimate before a run has succeeded.
 */
@ApplicationScoped
public class RunEstimator {

  /** seconds and basis (the run the speed comes from) are null when no run has succeeded yet. */
  public record Estimate(Double seconds, String basis, int trainImages, long steps) {}

  private final FineTuneService runs;
  private final DatasetRepository datasets;

  public RunEstimator(FineTuneService runs, DatasetRepository datasets) {
    this.runs = runs;
    this.datasets = datasets;
  }

  public Estimate estimate(StartRunCommand c) {
    if (c.dataset() == null || c.dataset().isBlank()) {
      throw new InvalidInput("dataset is required");
    }
    StoredDataset d = datasets.find(c.dataset()).orElseThrow(() -> new NotFound("no dataset named '" + c.dataset() + "'"));
    RunSpec s = runs.spec(c, "estimate");
    long train = d.count(Split.TRAIN);
    int images = (int) (s.maxTrainImages() > 0 ? Math.min(train, s.maxTrainImages()) : train);
    long perEpoch = (images + s.batchSize() - 1) / s.batchSize();
    long steps = perEpoch * (s.epochs() + (s.method().realigns() ? s.realignEpochs() : 0));
    for (StoredRun r : runs.list(FineTuneService.DEFAULT_LIST_LIMIT)) {
      if (r.state() != JobState.SUCCEEDED || r.totalSteps() <= 0) {
        continue;
      }
      double training = r.timings().getOrDefault(FineTuneRunner.IMAGE, 0.0) + r.timings().getOrDefault(FineTuneRunner.REALIGN, 0.0);
      double fixed = r.timings().values().stream().mapToDouble(Double::doubleValue).sum() - training;
      return new Estimate(fixed + training / r.totalSteps() * steps, r.id(), images, steps);
    }
    return new Estimate(null, null, images, steps);
  }
}
