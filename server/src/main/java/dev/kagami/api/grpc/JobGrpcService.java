package dev.kagami.api.grpc;

import dev.kagami.api.v1.CancelJobRequest;
import dev.kagami.api.v1.GetJobRequest;
import dev.kagami.api.v1.Job;
import dev.kagami.api.v1.JobServiceGrpc;
import dev.kagami.api.v1.ListJobsRequest;
import dev.kagami.api.v1.ListJobsResponse;
import dev.kagami.api.v1.WatchJobRequest;
import dev.kagami.app.JobService;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/** kagami.v1.JobService: list, get, watch and cancel durable jobs. */
@GrpcService
public class JobGrpcService implements JobServiceGrpc.AsyncService, io.grpc.BindableService {

  /** A request that does not decode answers INVALID_ARGUMENT ({@link RequestDecoding}). */
  @Override
  public io.grpc.ServerServiceDefinition bindService() {
    return RequestDecoding.guard(JobServiceGrpc.bindService(this));
  }

  private final JobService jobs;

  public JobGrpcService(JobService jobs) {
    this.jobs = jobs;
  }

  @Override
  @Blocking // JDBC
  public void listJobs(ListJobsRequest req, StreamObserver<ListJobsResponse> out) {
    Replies.now(out, () -> ListJobsResponse.newBuilder().addAllJobs(jobs.list(JobMapping.kind(req.getKind(), req.getKindValue()),
        JobMapping.state(req.getState(), req.getStateValue()), req.getLimit()).stream().map(JobMapping::job).toList()).build());
  }

  @Override
  @Blocking // JDBC
  public void getJob(GetJobRequest req, StreamObserver<Job> out) {
    Replies.now(out, () -> JobMapping.job(jobs.get(JobMapping.id(req.getId()))));
  }

  @Override
  @Blocking // JDBC
  public void cancelJob(CancelJobRequest req, StreamObserver<Job> out) {
    Replies.now(out, () -> JobMapping.job(jobs.cancel(JobMapping.id(req.getId()))));
  }

  @Override
  @Blocking // JDBC for the first snapshot
  public void watchJob(WatchJobRequest req, StreamObserver<Job> out) {
    try {
      JobStreams.follow(jobs, jobs.get(JobMapping.id(req.getId())).id(), (ServerCallStreamObserver<Job>) out,
          JobMapping::job, false);
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }
}
