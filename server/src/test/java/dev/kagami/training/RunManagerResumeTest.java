package dev.kagami.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.RunRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.persistence.StoredRun;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.testing.FineTuneProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A server that stopped during a run (the run is RUNNING in the database, its folder holds a checkpoint)
 * resumes it at start-up from that checkpoint and finishes it.
 */
@QuarkusTest
@TestProfile(FineTuneProfile.class)
class RunManagerResumeTest {

  @Inject
  RunManager manager;
  @Inject
  RunRepository runs;
  @Inject
  DatasetRepository datasets;

  @Test
  void an_interrupted_run_resumes_from_its_checkpoint_at_start_up() throws Exception {
    StoredDataset d = PatternDatasets.save(datasets, "patterns-resume", 12);
    RunSpec spec = new RunSpec("tiny-clip", "1", "patterns-resume", RunSpec.Method.GPR_FT, RunSpec.Trainable.PROJECTION, 0, 2,
        8, 1e-3, 1, 1e-3, 7, 2, 0, RunSpec.CaptionSource.LABEL_TEMPLATES, 20, 0.27, 0, "ft-resumed");
    String id = RunManager.newId();
    Path runDir = FineTuneProfile.RUNS.resolve(id);

    // the "previous process": trains until it dies at step 5, after the checkpoint of step 4
    FineTuneRunner runner = new FineTuneRunner(new ImageDecoder(new ImageLimits(1_000_000, 10_000_000)),
        FineTuneProfile.REPOSITORY);
    FineTuneRunner.Listener dying = new FineTuneRunner.Listener() {
      @Override
      public void stage(String stage, int totalSteps) {}

      @Override
      public void step(String stage, dev.kagami.finetune.ImageTuner.StepLog s) {
        if (s.step() == 5) {
          throw new IllegalStateException("process killed");
        }
      }

      @Override
      public void validation(String stage, int step, Double loss, Map<String, Double> kpis, boolean best) {}
    };
    assertThatThrownBy(() -> runner.run(spec, new ModelPackageReader().read(FineTuneProfile.REPOSITORY.resolve("tiny-clip/1")),
        d.dataset(), d.splits(), runDir, dying, () -> false, Optional.empty())).hasMessageContaining("process killed");
    Instant now = Instant.now();
    runs.create(new StoredRun(id, now, now, dev.kagami.job.JobState.RUNNING, new ObjectMapper().writeValueAsString(spec), 7, "patterns-resume",
        "tiny-clip/1", "image", 5, 8, null, null, null, null, Map.of(), List.of()));

    // start-up of the "next process"
    manager.onStart(null);
    List<RunManager.Update> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<StoredRun> end = new CompletableFuture<>();
    manager.watch(id, u -> {
      seen.add(u);
      if (u instanceof RunManager.Update.Snapshot s && RunManager.isEnded(s.run().state())) {
        end.complete(s.run());
      }
    });
    StoredRun done = end.get(300, TimeUnit.SECONDS);
    assertThat(done.state()).as(String.valueOf(done.error())).isEqualTo(dev.kagami.job.JobState.SUCCEEDED);
    assertThat(done.resultModel()).isEqualTo("tiny-clip/ft-resumed");
    assertThat(done.tunedReportId()).isNotNull();
    List<Integer> steps = seen.stream().filter(u -> u instanceof RunManager.Update.Progress)
        .map(u -> ((RunManager.Update.Progress) u).step().step()).toList();
    assertThat(steps).doesNotContain(1, 2, 3, 4); // resumed after the checkpoint at step 4
    assertThat(FineTuneProfile.REPOSITORY.resolve("tiny-clip/ft-resumed/kagami-model.json")).exists();
    // validations of the resumed process only: after steps 6 and 8 (0, 2 and 4 were the previous process's)
    assertThat(runs.get(id).orElseThrow().history().stream().map(StoredRun.Point::step)).containsExactly(6, 8);
  }
}
