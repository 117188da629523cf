package dev.kagami.training;

import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.persistence.StoredDataset;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What must hold before a fine-tuning run is recorded (so a run that cannot work is refused at once, with
 * a clear message, instead of failing later in the queue): the base package exists and has TorchScript
 * towers, LAST_BLOCKS fits the image tower, the new version is free, DATASET captions exist.
 */
final class RunPreconditions {

  private final Path repository;

  RunPreconditions(Path repository) {
    this.repository = repository;
  }

  /** Checks {@code spec} on dataset {@code d}; returns the base package. */
  ModelPackage check(RunSpec spec, StoredDataset d) {
    ModelPackage base = basePackage(spec);
    checkBlocks(spec, base);
    if (Files.exists(repository.resolve(spec.baseName()).resolve(spec.newVersion()))) {
      throw new FailedPrecondition("model " + spec.baseName() + "/" + spec.newVersion() + " exists already; choose another new_version");
    }
    if (spec.method().usesCaptions() && spec.captions() == RunSpec.CaptionSource.DATASET
        && d.dataset().items().stream().allMatch(it -> it.captions().isEmpty())) {
      throw new InvalidInput("dataset " + spec.dataset() + " has no captions; use LABEL_TEMPLATES or MINED captions");
    }
    return base;
  }

  /** LAST_BLOCKS asks for no more blocks than the image tower has (read from its ONNX parameter names). */
  static void checkBlocks(RunSpec spec, ModelPackage base) {
    if (spec.trainable() != RunSpec.Trainable.LAST_BLOCKS) {
      return;
    }
    int blocks;
    try {
      blocks = dev.kagami.finetune.TrainableTower.blockCount(dev.kagami.finetune.OnnxInitializers.names(base.visualOnnx()));
    } catch (java.io.IOException e) {
      throw new dev.kagami.error.KagamiException.InvalidModelPackage("cannot read the image tower of " + spec.baseModel()
          + ": " + e.getMessage(), e);
    }
    if (blocks > 0 && spec.lastBlocks() > blocks) {
      throw new InvalidInput("last_blocks is " + spec.lastBlocks() + ", but the image tower of " + spec.baseModel()
          + " has " + blocks + " transformer blocks");
    }
  }

  ModelPackage basePackage(RunSpec spec) {
    Path dir = repository.resolve(spec.baseName()).resolve(spec.baseVersion());
    if (!Files.isRegularFile(dir.resolve("kagami-model.json"))) {
      throw new NotFound("no model package " + spec.baseModel() + " in the repository");
    }
    ModelPackage base = new ModelPackageReader().read(dir.toAbsolutePath());
    if (base.visualTorchScript().isEmpty() || base.textualTorchScript().isEmpty()) {
      throw new InvalidInput("model " + spec.baseModel() + " has no TorchScript towers (visual.pt, textual.pt) to fine-tune");
    }
    return base;
  }
}
