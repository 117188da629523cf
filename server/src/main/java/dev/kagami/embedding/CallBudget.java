package dev.kagami.embedding;

/**
 * The time a call may still spend, as an absolute {@link System#nanoTime()} deadline. Work whose deadline
 * has passed is dropped before it reaches the engine.
 */
public record CallBudget(long deadlineNanos) {

  /** No deadline. */
  public static final CallBudget NONE = new CallBudget(Long.MAX_VALUE);

  public static CallBudget inNanos(long nanosFromNow) {
    long now = System.nanoTime();
    return new CallBudget(nanosFromNow >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanosFromNow);
  }

  /** Nanoseconds left before the deadline (negative once passed); {@link Long#MAX_VALUE} without one. */
  public long remainingNanos() {
    return deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - System.nanoTime();
  }

  public boolean expired() {
    return deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos >= 0;
  }
}
