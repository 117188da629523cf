package dev.kagami.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.testing.Images;
import java.awt.Color;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetImporterTest {

  final DatasetImporter importer = new DatasetImporter(new ImageDecoder(new ImageLimits(1_000_000, 4_000_000)),
      new dev.kagami.concurrent.ThreadPools().parallel("test-import", 3));

  static void png(Path p, Color c) throws IOException {
    Files.createDirectories(p.getParent());
    Files.write(p, Images.png(40, 30, c));
  }

  @Test
  void folder_per_class_with_every_skip_reported(@TempDir Path root) throws IOException {
    png(root.resolve("shoes/a.png"), Color.RED);
    png(root.resolve("shoes/deeper/b.png"), Color.RED);
    png(root.resolve("bags/c.png"), Color.BLUE);
    Files.write(root.resolve("bags/broken.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
    Files.writeString(root.resolve("bags/notes.txt"), "hello");
    Files.writeString(root.resolve("README"), "top-level file");
    Dataset d = importer.folder(root, "shop", ImportProgress.NONE);
    assertThat(d.classes()).containsExactly("bags", "shoes");
    assertThat(d.items()).extracting(DatasetItem::id).containsExactlyInAnyOrder("shoes/a.png", "shoes/deeper/b.png", "bags/c.png");
    assertThat(d.skipped()).hasSize(3);
    assertThat(d.skipped()).anySatisfy(s -> {
      assertThat(s.ref()).endsWith("broken.jpg");
      assertThat(s.reason()).contains("could not be decoded");
    });
    assertThat(d.skipped()).anySatisfy(s -> assertThat(s.reason()).contains("not an image file name"));
    assertThat(d.skipped()).anySatisfy(s -> assertThat(s.reason()).contains("not in a class folder"));
  }

  @Test
  void jsonl_manifest_with_captions_metadata_and_bad_lines(@TempDir Path root) throws IOException {
    png(root.resolve("img/1.png"), Color.RED);
    png(root.resolve("img/2.png"), Color.GREEN);
    Files.writeString(root.resolve("m.jsonl"), String.join("\n",
        "{\"image\": \"img/1.png\", \"label\": \"red\", \"captions\": [\"a red thing\", \"crimson\"], \"metadata\": {\"sku\": 7}}",
        "{\"image\": \"img/2.png\", \"label\": \"green\"}",
        "{\"image\": \"img/3.png\", \"label\": \"green\"}",
        "{\"image\": \"img/1.png\"}",
        "not json",
        ""));
    Dataset d = importer.manifest(root.resolve("m.jsonl"), "m", ImportProgress.NONE);
    assertThat(d.items()).hasSize(2);
    DatasetItem red = d.items().stream().filter(i -> i.label().equals("red")).findFirst().orElseThrow();
    assertThat(red.captions()).containsExactly("a red thing", "crimson");
    assertThat(red.metadata()).containsEntry("sku", "7");
    assertThat(d.skipped()).extracting(Skipped::reason)
        .anySatisfy(r -> assertThat(r).contains("cannot read"))
        .anySatisfy(r -> assertThat(r).isEqualTo("no label"))
        .anySatisfy(r -> assertThat(r).startsWith("not valid JSON"));
  }

  @Test
  void csv_manifest_with_quotes_and_pipe_separated_captions(@TempDir Path root) throws IOException {
    png(root.resolve("1.png"), Color.RED);
    png(root.resolve("2.png"), Color.GREEN);
    Files.writeString(root.resolve("m.csv"), String.join("\n",
        "id,image,label,captions,color",
        "r1,1.png,red,\"a red, shiny thing|crimson\",\"dark \"\"red\"\"\"",
        "g1,2.png,green,,green",
        "x,2.png,green"));
    Dataset d = importer.manifest(root.resolve("m.csv"), "m", ImportProgress.NONE);
    assertThat(d.items()).extracting(DatasetItem::id).containsExactly("r1", "g1");
    assertThat(d.items().get(0).captions()).containsExactly("a red, shiny thing", "crimson");
    assertThat(d.items().get(0).metadata()).containsEntry("color", "dark \"red\"");
    assertThat(d.items().get(1).captions()).isEmpty();
    assertThat(d.skipped()).singleElement().satisfies(s -> assertThat(s.reason()).contains("has 3 fields"));
    Files.writeString(root.resolve("bad.csv"), "path,class\n1.png,red\n");
    assertThatThrownBy(() -> importer.manifest(root.resolve("bad.csv"), "m", ImportProgress.NONE))
        .isInstanceOf(InvalidInput.class).hasMessageContaining("needs the columns image and label");
  }

  static void writeIdx(Path dir, String part, int n, boolean gz) throws IOException {
    Files.createDirectories(dir);
    String suffix = gz ? ".gz" : "";
    try (OutputStream raw = Files.newOutputStream(dir.resolve(part + "-images-idx3-ubyte" + suffix));
        DataOutputStream out = new DataOutputStream(gz ? new GZIPOutputStream(raw) : raw)) {
      out.writeInt(0x803);
      out.writeInt(n);
      out.writeInt(28);
      out.writeInt(28);
      for (int i = 0; i < n * 28 * 28; i++) {
        out.write(i % 251);
      }
    }
    try (OutputStream raw = Files.newOutputStream(dir.resolve(part + "-labels-idx1-ubyte" + suffix));
        DataOutputStream out = new DataOutputStream(gz ? new GZIPOutputStream(raw) : raw)) {
      out.writeInt(0x801);
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.write(i % 10);
      }
    }
  }

  @Test
  void fashion_mnist_idx_files_gzipped_or_not(@TempDir Path dir) throws IOException {
    writeIdx(dir, "train", 30, true);
    writeIdx(dir, "t10k", 10, false);
    Dataset d = importer.fashionMnist(dir, "fm", 0, ImportProgress.NONE);
    assertThat(d.items()).hasSize(40);
    assertThat(d.classes()).hasSize(10).contains("T-shirt/top", "Ankle boot");
    assertThat(d.items().get(9).label()).isEqualTo("Ankle boot");
    assertThat(d.items().get(30).metadata()).containsEntry("origin", "t10k");
    assertThat(importer.fashionMnist(dir, "fm", 5, ImportProgress.NONE).items()).hasSize(10);
    Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
    assertThatThrownBy(() -> importer.fashionMnist(dir, "fm", 0, ImportProgress.NONE)).isInstanceOf(InvalidInput.class)
        .hasMessageContaining("has no t10k-labels-idx1-ubyte");
  }

  @Test
  void fashion_mnist_from_debians_package() throws IOException {
    Path dir = Path.of("/usr/share/datasets/fashion-mnist");
    Assumptions.assumeTrue(Files.isDirectory(dir), "needs Debian's dataset-fashion-mnist (.ci/run installs it)");
    Dataset d = importer.fashionMnist(dir, "fm", 100, ImportProgress.NONE);
    assertThat(d.items()).hasSize(200);
    assertThat(d.skipped()).isEmpty();
  }

  @Test
  void openclipart_tree_class_by_folder_and_caption_from_file_name(@TempDir Path root) throws IOException {
    png(root.resolve("animals/birds/eagle_flying_john_doe_01.png"), Color.GRAY);
    png(root.resolve("animals/cat-sitting.png"), Color.GRAY);
    png(root.resolve("shapes/stars/star_5.png"), Color.YELLOW);
    png(root.resolve("loose.png"), Color.YELLOW);
    Dataset d = importer.openClipart(root, 1, "oc", ImportProgress.NONE);
    assertThat(d.classes()).containsExactly("animals", "shapes");
    DatasetItem eagle = d.items().stream().filter(i -> i.id().contains("eagle")).findFirst().orElseThrow();
    assertThat(eagle.captions()).containsExactly("a clip art drawing of eagle flying john doe, animals birds");
    assertThat(d.skipped()).singleElement().satisfies(s -> assertThat(s.reason()).contains("no class"));
    assertThat(importer.openClipart(root, 2, "oc", ImportProgress.NONE).classes())
        .containsExactly("animals/birds", "shapes/stars");
  }

  @Test
  void splits_are_seeded_stratified_and_reproducible(@TempDir Path dir) throws IOException {
    writeIdx(dir, "train", 400, false);
    writeIdx(dir, "t10k", 100, false);
    Dataset d = importer.fashionMnist(dir, "fm", 0, ImportProgress.NONE);
    Splits.Fractions f = new Splits.Fractions(0.8, 0.1, 0.1);
    var a = Splits.stratified(d, 7, f);
    assertThat(Splits.stratified(d, 7, f)).isEqualTo(a);
    assertThat(Splits.stratified(d, 8, f)).isNotEqualTo(a);
    for (String c : d.classes()) {
      long test = d.items().stream().filter(i -> i.label().equals(c) && a.get(i.id()) == Split.TEST).count();
      long train = d.items().stream().filter(i -> i.label().equals(c) && a.get(i.id()) == Split.TRAIN).count();
      assertThat(test).isEqualTo(5);
      assertThat(train).isEqualTo(40);
    }
    var disjoint = Splits.classDisjoint(d, 7, new Splits.Fractions(0.6, 0.2, 0.2));
    for (String c : d.classes()) {
      assertThat(d.items().stream().filter(i -> i.label().equals(c)).map(i -> disjoint.get(i.id())).distinct().count())
          .isEqualTo(1);
    }
    assertThat(List.copyOf(disjoint.values()).stream().distinct().count()).isEqualTo(3);
    assertThatThrownBy(() -> new Splits.Fractions(0.5, 0.5, 0.5)).isInstanceOf(InvalidInput.class);
  }
}
