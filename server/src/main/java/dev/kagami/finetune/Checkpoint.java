package dev.kagami.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The resumable state of a training loop, in a folder: {@code current/} holds the tower's weights
 * ({@code tower.pt}), the step, the loop's own tensors and its session's state ({@code extras.bin}: ArcMargin's
 * proxies, the logit scale; the best validation so far) and the optimiser's moments ({@code adamw.bin}). A new checkpoint is written to {@code next/},
 * fsynced, and swapped in by renames ({@code current -> previous}, {@code next -> current}); a crash between
 * the two renames leaves {@code previous/}, which {@link #read} then uses. A folder is never read half-written.
 */
public final class Checkpoint {

  /** A restored state: the steps done, the loop's tensors, and where the optimiser's state is. */
  public record State(int step, List<float[]> extras, Path adamw, Path tower, byte[] session) {}

  private Checkpoint() {}

  /** The tower weights of the last checkpoint in {@code dir}, if there is one. */
  public static Optional<Path> towerFile(Path dir) {
    return latest(dir).map(d -> d.resolve("tower.pt"));
  }

  static Optional<Path> latest(Path dir) {
    if (dir == null) {
      return Optional.empty();
    }
    for (String name : List.of("current", "previous")) {
      Path d = dir.resolve(name);
      if (Files.isRegularFile(d.resolve("adamw.bin"))) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  public static Optional<State> read(Path dir) {
    Optional<Path> d = latest(dir);
    if (d.isEmpty()) {
      return Optional.empty();
    }
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(d.get().resolve("extras.bin"))))) {
      int step = in.readInt();
      int n = in.readInt();
      List<float[]> extras = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        float[] v = new float[in.readInt()];
        for (int k = 0; k < v.length; k++) {
          v[k] = in.readFloat();
        }
        extras.add(v);
      }
      byte[] session = in.readAllBytes();
      return Optional.of(new State(step, extras, d.get().resolve("adamw.bin"), d.get().resolve("tower.pt"), session));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the checkpoint in " + d.get() + ": " + e.getMessage(), e);
    }
  }

  /** Restores the optimiser's moments and step from {@code s}. */
  public static void restore(State s, AdamW opt) {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(s.adamw())))) {
      opt.readState(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the optimiser state " + s.adamw() + ": " + e.getMessage(), e);
    }
  }

  /** Writes a checkpoint after {@code step} steps and swaps it in. */
  public static void write(Path dir, int step, TrainableTower tower, List<NDArray> extras, AdamW opt, byte[] session) {
    Path next = dir.resolve("next");
    Path current = dir.resolve("current");
    Path previous = dir.resolve("previous");
    try {
      deleteTree(next);
      Files.createDirectories(next);
      tower.save(next.resolve("tower.pt"));
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(next.resolve("extras.bin"))))) {
        out.writeInt(step);
        out.writeInt(extras.size());
        for (NDArray e : extras) {
          float[] v = e.toType(DataType.FLOAT32, false).toFloatArray();
          out.writeInt(v.length);
          for (float f : v) {
            out.writeFloat(f);
          }
        }
        out.write(session);
      }
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(next.resolve("adamw.bin"))))) {
        opt.writeState(out);
      }
      for (String f : List.of("tower.pt", "extras.bin", "adamw.bin")) {
        fsync(next.resolve(f), false);
      }
      fsync(next, true);
      deleteTree(previous);
      if (Files.exists(current)) {
        Files.move(current, previous, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(next, current, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      fsync(dir, true);
      deleteTree(previous);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the checkpoint in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void fsync(Path p, boolean directory) throws IOException {
    try (FileChannel c = FileChannel.open(p, directory ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
      c.force(true);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
