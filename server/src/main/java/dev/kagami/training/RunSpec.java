package dev.kagami.training;

import dev.kagami.error.KagamiException.InvalidInput;

/**
 * What a fine-tuning run does, with every default filled in (the form it is stored in).
 *
 * @param baseName base model package name
 * @param baseVersion base model package version
 * @param dataset the imported dataset (its train split trains, validation selects the checkpoint, test reports)
 * @param method GPR-FT, 2SFT, MCIP or MCIP + Re-A
 * @param trainable which parameters train, in each trained tower
 * @param lastBlocks with {@link Trainable#LAST_BLOCKS}: how many of the last transformer blocks
 * @param epochs passes of the image stage
 * @param batchSize images per step
 * @param learningRate the image stage's peak learning rate
 * @param realignEpochs passes of the re-alignment stage (2SFT, MCIP + Re-A)
 * @param realignLearningRate the re-alignment stage's peak learning rate
 * @param seed data order, augmentation and caption draws
 * @param validateEvery steps between validations; 0 for once per epoch
 * @param patience validations without improvement before the stage stops early; 0 never stops early
 * @param captions MCIP's (and Re-A's) captions
 * @param minedTopK mined captions per image
 * @param minedThreshold cosine a mined caption must exceed
 * @param maxTrainImages at most this many training images, taken evenly over classes; 0 for all
 * @param newVersion the tuned package's version
 * @param proxyLearningRate the image stage's class proxies' peak learning rate (absolute; the authors' code:
 *     1e-4 beside a backbone at 1e-6)
 * @param realignTrainable which parameters of the text tower re-alignment trains
 * @param realignLastBlocks with {@link Trainable#LAST_BLOCKS} for re-alignment: how many of the last text blocks
 * @param realignWarmupSteps re-alignment's linear warm-up
 * @param realignTrainEmbeddings whether re-alignment also trains the token and positional embeddings (with
 *     {@link Trainable#ALL}; frozen otherwise)
 */
public record RunSpec(String baseName, String baseVersion, String dataset, Method method, Trainable trainable,
    int lastBlocks, int epochs, int batchSize, double learningRate, int realignEpochs, double realignLearningRate,
    long seed, int validateEvery, int patience, CaptionSource captions, int minedTopK, double minedThreshold,
    int maxTrainImages, String newVersion, double proxyLearningRate, Trainable realignTrainable, int realignLastBlocks,
    int realignWarmupSteps, boolean realignTrainEmbeddings) {

  public enum Method {
    /** Image tower with ArcMargin only: the reference that breaks text alignment. */
    GPR_FT,
    /** GPR-FT, then re-alignment of the text tower. */
    TWO_SFT,
    /** Image tower with 0.75 ArcMargin + 0.25 Multi-Caption ArcMargin against frozen caption embeddings. */
    MCIP,
    /** MCIP, then re-alignment of the text tower. */
    MCIP_REA;

    public boolean realigns() {
      return this == TWO_SFT || this == MCIP_REA;
    }

    public boolean usesCaptions() {
      return this == MCIP || this == MCIP_REA;
    }
  }

  public enum Trainable { PROJECTION, LAST_BLOCKS, ALL }

  public enum CaptionSource {
    /** The captions imported with the dataset. */
    DATASET,
    /** Class-label prompt templates. */
    LABEL_TEMPLATES,
    /** Each image's top-k captions of the dataset's caption corpus by the base model's similarity, above a threshold. */
    MINED
  }

  /**
   * A spec without the per-stage settings, as runs were stored before they existed (and as tests write them):
   * the proxies at 100x the image stage's rate, re-alignment training what the image stage trains, no warm-up.
   */
  public RunSpec(String baseName, String baseVersion, String dataset, Method method, Trainable trainable, int lastBlocks,
      int epochs, int batchSize, double learningRate, int realignEpochs, double realignLearningRate, long seed,
      int validateEvery, int patience, CaptionSource captions, int minedTopK, double minedThreshold, int maxTrainImages,
      String newVersion) {
    this(baseName, baseVersion, dataset, method, trainable, lastBlocks, epochs, batchSize, learningRate, realignEpochs,
        realignLearningRate, seed, validateEvery, patience, captions, minedTopK, minedThreshold, maxTrainImages, newVersion, 0,
        null, 0, 0, false);
  }

  public RunSpec {
    // a run stored before the per-stage settings existed reads them as 0 / null: it keeps what it did then
    if (proxyLearningRate == 0) {
      proxyLearningRate = 100 * learningRate;
    }
    if (realignTrainable == null) {
      realignTrainable = trainable;
    }
    if (realignLastBlocks == 0) {
      realignLastBlocks = lastBlocks;
    }
    require(baseName != null && !baseName.isBlank(), "base model name is required");
    require(baseVersion != null && !baseVersion.isBlank(), "base model version is required");
    require(dataset != null && !dataset.isBlank(), "dataset is required");
    require(method != null && trainable != null && captions != null, "method, trainable and captions are required");
    require(trainable != Trainable.LAST_BLOCKS || lastBlocks >= 1, "last_blocks must be >= 1 with LAST_BLOCKS, is " + lastBlocks);
    require(epochs >= 1 && epochs <= 1000, "epochs must be 1..1000, is " + epochs);
    require(batchSize >= 2 && batchSize <= 4096, "batch size must be 2..4096, is " + batchSize);
    require(learningRate > 0 && learningRate < 1, "learning rate must be in (0, 1), is " + learningRate);
    require(!method.realigns() || (realignEpochs >= 1 && realignEpochs <= 1000), "realign epochs must be 1..1000, is " + realignEpochs);
    require(!method.realigns() || (realignLearningRate > 0 && realignLearningRate < 1),
        "realign learning rate must be in (0, 1), is " + realignLearningRate);
    require(validateEvery >= 0 && patience >= 0 && maxTrainImages >= 0, "validate_every, patience and max_train_images must be >= 0");
    require(minedTopK >= 1 && minedThreshold > -1 && minedThreshold < 1, "mined top-k must be >= 1 and the threshold in (-1, 1)");
    require(proxyLearningRate > 0 && proxyLearningRate < 1, "proxy learning rate must be in (0, 1), is " + proxyLearningRate);
    require(realignTrainable != Trainable.LAST_BLOCKS || realignLastBlocks >= 1,
        "realign last_blocks must be >= 1 with LAST_BLOCKS, is " + realignLastBlocks);
    require(realignWarmupSteps >= 0, "realign warm-up steps must be >= 0, is " + realignWarmupSteps);
    require(newVersion != null && newVersion.matches("[A-Za-z0-9._-]{1,64}") && !newVersion.startsWith("."),
        "new version must be 1-64 letters, digits, '.', '_' or '-': '" + newVersion + "'");
    require(!newVersion.equals(baseVersion), "new version must differ from the base's");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new InvalidInput(message);
    }
  }

  /** This spec with {@code c} as its captions. */
  public RunSpec withCaptions(CaptionSource c) {
    return new RunSpec(baseName, baseVersion, dataset, method, trainable, lastBlocks, epochs, batchSize, learningRate,
        realignEpochs, realignLearningRate, seed, validateEvery, patience, c, minedTopK, minedThreshold, maxTrainImages,
        newVersion, proxyLearningRate, realignTrainable, realignLastBlocks, realignWarmupSteps, realignTrainEmbeddings);
  }

  public String baseModel() {
    return baseName + "/" + baseVersion;
  }
}
