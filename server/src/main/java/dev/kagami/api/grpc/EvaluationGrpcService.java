package dev.kagami.api.grpc;

import dev.kagami.api.v1.CompareReportsRequest;
import dev.kagami.api.v1.EvaluateProgress;
import dev.kagami.api.v1.EvaluateRequest;
import dev.kagami.api.v1.EvaluationServiceGrpc;
import dev.kagami.api.v1.GetReportRequest;
import dev.kagami.api.v1.Kpi;
import dev.kagami.api.v1.ListReportsRequest;
import dev.kagami.api.v1.ListReportsResponse;
import dev.kagami.api.v1.Report;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.evaluation.PromptTemplates;
import dev.kagami.evaluation.ReportComparison;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.ReportRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.training.Evaluations;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.util.EnumSet;
import java.util.Locale;
import java.util.concurrent.CancellationException;

/** kagami.v1.EvaluationService: evaluations run as jobs, stream progress, and are stored as reports. */
@GrpcService
public class EvaluationGrpcService implements EvaluationServiceGrpc.AsyncService, io.grpc.BindableService {

  /** A request that does not decode answers INVALID_ARGUMENT ({@link RequestDecoding}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(EvaluationServiceGrpc.bindService(this));
  }

  private final ModelRegistry models;
  private final DatasetRepository datasets;
  private final ReportRepository reports;
  private final JobExecutor jobs;
  private final Evaluations evaluations;

  public EvaluationGrpcService(ModelRegistry models, DatasetRepository datasets, ReportRepository reports, JobExecutor jobs,
      Evaluations evaluations) {
    this.models = models;
    this.datasets = datasets;
    this.reports = reports;
    this.jobs = jobs;
    this.evaluations = evaluations;
  }

  @Override
  public void evaluate(EvaluateRequest req, StreamObserver<EvaluateProgress> out) {
    ServerCallStreamObserver<EvaluateProgress> call = (ServerCallStreamObserver<EvaluateProgress>) out;
    try {
      ModelRuntime model = models.resolve(req.getModel().getName(), req.getModel().getVersion());
      Split split = parseSplit(req.getSplit());
      String templates = req.getTemplates().isEmpty() ? "openai-imagenet" : req.getTemplates();
      EnumSet<Evaluator.Kpi> kpis = EnumSet.noneOf(Evaluator.Kpi.class);
      for (Kpi k : req.getKpisList()) {
        switch (k) {
          case I2I -> kpis.add(Evaluator.Kpi.I2I);
          case KNN -> kpis.add(Evaluator.Kpi.KNN);
          case ZERO_SHOT -> kpis.add(Evaluator.Kpi.ZERO_SHOT);
          case T2I -> kpis.add(Evaluator.Kpi.T2I);
          default -> throw new InvalidInput("unknown KPI " + k);
        }
      }
      if (kpis.isEmpty()) {
        kpis = EnumSet.allOf(Evaluator.Kpi.class);
      }
      Evaluator.Options options = new Evaluator.Options(kpis, PromptTemplates.named(templates), templates,
          dev.kagami.evaluation.Classification.DEFAULT_K, dev.kagami.evaluation.Classification.DEFAULT_TEMPERATURE, 32);
      jobs.submit(() -> runEvaluation(req.getDataset(), model, split, options, call));
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }

  private static Split parseSplit(String s) {
    if (s.isEmpty()) {
      return Split.TEST;
    }
    try {
      return Split.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidInput("split must be train, validation or test: '" + s + "'");
    }
  }

  private void runEvaluation(String datasetName, ModelRuntime model, Split split, Evaluator.Options options,
      ServerCallStreamObserver<EvaluateProgress> call) {
    try {
      StoredDataset d = datasets.find(datasetName).orElseThrow(() -> new NotFound("no dataset named '" + datasetName + "'"));
      ImportProgress progress = (stage, done, total) -> {
        if (call.isCancelled()) {
          throw new CancellationException("evaluation cancelled by the caller");
        }
        synchronized (call) {
          call.onNext(EvaluateProgress.newBuilder().setStage(stage).setDone(done).setTotal(total).build());
        }
      };
      EvaluationReport r = evaluations.evaluate(model, d, split, options, progress);
      synchronized (call) {
        call.onNext(EvaluateProgress.newBuilder().setStage("done").setDone(r.images()).setTotal(r.images())
            .setReport(ReportMapping.report(r, true)).build());
        call.onCompleted();
      }
    } catch (RuntimeException e) {
      if (!call.isCancelled()) {
        synchronized (call) {
          call.onError(GrpcErrors.toStatus(e));
        }
      }
    }
  }

  @Override
  @Blocking // JDBC: runs on a worker thread, never on the event loop
  public void listReports(ListReportsRequest req, StreamObserver<ListReportsResponse> out) {
    Replies.now(out, () -> {
      ListReportsResponse.Builder b = ListReportsResponse.newBuilder();
      reports.list(req.getDataset().isEmpty() ? null : req.getDataset(), req.getModel().isEmpty() ? null : req.getModel(),
          req.getLimit() <= 0 ? 50 : req.getLimit()).forEach(r -> b.addReports(ReportMapping.report(r, false)));
      return b.build();
    });
  }

  @Override
  @Blocking // JDBC: runs on a worker thread, never on the event loop
  public void getReport(GetReportRequest req, StreamObserver<Report> out) {
    Replies.now(out, () -> ReportMapping.report(find(req.getId()), true));
  }

  private EvaluationReport find(String id) {
    return reports.get(id).orElseThrow(() -> new NotFound("no report with id '" + id + "'"));
  }

  @Override
  @Blocking // JDBC: runs on a worker thread, never on the event loop
  public void compareReports(CompareReportsRequest req, StreamObserver<dev.kagami.api.v1.ReportComparison> out) {
    Replies.now(out, () -> ReportMapping.comparison(ReportComparison.of(find(req.getBeforeId()), find(req.getAfterId()))));
  }
}
