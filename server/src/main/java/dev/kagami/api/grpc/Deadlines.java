package dev.kagami.api.grpc;

import dev.kagami.embedding.CallBudget;
import io.grpc.Context;
import io.grpc.Deadline;
import java.util.concurrent.TimeUnit;

/** The current call's gRPC deadline as a {@link CallBudget}. */
final class Deadlines {

  private Deadlines() {}

  static CallBudget current() {
    Deadline d = Context.current().getDeadline();
    return d == null ? CallBudget.NONE : CallBudget.inNanos(Math.max(0, d.timeRemaining(TimeUnit.NANOSECONDS)));
  }
}
