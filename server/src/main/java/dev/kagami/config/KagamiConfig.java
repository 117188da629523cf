package dev.kagami.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** All of Kagami's own configuration, under the prefix {@code kagami}. Defaults live here. */
@ConfigMapping(prefix = "kagami")
public interface KagamiConfig {

  /**
   * The one data folder: the H2 database, the index and kept images, uploads, fine-tuning runs and the
   * caches live under it unless each is set on its own (the defaults below are relative to it).
   */
  @WithDefault("data")
  Path dataDir();

  Model model();

  Auth auth();

  Serving serving();

  Limits limits();

  Persistence persistence();

  Evaluation evaluation();

  IndexConfig index();

  Datasets dataset();

  /** Dataset imports through the API. */
  interface Datasets {
    /**
     * The only folders ImportDataset may read from (paths and manifests under them; {@code ..} and symbolic
     * links cannot lead out). The command-line tools are not limited.
     */
    @WithDefault("${kagami.data-dir}/imports,/usr/share/datasets,/usr/share/openclipart")
    java.util.List<Path> importRoots();

    /** Folder that uploaded archives are unpacked into, one sub-folder per dataset; their images stay there. */
    @WithDefault("${kagami.data-dir}/uploads")
    Path uploads();

    /** Largest upload accepted (bytes of the zip); a larger one is refused with INVALID_ARGUMENT / 400. */
    @WithDefault("1073741824")
    long maxUploadBytes();

    /** Most bytes an upload may unpack to (a zip bomb is refused before it fills the disk). */
    @WithDefault("4294967296")
    long maxUploadExpandedBytes();

    /** Most entries (files and folders) an upload may hold. */
    @WithDefault("200000")
    int maxUploadEntries();

    /** Folder of the thumbnails shown when browsing datasets (written once per image and size). */
    @WithDefault("${kagami.data-dir}/cache/thumbnails")
    Path thumbnails();
  }

  FineTune finetune();

  /** Fine-tuning runs. */
  interface FineTune {
    /** Folder of the runs' working state (checkpoints, best weights), one sub-folder per run. */
    @WithDefault("${kagami.data-dir}/runs")
    Path runs();

    /** Runs that may wait for the one training thread; beyond this, RESOURCE_EXHAUSTED. */
    @WithDefault("4")
    int queuedRuns();

    /** Resume the runs that were queued or running when the server stopped. */
    @WithDefault("true")
    boolean resumeOnStart();

    /**
     * At shutdown, how long the running run may take to reach its next step and write its checkpoint
     * (it then stays RUNNING and resumes there at the next start); keep it within the grace period.
     */
    @WithDefault("20s")
    java.time.Duration suspendTimeout();

    /**
     * Whether this process trains. True for a single server and for the trainer; false for serving replicas
     * that share their database with a trainer: they record runs as QUEUED, the trainer claims them.
     */
    @WithDefault("true")
    boolean executeRuns();

    /**
     * How often a training process looks for runs queued by other processes and for cancellations asked of
     * them, and a serving-only process re-reads a run it is asked to watch; 0 turns the trainer's polling off.
     */
    @WithDefault("5s")
    java.time.Duration pollInterval();

    /**
     * A training process that exits (status 0) once it has had no queued or running run for this long: the
     * worker of a Kubernetes Job (k8s/overlays/scale/trainer-cronjob.yaml). Unset: it never exits by itself.
     */
    java.util.Optional<java.time.Duration> exitWhenIdle();
  }


  enum StoreKind {
    LUCENE,
    SOLR
  }

  /** Where datasets, reports (and later runs and the model registry) are kept. */
  interface Persistence {
    /**
     * Which configured datasource holds Kagami's tables: {@code h2} (the default datasource, an embedded
     * H2 file database) or {@code postgresql} (the datasource named "postgresql"; activated by the
     * {@code postgresql} profile, see application.properties).
     */
    @WithDefault("h2")
    Database database();
  }

  /** The database that holds Kagami's tables. */
  enum Database {
    H2,
    POSTGRESQL
  }

  Jobs jobs();

  /**
   * Long jobs (dataset imports, evaluations, re-indexing): each kind has its own workers and a bounded
   * queue; a job beyond the queue is refused with RESOURCE_EXHAUSTED. Fine-tuning runs have their own
   * thread ({@code kagami.finetune}).
   */
  interface Jobs {
    /** Dataset imports that run at once. */
    @WithDefault("1")
    int importWorkers();

    /**
     * Evaluations that run at once (one by default: an evaluation uses every core, and one model's
     * embedding cache has one writer).
     */
    @WithDefault("1")
    int evaluationWorkers();

    /** Re-index jobs that run at once. */
    @WithDefault("1")
    int reindexWorkers();

    /** Jobs of one kind that may wait for a worker; beyond this, RESOURCE_EXHAUSTED. */
    @WithDefault("16")
    int queueCapacity();

    /** How often a running job's progress is written to the database (watchers get every update). */
    @WithDefault("1s")
    Duration progressInterval();
  }

  Registry registry();

  /** The model registry shared by the replicas of one database. */
  interface Registry {
    /**
     * How often this server reads the aliases from the database and moves to a version another replica
     * promoted, and tells the others which generation it serves (its heartbeat).
     */
    @WithDefault("2s")
    Duration pollInterval();

    /** How long a Promote or Rollback waits for every live replica to serve the new generation. */
    @WithDefault("30s")
    Duration replicaTimeout();
  }

  /** API keys (see AuthService). */
  interface Auth {
    /**
     * AUTO: keys are required once any exists; with none, a server bound to loopback only runs without auth
     * (and says so), and one bound to another address generates an admin key and prints it once.
     * REQUIRED: keys are always required (an admin key is generated and printed when none exists).
     */
    @WithDefault("auto")
    Mode mode();

    /** How long a looked-up key is trusted before the database is asked again (a revoke elsewhere takes this long). */
    @WithDefault("10s")
    java.time.Duration cacheTtl();

    enum Mode { AUTO, REQUIRED }
  }

  /** Evaluation runs. */
  interface Evaluation {
    /** Folder of the embedding caches, one file per model version. */
    @WithDefault("${kagami.data-dir}/cache/embeddings")
    Path embeddingCache();

    /**
     * Font files (TrueType, .ttf) for PoC report PDFs, tried in order; the first that exists is embedded, so
     * Japanese text renders. Debian's fonts-ipafont-gothic provides the default.
     */
    @WithDefault("/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf,/usr/share/fonts/truetype/fonts-japanese-gothic.ttf")
    java.util.List<Path> reportFonts();
  }

  /** Which model package to serve and how. */
  interface Model {
    /** The model repository: {@code <repository>/<name>/<version>/} holds one package. */
    @WithDefault("models")
    Path repository();

    /** Name of the model to load at start-up: Kagami's own CLIP (models/kagami-clip/MODEL_CARD.md). */
    @WithDefault("kagami-clip")
    String name();

    /**
     * Version of the model production serves at the first start (later, production is what the registry's
     * alias says: a newer default only serves once promoted).
     */
    @WithDefault("2")
    String version();

    /** Engine that runs the encoders: onnxruntime (default, CPU), pytorch (TorchScript) or tensorrt (GPU). */
    @WithDefault("onnxruntime")
    String engine();

    /** Threads each engine session may use for one batch (0 = the engine's default). */
    @WithDefault("0")
    int engineThreads();

    /**
     * Whether the text tower runs on only as many positions as a batch needs (its longest text), where a
     * check at load shows that gives the same embeddings as the full context (a causal tower exported with
     * a dynamic sequence axis); off: always the full context.
     */
    @WithDefault("true")
    boolean shortTextSequences();

    /**
     * Whether loading a package also runs it through a second engine (ONNX Runtime vs PyTorch) on the
     * package's probe inputs and refuses it when they disagree.
     */
    @WithDefault("false")
    boolean parityCheck();

    /** Minimum cosine between the two engines' embeddings for the parity check to pass. */
    @WithDefault("0.9999")
    double parityMinCosine();

    /**
     * Most model versions loaded at once; loading one more unloads the least recently used version that no
     * alias serves and no call uses (versions an alias serves are never unloaded for room).
     */
    @WithDefault("4")
    int maxLoaded();

    /**
     * Largest model archive an upload may be (the HTTP body limit, quarkus.http.limits.max-body-size, is
     * 2 GiB); it may unpack to at most four times this.
     */
    @WithDefault("2000000000")
    long maxUploadBytes();
  }

  /** Dynamic batching and admission control. */
  interface Serving {
    /** Largest batch handed to the engine. */
    @WithDefault("32")
    int maxBatchSize();

    /** How long the batcher waits for more items once it holds one. */
    @WithDefault("2ms")
    Duration maxBatchWait();

    /** Items (images or texts) that may wait for the engine; beyond this, RESOURCE_EXHAUSTED. */
    @WithDefault("1024")
    int queueCapacity();

    /** Engine workers per modality (each holds one predictor). */
    @WithDefault("1")
    int workers();

    /**
     * Threads that decode and preprocess images (requests with at least one image). Default: one per core
     * but one, at least one, so that the transport threads (which read requests and send refusals) keep a
     * core under overload (on 2 cores, one decoding thread gave both more capacity and more goodput under
     * overload than two, measured with bin/kagami-reliability).
     */
    java.util.OptionalInt preprocessThreads();

    /** Requests waiting for preprocessing; beyond this, RESOURCE_EXHAUSTED. */
    @WithDefault("256")
    int preprocessQueueCapacity();

    /** Most inputs in one Embed request. */
    @WithDefault("256")
    int maxInputsPerRequest();

    /**
     * Longest expected wait an image call is admitted with (decoding queue plus encoder queue, at their
     * recent speeds); a call that would wait longer, or past its deadline, is refused at once with
     * RESOURCE_EXHAUSTED. Texts have their own queue and budget, so they never wait behind images.
     */
    @WithDefault("250ms")
    Duration imageQueueBudget();

    /** Longest expected wait a text call is admitted with (see {@link #imageQueueBudget()}). */
    @WithDefault("250ms")
    Duration textQueueBudget();

    /** At shutdown, how long admitted calls may take to leave the preprocessing lanes before the rest are refused. */
    @WithDefault("20s")
    Duration drainTimeout();

    /** Threads that tokenize texts (image calls have their own pool, {@link #preprocessThreads()}). */
    @WithDefault("1")
    int textThreads();

    /** Requests in flight on one EmbedStream before the server stops reading from it. */
    @WithDefault("4")
    int streamWindow();
  }

  /** Input limits; over-limit input is refused with INVALID_ARGUMENT before any expensive work. */
  interface Limits {
    /** Largest encoded image, in bytes. */
    @WithDefault("16000000")
    int maxImageBytes();

    /** Largest decoded image, in pixels (width x height), read from the header before decoding. */
    @WithDefault("40000000")
    long maxImagePixels();

    /** Largest text, in characters (Unicode code points), before tokenization. */
    @WithDefault("4096")
    int maxTextChars();
  }
}
