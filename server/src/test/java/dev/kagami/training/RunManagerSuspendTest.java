package dev.kagami.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.concurrent.Parallel;
import dev.kagami.concurrent.ThreadPools;
import dev.kagami.config.KagamiConfig;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.job.JobState;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.RunRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.persistence.StoredRun;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.testing.FineTuneProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A process that stops while a run trains (the shutdown of a pod, a trainer Job's SIGTERM) suspends it:
 * the run writes a checkpoint at the step it reached, between validations, and stays RUNNING in the
 * database; a queued run stays QUEUED. The next start resumes the first at that step and runs the second.
 */
@QuarkusTest
@TestProfile(FineTuneProfile.class)
class RunManagerSuspendTest {

  @Inject
  RunManager serving;
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
  void a_stopping_process_checkpoints_the_running_run_and_keeps_the_queued_one() throws Exception {
    StoredDataset d = PatternDatasets.save(datasets, "patterns-suspend", 21);
    // 4 steps per epoch, 3 epochs, a validation every 4 steps: a suspension at step 5 or 6 is between validations
    RunSpec first = new RunSpec("tiny-clip", "1", "patterns-suspend", RunSpec.Method.GPR_FT, RunSpec.Trainable.PROJECTION, 0, 3,
        8, 1e-3, 1, 1e-3, 5, 4, 0, RunSpec.CaptionSource.LABEL_TEMPLATES, 20, 0.27, 0, "ft-suspended");
    RunSpec second = new RunSpec("tiny-clip", "1", "patterns-suspend", RunSpec.Method.GPR_FT, RunSpec.Trainable.PROJECTION, 0, 1,
        8, 1e-3, 1, 1e-3, 6, 4, 0, RunSpec.CaptionSource.LABEL_TEMPLATES, 20, 0.27, 0, "ft-suspended-queued");

    // "this process": its own manager, stopped as a shutdown stops it
    RunManager stopping = new RunManager(runs, datasets, models, evaluations, config, decoder, parallel, pools, trained);
    String id = RunManager.newId();
    String queuedId = RunManager.newId();
    CompletableFuture<Integer> reached = new CompletableFuture<>();
    java.util.concurrent.CountDownLatch stopSeen = new java.util.concurrent.CountDownLatch(1);
    stopping.start(id, first);
    stopping.start(queuedId, second);
    stopping.watch(id, u -> {
      // watchers hear progress on the training thread: hold it after step 5 until the stop has begun
      if (u instanceof RunManager.Update.Progress p && p.stage().equals("image") && p.step().step() == 5) {
        reached.complete(5);
        try {
          stopSeen.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    int atStop = reached.get(300, TimeUnit.SECONDS);
    long t0 = System.nanoTime();
    Thread closer = new Thread(stopping::close, "test-shutdown");
    closer.start();
    while (!stopping.suspending()) {
      Thread.onSpinWait();
    }
    stopSeen.countDown();
    closer.join(60_000);
    assertThat(closer.isAlive()).isFalse();
    System.out.printf("suspended in %d ms, after step %d%n", (System.nanoTime() - t0) / 1_000_000, atStop);

    StoredRun suspended = runs.get(id).orElseThrow();
    assertThat(suspended.state()).isEqualTo(JobState.RUNNING);
    assertThat(suspended.stage()).isEqualTo("image");
    int checkpointStep = dev.kagami.finetune.Checkpoint.read(FineTuneProfile.RUNS.resolve(id).resolve("image/checkpoint"))
        .orElseThrow().step();
    assertThat(checkpointStep).as("checkpoint at the step reached, not at the last validation (4)").isEqualTo(atStop);
    assertThat(runs.get(queuedId).orElseThrow().state()).isEqualTo(JobState.QUEUED);

    // "the next process": resumes both
    List<Integer> steps = new CopyOnWriteArrayList<>();
    CompletableFuture<StoredRun> end = new CompletableFuture<>();
    serving.onStart(null);
    serving.watch(id, u -> {
      if (u instanceof RunManager.Update.Progress p && p.stage().equals("image")) {
        steps.add(p.step().step());
      }
      if (u instanceof RunManager.Update.Snapshot s && RunManager.isEnded(s.run().state())) {
        end.complete(s.run());
      }
    });
    StoredRun done = end.get(300, TimeUnit.SECONDS);
    assertThat(done.state()).as(String.valueOf(done.error())).isEqualTo(JobState.SUCCEEDED);
    assertThat(steps).isNotEmpty().allMatch(s -> s > checkpointStep);
    StoredRun queued = awaitEnd(queuedId);
    assertThat(queued.state()).as(String.valueOf(queued.error())).isEqualTo(JobState.SUCCEEDED);
  }

  private StoredRun awaitEnd(String id) throws Exception {
    CompletableFuture<StoredRun> end = new CompletableFuture<>();
    serving.watch(id, u -> {
      if (u instanceof RunManager.Update.Snapshot s && RunManager.isEnded(s.run().state())) {
        end.complete(s.run());
      }
    });
    return end.get(300, TimeUnit.SECONDS);
  }
}
