package dev.kagami.api.grpc;

import dev.kagami.api.v1.ModelUploadChunk;
import dev.kagami.api.v1.ModelVersion;
import dev.kagami.app.ModelArchives;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * One UploadModel call: each chunk is written before the next is read (so flow control reaches the
 * client and a large archive never piles up in memory), the first failure ends the call with its status
 * and drops the upload, and the end of the stream imports the archive.
 */
final class ModelUploadSession implements StreamObserver<ModelUploadChunk> {

  private final ModelArchives.Upload upload;
  private final ServerCallStreamObserver<ModelVersion> call;
  private String actor;
  private boolean failed;

  ModelUploadSession(ModelArchives.Upload upload, ServerCallStreamObserver<ModelVersion> call) {
    this.upload = upload;
    this.call = call;
    call.disableAutoRequest();
    call.request(1);
  }

  @Override
  public synchronized void onNext(ModelUploadChunk chunk) {
    if (failed) {
      return;
    }
    if (actor == null) {
      actor = AuthInterceptor.actor(chunk.getActor());
    }
    upload.append(chunk.getData().toByteArray()).whenComplete((v, e) -> {
      if (e != null) {
        fail(e);
      } else {
        call.request(1);
      }
    });
  }

  private synchronized void fail(Throwable e) {
    if (!failed) {
      failed = true;
      upload.abort();
      call.onError(GrpcErrors.toStatus(e));
    }
  }

  @Override
  public synchronized void onError(Throwable t) {
    failed = true; // the client went away: nothing is imported
    upload.abort();
  }

  @Override
  public synchronized void onCompleted() {
    if (failed) {
      return;
    }
    upload.finish(actor == null ? AuthInterceptor.actor("") : actor).whenComplete((d, e) -> {
      if (e != null) {
        fail(e);
      } else {
        call.onNext(ModelMapping.version(d));
        call.onCompleted();
      }
    });
  }
}
