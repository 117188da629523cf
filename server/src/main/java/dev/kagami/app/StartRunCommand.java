package dev.kagami.app;

import dev.kagami.model.ModelId;
import dev.kagami.training.RunSpec;

/**
 * Start a fine-tuning run. Null fields take the defaults of {@link FineTuneService} (declared there);
 * {@code patience}: null = the default, -1 = never stop early, positive = validations without improvement.
 */
public record StartRunCommand(ModelId baseModel, String dataset, RunSpec.Method method, RunSpec.Trainable trainable,
    Integer lastBlocks, Integer epochs, Integer batchSize, Double learningRate, Integer realignEpochs,
    Double realignLearningRate, Long seed, Integer validateEvery, Integer patience, RunSpec.CaptionSource captions,
    Integer minedTopK, Double minedThreshold, Integer maxTrainImages, String newVersion, Double proxyLearningRate,
    RunSpec.Trainable realignTrainable, Integer realignLastBlocks, Integer realignWarmupSteps, Boolean realignTrainEmbeddings) {

  /** A command without the per-stage settings (their defaults apply). */
  public StartRunCommand(ModelId baseModel, String dataset, RunSpec.Method method, RunSpec.Trainable trainable,
      Integer lastBlocks, Integer epochs, Integer batchSize, Double learningRate, Integer realignEpochs,
      Double realignLearningRate, Long seed, Integer validateEvery, Integer patience, RunSpec.CaptionSource captions,
      Integer minedTopK, Double minedThreshold, Integer maxTrainImages, String newVersion) {
    this(baseModel, dataset, method, trainable, lastBlocks, epochs, batchSize, learningRate, realignEpochs, realignLearningRate,
        seed, validateEvery, patience, captions, minedTopK, minedThreshold, maxTrainImages, newVersion, null, null, null, null,
        null);
  }
}
