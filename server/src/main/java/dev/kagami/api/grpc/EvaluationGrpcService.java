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
import dev.kagami.app.EvaluateCommand;
import dev.kagami.app.EvaluationService;
import dev.kagami.app.JobService;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.job.Job;
import dev.kagami.job.JobState;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.util.EnumSet;

/**
 * kagami.v1.EvaluationService over {@link EvaluationService}: evaluations run as durable jobs, stream
 * progress, and are stored as reports.
 */
@GrpcService
public class EvaluationGrpcService implements EvaluationServiceGrpc.AsyncService, io.grpc.BindableService {

  /** A request that does not decode answers INVALID_ARGUMENT ({@link RequestDecoding}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(EvaluationServiceGrpc.bindService(this));
  }

  private final EvaluationService evaluations;
  private final JobService jobs;

  public EvaluationGrpcService(EvaluationService evaluations, JobService jobs) {
    this.evaluations = evaluations;
    this.jobs = jobs;
  }

  @Override
  @Blocking // JDBC: the dataset is looked up before the job starts
  public void evaluate(EvaluateRequest req, StreamObserver<EvaluateProgress> out) {
    try {
      Job job = evaluations.start(new EvaluateCommand(ProtoMapping.modelId(req.getModel()), req.getDataset(),
          req.getSplit(), kpis(req), req.getTemplates(), req.getCalibrationPrecision()));
      JobStreams.follow(jobs, job.id(), (ServerCallStreamObserver<EvaluateProgress>) out, j -> {
        EvaluateProgress.Builder b = EvaluateProgress.newBuilder().setJobId(j.id().value()).setStage(j.progress().stage())
            .setDone(j.progress().done()).setTotal(j.progress().total());
        if (j.state() == JobState.SUCCEEDED) {
          Report r = ReportMapping.report(evaluations.report(EvaluationService.reportId(j)), true);
          b.setStage("done").setDone(r.getImages()).setTotal(r.getImages()).setReport(r);
        }
        return b.build();
      }, true);
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }

  private static EnumSet<Evaluator.Kpi> kpis(EvaluateRequest req) {
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
    return kpis;
  }

  @Override
  @Blocking // JDBC: runs on a worker thread, never on the event loop
  public void listReports(ListReportsRequest req, StreamObserver<ListReportsResponse> out) {
    Replies.now(out, () -> {
      ListReportsResponse.Builder b = ListReportsResponse.newBuilder();
      evaluations.list(req.getDataset(), req.getModel(), req.getLimit()).forEach(r -> b.addReports(ReportMapping.report(r, false)));
      return b.build();
    });
  }

  @Override
  @Blocking // JDBC: runs on a worker thread, never on the event loop
  public void getReport(GetReportRequest req, StreamObserver<Report> out) {
    Replies.now(out, () -> ReportMapping.report(evaluations.report(req.getId()), true));
  }

  @Override
  @Blocking // JDBC: runs on a worker thread, never on the event loop
  public void compareReports(CompareReportsRequest req, StreamObserver<dev.kagami.api.v1.ReportComparison> out) {
    Replies.now(out, () -> ReportMapping.comparison(evaluations.compare(req.getBeforeId(), req.getAfterId())));
  }
}
