package dev.kagami.embedding;

import dev.kagami.error.KagamiException.DeadlineExceeded;
import dev.kagami.error.KagamiException.Overloaded;
import dev.kagami.error.KagamiException.ShuttingDown;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Groups items from concurrent requests into engine batches.
 *
 * <p>Admission is bounded: {@link #submitAll} takes one permit per item from a fixed capacity and fails at
 * once with {@link Overloaded} when there are not enough, so a caller learns of overload in microseconds
 * instead of queueing without bound. A worker takes the first waiting item and everything else already
 * waiting (up to {@code maxBatch}). It waits for company (at most {@code maxWait}) only while another
 * worker is running the engine: an idle engine runs a lone item at once, and under load batches form from
 * what queued up while the engine was busy. Items whose caller gave up (deadline passed or cancelled) are
 * dropped; the rest run as one batch. A cancelled item leaves the queue and frees its permit at once.
 *
 * @param <T> the preprocessed payload of one item
 */
public final class DynamicBatcher<T> implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(DynamicBatcher.class);

  /** Batching parameters. */
  public record Settings(int maxBatch, long maxWaitNanos, int capacity, int workers) {
    public Settings {
      if (maxBatch < 1 || capacity < 1 || workers < 1 || maxWaitNanos < 0) {
        throw new IllegalArgumentException("bad batcher settings: maxBatch=" + maxBatch + " capacity=" + capacity
            + " workers=" + workers + " maxWaitNanos=" + maxWaitNanos);
      }
    }
  }

  private final class Item {
    final T payload;
    final CallBudget budget;
    final CompletableFuture<float[]> result = new CompletableFuture<>();
    /** The span current when the item was submitted (the call's encode span): the batch span links to it. */
    final SpanContext caller = Span.current().getSpanContext();

    Item(T payload, CallBudget budget) {
      this.payload = payload;
      this.budget = budget;
    }
  }

  private final String name;
  private final Settings settings;
  private final Function<List<T>, float[][]> engine;
  private final Tracer tracer;
  private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final Semaphore permits;
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean closed;

  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong itemsRun = new AtomicLong();
  private final AtomicLong expired = new AtomicLong();
  /** Items in batches the engine runs now. */
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
  /** Workers running the engine now. */
  private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
  /** Engine time per item over recent batches. */
  private final ServiceTime serviceTime = new ServiceTime();

  public DynamicBatcher(String name, Settings settings, Function<List<T>, float[][]> engine) {
    this(name, settings, engine, new dev.kagami.concurrent.ThreadPools().threads("batcher-" + name));
  }

  /** A batcher whose worker threads come from {@code threads} (the server's {@code ThreadPools}). */
  public DynamicBatcher(String name, Settings settings, Function<List<T>, float[][]> engine,
      java.util.concurrent.ThreadFactory threads) {
    this(name, settings, engine, threads, TracerProvider.noop().get("kagami"));
  }

  /**
   * As above, each batch traced: a span {@code kagami.batch} (its own trace: a batch serves several calls)
   * with a link to the span of every call it serves, its size and how long the engine took.
   */
  public DynamicBatcher(String name, Settings settings, Function<List<T>, float[][]> engine,
      java.util.concurrent.ThreadFactory threads, Tracer tracer) {
    this.tracer = tracer;
    this.name = name;
    this.settings = settings;
    this.engine = engine;
    this.permits = new Semaphore(settings.capacity());
    for (int i = 0; i < settings.workers(); i++) {
      Thread t = threads.newThread(this::work);
      workers.add(t);
      t.start();
    }
  }

  /**
   * Queues {@code payloads} as one admission: either all get a place or none does.
   *
   * @throws Overloaded when fewer than {@code payloads.size()} places are free
   */
  public List<CompletableFuture<float[]>> submitAll(List<T> payloads, CallBudget budget) {
    if (payloads.isEmpty()) {
      return List.of();
    }
    if (closed) {
      throw new ShuttingDown("the server is shutting down (" + name + " encoder); retry on another replica");
    }
    if (payloads.size() > settings.capacity()) {
      throw new Overloaded(payloads.size() + " " + name + " inputs exceed the queue capacity of " + settings.capacity());
    }
    if (!permits.tryAcquire(payloads.size())) {
      throw new Overloaded(name + " queue is full (" + settings.capacity() + " waiting); retry with backoff");
    }
    List<CompletableFuture<float[]>> out = new ArrayList<>(payloads.size());
    for (T p : payloads) {
      Item item = new Item(p, budget);
      item.result.whenComplete((r, e) -> {
        if (item.result.isCancelled() && queue.remove(item)) {
          permits.release();
        }
      });
      queue.add(item);
      out.add(item.result);
    }
    return out;
  }

  private void work() {
    List<Item> batch = new ArrayList<>(settings.maxBatch());
    while (!closed || !queue.isEmpty()) {
      try {
        Item first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        take(first, batch);
        long until = System.nanoTime() + settings.maxWaitNanos();
        while (batch.size() < settings.maxBatch()) {
          Item next = queue.poll();
          if (next == null) {
            long left = until - System.nanoTime();
            if (left <= 0 || running.get() == 0) { // the engine is free: do not keep this batch waiting
              break;
            }
            next = queue.poll(left, TimeUnit.NANOSECONDS);
            if (next == null) {
              break;
            }
          }
          take(next, batch);
        }
        run(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        batch.clear();
      }
    }
  }

  /** Moves an item out of the queue: it frees its permit, and joins the batch only if still wanted. */
  private void take(Item item, List<Item> batch) {
    permits.release();
    if (item.result.isDone()) {
      return; // cancelled by its caller
    }
    if (item.budget.expired()) {
      expired.incrementAndGet();
      item.result.completeExceptionally(new DeadlineExceeded("deadline passed while waiting for the " + name + " encoder"));
      return;
    }
    batch.add(item);
  }

  private void run(List<Item> batch) {
    if (batch.isEmpty()) {
      return;
    }
    List<T> payloads = new ArrayList<>(batch.size());
    for (Item i : batch) {
      payloads.add(i.payload);
    }
    inFlight.addAndGet(batch.size());
    SpanBuilder sb = tracer.spanBuilder("kagami.batch").setNoParent().setAttribute("kagami.batcher", name)
        .setAttribute("kagami.batch.size", batch.size());
    for (Item i : batch) {
      if (i.caller.isValid()) {
        sb.addLink(i.caller);
      }
    }
    Span span = sb.startSpan();
    running.incrementAndGet();
    long t0 = System.nanoTime();
    try {
      float[][] out = engine.apply(payloads);
      serviceTime.add(System.nanoTime() - t0, batch.size());
      batches.incrementAndGet();
      itemsRun.addAndGet(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).result.complete(out[i]);
      }
    } catch (RuntimeException e) {
      LOG.errorf(e, "%s batch of %d failed", name, batch.size());
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      for (Item i : batch) {
        i.result.completeExceptionally(e);
      }
    } finally {
      running.decrementAndGet();
      span.end();
      inFlight.addAndGet(-batch.size());
    }
  }

  /**
   * How long {@code extra} more items would take to come out of this batcher if admitted now: the items
   * waiting and running ahead of them plus their own, at the engine's recent time per item, shared by the
   * workers ({@link ServiceTime}: 0 while it warms up).
   */
  public long expectedWaitNanos(int extra) {
    return (long) ((queue.size() + inFlight.get() + extra) * serviceTime.nanosPerItem() / settings.workers());
  }

  /** Engine batches run so far. */
  public long batches() {
    return batches.get();
  }

  /** Items embedded so far. */
  public long itemsRun() {
    return itemsRun.get();
  }

  /** Items dropped because their deadline passed in the queue. */
  public long expiredDropped() {
    return expired.get();
  }

  /** Items waiting now. */
  public int waiting() {
    return queue.size();
  }

  /**
   * Stops admitting work, lets the workers finish what is queued (nothing admitted is lost), then stops
   * them. Items still queued after the grace period fail with {@link ShuttingDown}.
   */
  @Override
  public void close() {
    closed = true;
    for (Thread t : workers) {
      try {
        t.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Item i; (i = queue.poll()) != null; ) {
      i.result.completeExceptionally(new ShuttingDown("the server shut down before the " + name + " encoder ran this input"));
    }
  }
}
