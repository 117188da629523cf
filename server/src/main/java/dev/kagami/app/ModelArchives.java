package dev.kagami.app;

import dev.kagami.config.KagamiConfig;
import dev.kagami.dataset.ArchiveExtractor;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.error.KagamiException.BackendUnavailable;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.model.ModelId;
import dev.kagami.registry.ModelVersion;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Model versions as zip archives: export (the package's files under {@code <name>-<version>/}, an archive
 * another Kagami imports) and import of an uploaded archive (size-limited, unpacked with the dataset
 * uploads' checks against entries that lead out and zip bombs, then imported as a folder would be).
 */
@ApplicationScoped
public class ModelArchives {

  private final ModelService models;
  private final ModelRegistry registry;
  private final ArchiveExtractor extractor;
  private final long maxUploadBytes;
  private final Path uploads;
  /** Writes streamed uploads (gRPC UploadModel) off the transport's threads, one chunk at a time. */
  private final java.util.concurrent.ExecutorService io;

  public ModelArchives(ModelService models, ModelRegistry registry, KagamiConfig config,
      dev.kagami.concurrent.ThreadPools pools) {
    this.models = models;
    this.io = pools.bounded("model-upload", 2, 256);
    this.registry = registry;
    // a model package is a few large files that compress little
    this.maxUploadBytes = config.model().maxUploadBytes();
    this.extractor = new ArchiveExtractor(new ArchiveExtractor.Limits(1000, 4 * maxUploadBytes));
    this.uploads = config.dataset().uploads().resolve(".models");
  }

  /** Writes {@code id}'s package as a zip to {@code out}. */
  public void export(ModelId id, OutputStream out) {
    models.requireRegistered(id);
    Path dir = registry.packageFolder(id.name(), id.version());
    String prefix = id.name() + "-" + id.version() + "/";
    try (Stream<Path> walk = Files.walk(dir); ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Path f : walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
        zip.putNextEntry(new ZipEntry(prefix + dir.relativize(f).toString().replace('\\', '/')));
        Files.copy(f, zip);
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new BackendUnavailable("cannot export " + id + ": " + e.getMessage(), e);
    }
  }

  /** Imports an uploaded zip of one package (its files at the top, or in one folder). */
  public ModelVersion importArchive(Path upload, long size, String actor) {
    if (size > maxUploadBytes) {
      throw new InvalidInput("the upload has " + size + " bytes; at most " + maxUploadBytes + " are accepted");
    }
    Path dir;
    try (InputStream in = Files.newInputStream(upload)) {
      dir = extractor.extract(in, uploads, UUID.randomUUID().toString());
    } catch (IOException e) {
      throw new BackendUnavailable("cannot read the upload: " + e.getMessage(), e);
    }
    try {
      return models.importFrom(packageRoot(dir), actor);
    } finally {
      ArchiveExtractor.deleteQuietly(dir);
    }
  }

  /** Starts a streamed upload: a part file under the uploads folder, written chunk by chunk. */
  public Upload beginUpload() {
    return new Upload();
  }

  /**
   * One streamed upload. Chunks are written in order on this service's I/O threads; the upload is refused
   * with INVALID_ARGUMENT once it passes the size limit, and its part file is removed when it ends
   * (imported, refused, or abandoned by the caller).
   */
  public final class Upload {
    private final Path file;
    private OutputStream out;
    private long size;
    private CompletableFuture<?> last = CompletableFuture.completedFuture(null);

    private Upload() {
      try {
        Files.createDirectories(uploads);
        this.file = uploads.resolve(UUID.randomUUID() + ".zip.part");
        this.out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
      } catch (IOException e) {
        throw new BackendUnavailable("cannot store the upload: " + e.getMessage(), e);
      }
    }

    /** Appends {@code data} after the chunks before it. */
    public synchronized CompletableFuture<Void> append(byte[] data) {
      CompletableFuture<Void> f = last.thenRunAsync(() -> {
        if (size + data.length > maxUploadBytes) {
          throw new InvalidInput("the upload is over " + maxUploadBytes + " bytes (kagami.model.max-upload-bytes)");
        }
        try {
          out.write(data);
        } catch (IOException e) {
          throw new BackendUnavailable("cannot store the upload: " + e.getMessage(), e);
        }
        size += data.length;
      }, executor());
      last = f;
      return f;
    }

    /** Imports what was uploaded, once every chunk is written; the details of the registered version. */
    public synchronized CompletableFuture<ModelService.ModelDetails> finish(String actor) {
      CompletableFuture<ModelService.ModelDetails> f = last.thenApplyAsync(x -> {
        try {
          out.close();
          return models.get(importArchive(file, size, actor).id());
        } catch (IOException e) {
          throw new BackendUnavailable("cannot store the upload: " + e.getMessage(), e);
        } finally {
          delete();
        }
      }, executor());
      last = f;
      return f;
    }

    /** Drops the upload (the caller went away or a chunk failed). */
    public synchronized void abort() {
      last = last.handleAsync((x, e) -> {
        delete();
        return null;
      }, executor());
    }

    private void delete() {
      try {
        out.close();
      } catch (IOException e) {
        // removed below all the same
      }
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // a leftover part file in the uploads folder holds nothing registered
      }
    }

    private java.util.concurrent.Executor executor() {
      return task -> {
        try {
          io.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          throw new dev.kagami.error.KagamiException.Overloaded("too many model uploads at once; retry later");
        }
      };
    }
  }

  private static Path packageRoot(Path dir) {
    if (isPackage(dir)) {
      return dir;
    }
    try (Stream<Path> list = Files.list(dir)) {
      List<Path> children = list.toList();
      if (children.size() == 1 && Files.isDirectory(children.get(0)) && isPackage(children.get(0))) {
        return children.get(0);
      }
    } catch (IOException e) {
      throw new BackendUnavailable("cannot read the unpacked upload: " + e.getMessage(), e);
    }
    throw new InvalidInput("the archive holds no model package: expected kagami-model.json (Kagami layout) or "
        + "config.json with visual/ (OpenCLIP/Immich layout) at its top or in its one folder");
  }

  private static boolean isPackage(Path dir) {
    return Files.isRegularFile(dir.resolve("kagami-model.json")) || Files.isRegularFile(dir.resolve("config.json"));
  }
}
