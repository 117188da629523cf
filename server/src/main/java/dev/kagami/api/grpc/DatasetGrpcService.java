package dev.kagami.api.grpc;

import dev.kagami.api.v1.DatasetInfo;
import dev.kagami.api.v1.DatasetServiceGrpc;
import dev.kagami.api.v1.GetDatasetRequest;
import dev.kagami.api.v1.ImportDatasetProgress;
import dev.kagami.api.v1.ImportDatasetRequest;
import dev.kagami.api.v1.ListDatasetsRequest;
import dev.kagami.api.v1.ListDatasetsResponse;
import dev.kagami.api.v1.SkippedInput;
import dev.kagami.app.DatasetService;
import dev.kagami.app.ImportDatasetCommand;
import dev.kagami.app.JobService;
import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.Split;
import dev.kagami.job.Job;
import dev.kagami.job.JobState;
import dev.kagami.persistence.StoredDataset;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/** kagami.v1.DatasetService over {@link DatasetService}: imports run as durable jobs and stream their progress. */
@GrpcService
public class DatasetGrpcService implements DatasetServiceGrpc.AsyncService, io.grpc.BindableService {

  /** A request that does not decode answers INVALID_ARGUMENT ({@link RequestDecoding}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(DatasetServiceGrpc.bindService(this));
  }

  private final DatasetService datasets;
  private final JobService jobs;

  public DatasetGrpcService(DatasetService datasets, JobService jobs) {
    this.datasets = datasets;
    this.jobs = jobs;
  }

  @Override
  @Blocking // JDBC: the request is checked against the stored datasets before the job starts
  public void importDataset(ImportDatasetRequest req, StreamObserver<ImportDatasetProgress> out) {
    try {
      Job job = datasets.startImport(command(req));
      JobStreams.follow(jobs, job.id(), (ServerCallStreamObserver<ImportDatasetProgress>) out, j -> {
        ImportDatasetProgress.Builder b = ImportDatasetProgress.newBuilder().setJobId(j.id().value())
            .setStage(j.progress().stage()).setDone(j.progress().done()).setTotal(j.progress().total());
        if (j.state() == JobState.SUCCEEDED) {
          b.setStage("stored").setDataset(info(datasets.get(req.getName()), DatasetService.SKIPPED_SHOWN));
        }
        return b.build();
      }, true);
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }

  /** Proto's zero values mean "not given": the application layer fills in its defaults. */
  private static ImportDatasetCommand command(ImportDatasetRequest r) {
    boolean noFractions = r.getTrainFraction() == 0 && r.getValidationFraction() == 0 && r.getTestFraction() == 0;
    return new ImportDatasetCommand(r.getName(), source(r.getKind()), r.getPath(),
        r.getClassDepth() == 0 ? null : r.getClassDepth(), r.getLimit() == 0 ? null : r.getLimit(),
        r.getSeed() == 0 ? null : r.getSeed(), noFractions ? null : r.getTrainFraction(),
        noFractions ? null : r.getValidationFraction(), noFractions ? null : r.getTestFraction(), r.getClassDisjoint());
  }

  private static ImportDatasetCommand.Source source(dev.kagami.api.v1.DatasetSourceKind k) {
    return switch (k) {
      case FOLDER -> ImportDatasetCommand.Source.FOLDER;
      case MANIFEST -> ImportDatasetCommand.Source.MANIFEST;
      case FASHION_MNIST -> ImportDatasetCommand.Source.FASHION_MNIST;
      case OPENCLIPART -> ImportDatasetCommand.Source.OPENCLIPART;
      default -> null;
    };
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
      for (dev.kagami.persistence.DatasetRepository.Summary s : datasets.list()) {
        b.addDatasets(DatasetInfo.newBuilder().setId(s.id()).setName(s.name()).setSource(s.source())
            .setCreatedAt(s.createdAt().toString()).setImages(s.items()).setSkippedTotal(s.skipped()));
      }
      return b.build();
    });
  }

  @Override
  @Blocking // JDBC: runs on a worker thread, never on the event loop
  public void getDataset(GetDatasetRequest req, StreamObserver<DatasetInfo> out) {
    Replies.now(out, () -> info(datasets.get(req.getName()), req.getMaxSkipped() == 0 ? DatasetService.SKIPPED_SHOWN : req.getMaxSkipped()));
  }
}
