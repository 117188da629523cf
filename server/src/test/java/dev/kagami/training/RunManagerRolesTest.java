package dev.kagami.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.concurrent.Parallel;
import dev.kagami.concurrent.ThreadPools;
import dev.kagami.config.KagamiConfig;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.job.JobState;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.RunRepository;
import dev.kagami.persistence.StoredRun;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.testing.FineTuneProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Serving replicas and a trainer on one database: a serving-only process (execute-runs=false) records a run
 * and never trains it; the trainer claims it at its poll and trains it; two trainers polling never both
 * take one run; the serving process follows the run from the database and cancels one the trainer runs.
 */
@QuarkusTest
@TestProfile(FineTuneProfile.class)
class RunManagerRolesTest {

  @Inject
  RunRepository runs;
  @Inject
  DatasetRepository datasets;
  @Inject
  ModelRegistry models;
  @Inject
  Evaluations evaluations;
  @Inject
  KagamiConfig config;
  @Inject
  ImageDecoder decoder;
  @Inject
  Parallel parallel;
  @Inject
  ThreadPools pools;
  @Inject
  Event<RunSucceeded> trained;

  @Test
  void a_serving_replica_records_runs_that_one_trainer_claims_trains_and_cancels() throws Exception {
    PatternDatasets.save(datasets, "patterns-roles", 33);
    RunManager serving = manager(false);
    RunManager trainer = manager(true);
    RunManager secondTrainer = manager(true);
    try {
      String id = RunManager.newId();
      serving.start(id, spec(1, "ft-roles"));
      serving.poll(); // a serving-only process never takes runs
      assertThat(runs.get(id).orElseThrow().state()).isEqualTo(JobState.QUEUED);

      List<JobState> seen = new CopyOnWriteArrayList<>();
      CompletableFuture<StoredRun> end = new CompletableFuture<>();
      serving.watch(id, u -> {
        if (u instanceof RunManager.Update.Snapshot s) {
          seen.add(s.run().state());
          if (RunManager.isEnded(s.run().state())) {
            end.complete(s.run());
          }
        }
      });
      trainer.poll();
      secondTrainer.poll(); // sees it taken (or waiting in the first trainer's queue): does not train it
      StoredRun done = end.get(300, TimeUnit.SECONDS);
      assertThat(done.state()).as(String.valueOf(done.error())).isEqualTo(JobState.SUCCEEDED);
      assertThat(done.resultModel()).isEqualTo("tiny-clip/ft-roles");
      assertThat(seen).as("followed from the database").contains(JobState.QUEUED, JobState.SUCCEEDED);

      // a cancel asked of the serving process ends a run the trainer is training
      String longId = RunManager.newId();
      serving.start(longId, spec(40, "ft-roles-cancelled"));
      CompletableFuture<Void> running = new CompletableFuture<>();
      CompletableFuture<StoredRun> ended = new CompletableFuture<>();
      trainer.poll();
      trainer.watch(longId, u -> {
        if (u instanceof RunManager.Update.Progress) {
          running.complete(null);
        }
        if (u instanceof RunManager.Update.Snapshot s && RunManager.isEnded(s.run().state())) {
          ended.complete(s.run());
        }
      });
      running.get(300, TimeUnit.SECONDS);
      assertThat(serving.cancel(longId).state()).as("asked, not yet seen by the trainer").isEqualTo(JobState.RUNNING);
      trainer.poll();
      assertThat(ended.get(120, TimeUnit.SECONDS).state()).isEqualTo(JobState.CANCELLED);

      // a queued run nobody took is cancelled at once by the serving process
      String queuedId = RunManager.newId();
      serving.start(queuedId, spec(1, "ft-roles-never"));
      assertThat(serving.cancel(queuedId).state()).isEqualTo(JobState.CANCELLED);
      trainer.poll();
      assertThat(runs.get(queuedId).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
    } finally {
      serving.close();
      trainer.close();
      secondTrainer.close();
    }
  }

  private static RunSpec spec(int epochs, String newVersion) {
    return new RunSpec("tiny-clip", "1", "patterns-roles", RunSpec.Method.GPR_FT, RunSpec.Trainable.PROJECTION, 0, epochs,
        8, 1e-3, 1, 1e-3, 9, 4, 0, RunSpec.CaptionSource.LABEL_TEMPLATES, 20, 0.27, 0, newVersion);
  }

  /** A manager as a process with {@code kagami.finetune.execute-runs} set to {@code trains} would have. */
  private RunManager manager(boolean trains) {
    KagamiConfig.FineTune ft = config.finetune();
    KagamiConfig.FineTune role = (KagamiConfig.FineTune) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {KagamiConfig.FineTune.class},
        (p, m, args) -> m.getName().equals("executeRuns") ? trains : m.invoke(ft, args));
    KagamiConfig c = (KagamiConfig) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {KagamiConfig.class},
        (p, m, args) -> m.getName().equals("finetune") ? role : m.invoke(config, args));
    return new RunManager(runs, datasets, models, evaluations, c, decoder, parallel, pools, trained);
  }
}
