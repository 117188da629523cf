package dev.kagami.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.testing.Images;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Imports read only under the configured roots: not through '..', not through symbolic links, and say nothing of what lies outside. */
class ImportRootsTest {

  static DatasetImporter importer(Path root) {
    return new DatasetImporter(new ImageDecoder(new ImageLimits(1_000_000, 4_000_000)), ImportRoots.of(List.of(root)));
  }

  static String refusal(Runnable r) {
    try {
      r.run();
    } catch (InvalidInput e) {
      return e.getMessage();
    }
    throw new AssertionError("not refused");
  }

  @Test
  void paths_outside_the_roots_are_refused_alike_whether_they_exist_or_not(@TempDir Path tmp) throws IOException {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.createDirectories(tmp.resolve("outside/cls"));
    Files.write(tmp.resolve("outside/cls/a.png"), Images.png(10, 10, Color.RED));
    DatasetImporter imp = importer(root);
    String existing = refusal(() -> call(() -> imp.folder(tmp.resolve("outside"), "x", ImportProgress.NONE)));
    String missing = refusal(() -> call(() -> imp.folder(tmp.resolve("no-such"), "x", ImportProgress.NONE)));
    String dotdot = refusal(() -> call(() -> imp.folder(root.resolve("../outside"), "x", ImportProgress.NONE)));
    String proc = refusal(() -> call(() -> imp.folder(Path.of("/proc"), "x", ImportProgress.NONE)));
    assertThat(existing).contains("not under an import root");
    assertThat(List.of(missing, dotdot, proc)).allSatisfy(m -> assertThat(m).isEqualTo(existing));
    assertThat(refusal(() -> call(() -> imp.manifest(Path.of("../../etc/passwd.csv"), "x", ImportProgress.NONE))))
        .contains("must be absolute");
    assertThat(refusal(() -> call(() -> imp.fashionMnist(Path.of("/etc"), "x", 0, ImportProgress.NONE)))).isEqualTo(existing);
  }

  @Test
  void symbolic_links_and_manifest_rows_cannot_lead_out(@TempDir Path tmp) throws IOException {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.write(outside.resolve("secret.png"), Images.png(10, 10, Color.RED));
    Files.write(root.resolve("ok.png"), Images.png(10, 10, Color.BLUE));
    Files.createDirectories(root.resolve("cls"));
    Files.write(root.resolve("cls/in.png"), Images.png(10, 10, Color.GREEN));
    Files.createSymbolicLink(root.resolve("cls/link.png"), outside.resolve("secret.png"));
    Files.createSymbolicLink(root.resolve("escape"), outside);
    DatasetImporter imp = importer(root);
    // a link to a folder outside, given as the import path
    assertThat(refusal(() -> call(() -> imp.folder(root.resolve("escape"), "x", ImportProgress.NONE))))
        .contains("not under an import root");
    // a link to a file outside, inside a class folder: skipped, the file is not read
    Dataset d = call(() -> imp.folder(root, "x", ImportProgress.NONE));
    assertThat(d.items()).extracting(DatasetItem::id).containsExactly("cls/in.png");
    assertThat(d.skipped()).anySatisfy(s -> {
      assertThat(s.ref()).endsWith("link.png");
      assertThat(s.reason()).isEqualTo("outside the import roots");
    });
    // manifest rows that climb out: an existing and a missing file get the same reason
    Files.writeString(root.resolve("m.csv"), "image,label\nok.png,a\n../outside/secret.png,a\n../outside/none.png,a\n"
        + "escape/secret.png,a\n");
    Dataset m = call(() -> imp.manifest(root.resolve("m.csv"), "m", ImportProgress.NONE));
    assertThat(m.items()).hasSize(1);
    assertThat(m.skipped()).hasSize(3).allSatisfy(s -> assertThat(s.reason()).isEqualTo("outside the import roots"));
  }

  interface Io<T> {
    T run() throws IOException;
  }

  static <T> T call(Io<T> io) {
    try {
      return io.run();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
