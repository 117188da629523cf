package dev.kagami.training;

import dev.kagami.finetune.ImageTuner;
import dev.kagami.job.JobState;
import dev.kagami.persistence.RunRepository;
import dev.kagami.persistence.StoredRun;
import java.time.Instant;
import java.util.Map;

/** Turns the runner's reports on one run into database rows and watcher updates (with an ETA per step). */
final class RunProgress implements FineTuneRunner.Listener {
  private final ActiveRun a;
  private final RunRepository runs;
  private long stageStart = System.nanoTime();
  private int firstStep = -1;

  RunProgress(ActiveRun a, RunRepository runs) {
    this.a = a;
    this.runs = runs;
  }

  @Override
  public void stage(String stage, int totalSteps) {
    stageStart = System.nanoTime();
    firstStep = -1;
    a.update(r -> RunManager.with(r, JobState.RUNNING, stage, 0, totalSteps), true);
  }

  @Override
  public void step(String stage, ImageTuner.StepLog s) {
    if (firstStep < 0) {
      firstStep = s.step() - 1; // a resumed stage starts past 0
    }
    double perStep = (System.nanoTime() - stageStart) / 1e9 / (s.step() - firstStep);
    a.update(r -> RunManager.with(r, JobState.RUNNING, stage, s.step(), s.totalSteps()), false);
    a.publish(new RunManager.Update.Progress(stage, s, perStep * (s.totalSteps() - s.step())));
  }

  @Override
  public void validation(String stage, int step, Double loss, Map<String, Double> kpis, boolean best) {
    StoredRun.Point p = new StoredRun.Point(Instant.now(), stage, step, loss, kpis, best);
    runs.addPoint(a.id, p);
    a.publish(new RunManager.Update.Validation(p));
  }
}
