package dev.kagami.api.grpc;

import dev.kagami.api.v1.DatasetInfo;
import dev.kagami.api.v1.DatasetServiceGrpc;
import dev.kagami.api.v1.GetDatasetRequest;
import dev.kagami.api.v1.ImportDatasetProgress;
import dev.kagami.api.v1.ImportDatasetRequest;
import dev.kagami.api.v1.ListDatasetsRequest;
import dev.kagami.api.v1.ListDatasetsResponse;
import dev.kagami.api.v1.SkippedInput;
import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.dataset.Subsample;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.preprocess.ImageDecoder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;

/** kagami.v1.DatasetService: imports run as jobs and stream their progress. */
@GrpcService
public class DatasetGrpcService implements DatasetServiceGrpc.AsyncService, io.grpc.BindableService {

  /** A request that does not decode answers INVALID_ARGUMENT ({@link RequestDecoding}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(DatasetServiceGrpc.bindService(this));
  }

  private final DatasetRepository datasets;
  private final JobExecutor jobs;
  private final DatasetImporter importer;

  public DatasetGrpcService(DatasetRepository datasets, JobExecutor jobs, ImageDecoder decoder,
      dev.kagami.config.KagamiConfig config) {
    this.datasets = datasets;
    this.jobs = jobs;
    this.importer = new DatasetImporter(decoder,
        dev.kagami.dataset.ImportRoots.of(config.dataset().importRoots()));
  }

  @Override
  public void importDataset(ImportDatasetRequest req, StreamObserver<ImportDatasetProgress> out) {
    ServerCallStreamObserver<ImportDatasetProgress> call = (ServerCallStreamObserver<ImportDatasetProgress>) out;
    try {
      if (!req.getName().matches("[A-Za-z0-9._-]{1,200}")) {
        throw new InvalidInput("dataset name must be 1-200 letters, digits, '.', '_' or '-': '" + req.getName() + "'");
      }
      if (req.getPath().isBlank()) {
        throw new InvalidInput("path is required");
      }
      boolean defaults = req.getTrainFraction() == 0 && req.getValidationFraction() == 0 && req.getTestFraction() == 0;
      Splits.Spec spec = new Splits.Spec(req.getClassDisjoint() ? "class-disjoint" : "stratified",
          req.getSeed() == 0 ? 42 : req.getSeed(), defaults ? new Splits.Fractions(0.8, 0.1, 0.1)
              : new Splits.Fractions(req.getTrainFraction(), req.getValidationFraction(), req.getTestFraction()));
      jobs.submit(() -> runImport(req, spec, call));
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }

  private void runImport(ImportDatasetRequest req, Splits.Spec spec, ServerCallStreamObserver<ImportDatasetProgress> call) {
    try {
      ImportProgress progress = (stage, done, total) -> {
        if (call.isCancelled()) {
          throw new CancellationException("import cancelled by the caller");
        }
        synchronized (call) {
          call.onNext(ImportDatasetProgress.newBuilder().setStage(stage).setDone(done).setTotal(total).build());
        }
      };
      Path path = Path.of(req.getPath());
      Dataset d = switch (req.getKind()) {
        case FOLDER -> importer.folder(path, req.getName(), progress);
        case MANIFEST -> importer.manifest(path, req.getName(), progress);
        case FASHION_MNIST -> importer.fashionMnist(path, req.getName(), req.getLimit(), progress);
        case OPENCLIPART -> importer.openClipart(path, req.getClassDepth() == 0 ? 1 : req.getClassDepth(), req.getName(), progress);
        default -> throw new InvalidInput("kind is required: FOLDER, MANIFEST, FASHION_MNIST or OPENCLIPART");
      };
      if (req.getLimit() > 0 && req.getKind() != dev.kagami.api.v1.DatasetSourceKind.FASHION_MNIST
          && d.items().size() > req.getLimit()) {
        d = Subsample.evenly(d, req.getLimit(), spec.seed());
      }
      if (d.items().isEmpty()) {
        throw new InvalidInput("no usable images in " + req.getPath() + " (" + d.skipped().size() + " inputs skipped)");
      }
      StoredDataset stored = datasets.save(d, spec);
      synchronized (call) {
        call.onNext(ImportDatasetProgress.newBuilder().setStage("stored").setDone(d.items().size()).setTotal(d.items().size())
            .setDataset(info(stored, 100)).build());
        call.onCompleted();
      }
    } catch (IOException e) {
      fail(call, new InvalidInput("cannot read " + req.getPath() + ": " + e.getMessage(), e));
    } catch (RuntimeException e) {
      fail(call, e);
    }
  }

  private static void fail(ServerCallStreamObserver<ImportDatasetProgress> call, Throwable e) {
    if (!call.isCancelled()) {
      synchronized (call) {
        call.onError(GrpcErrors.toStatus(e));
      }
    }
  }

  static DatasetInfo info(StoredDataset s, int maxSkipped) {
    Dataset d = s.dataset();
    DatasetInfo.Builder b = DatasetInfo.newBuilder().setId(s.id()).setName(d.name()).setSource(d.source())
        .setCreatedAt(s.createdAt().toString()).setImages(d.items().size()).addAllClasses(d.classes())
        .setTrainImages((int) s.count(Split.TRAIN)).setValidationImages((int) s.count(Split.VALIDATION))
        .setTestImages((int) s.count(Split.TEST)).setSkippedTotal(d.skipped().size());
    d.skipped().stream().limit(maxSkipped)
        .forEach(k -> b.addSkipped(SkippedInput.newBuilder().setRef(k.ref()).setReason(k.reason())));
    return b.build();
  }

  @Override
  @Blocking // JDBC: runs on a worker thread, never on the event loop
  public void listDatasets(ListDatasetsRequest req, StreamObserver<ListDatasetsResponse> out) {
    Replies.now(out, () -> {
      ListDatasetsResponse.Builder b = ListDatasetsResponse.newBuilder();
      for (DatasetRepository.Summary s : datasets.list()) {
        b.addDatasets(DatasetInfo.newBuilder().setId(s.id()).setName(s.name()).setSource(s.source())
            .setCreatedAt(s.createdAt().toString()).setImages(s.items()).setSkippedTotal(s.skipped()));
      }
      return b.build();
    });
  }

  @Override
  @Blocking // JDBC: runs on a worker thread, never on the event loop
  public void getDataset(GetDatasetRequest req, StreamObserver<DatasetInfo> out) {
    Replies.now(out, () -> info(datasets.find(req.getName())
        .orElseThrow(() -> new NotFound("no dataset named '" + req.getName() + "'")),
        req.getMaxSkipped() == 0 ? 100 : req.getMaxSkipped()));
  }
}
