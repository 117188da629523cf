package dev.kagami.api.rest;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A watch (listener in, handle out) as a stream of Server-Sent Events: each update is mapped and sent; the
 * stream completes after the last one; when the client goes away the watch is closed (the watched work goes
 * on). Updates buffer while the client is slow (a job's updates are few: one per progress step).
 */
final class Sse {

  private Sse() {}

  /** What starts a watch: given the listener, returns what stops it. */
  @FunctionalInterface
  interface Watch<T> {
    AutoCloseable start(Consumer<T> listener) throws Exception;
  }

  static <T, V> Multi<V> of(Watch<T> watch, Function<T, V> view, Predicate<T> last) {
    return Multi.createFrom().<V>emitter(em -> {
      AutoCloseable[] handle = new AutoCloseable[1];
      em.onTermination(() -> close(handle[0]));
      try {
        handle[0] = watch.start(update -> {
          if (em.isCancelled()) {
            throw new IllegalStateException("the client went away"); // the watch drops this listener
          }
          em.emit(view.apply(update));
          if (last.test(update)) {
            em.complete();
          }
        });
        if (em.isCancelled()) {
          close(handle[0]);
        }
      } catch (Exception e) {
        em.fail(e);
      }
    }, BackPressureStrategy.BUFFER);
  }

  private static void close(AutoCloseable h) {
    if (h == null) {
      return;
    }
    try {
      h.close();
    } catch (Exception e) {
      // closing a watch only removes a listener
    }
  }
}
