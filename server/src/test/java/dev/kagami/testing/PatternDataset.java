package dev.kagami.testing;

import dev.kagami.api.v1.DatasetServiceGrpc;
import dev.kagami.api.v1.DatasetSourceKind;
import dev.kagami.api.v1.ImportDatasetRequest;
import dev.kagami.finetune.ImageTunerTest;
import dev.kagami.preprocess.RgbImage;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A small captioned dataset of four stripe patterns (16 images each), imported over gRPC as a manifest:
 * split 50/25/25 with seed 4. Tuning and evaluating the tiny fixture model on it takes seconds.
 */
public final class PatternDataset {

  private PatternDataset() {}

  static final String[] CLASSES = {"horizontal", "vertical", "diagonal", "checks"};

  /** The same four patterns as a zip of class folders ({@code horizontal/horizontal-0.png}, ...), as a user would upload. */
  public static Path classFolderZip(Path zip) throws IOException {
    SplittableRandom r = new SplittableRandom(9);
    try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
      for (int c = 0; c < CLASSES.length; c++) {
        for (int i = 0; i < 16; i++) {
          out.putNextEntry(new java.util.zip.ZipEntry(CLASSES[c] + "/" + CLASSES[c] + "-" + i + ".png"));
          out.write(Images.png(ImageTunerTest.pattern(c, r)));
          out.closeEntry();
        }
      }
    }
    return zip;
  }

  public static void importInto(ManagedChannel channel, String name) throws IOException {
    Path dir = Files.createTempDirectory("kagami-" + name);
    String[] names = {"horizontal", "vertical", "diagonal", "checks"};
    SplittableRandom r = new SplittableRandom(9);
    List<String> lines = new ArrayList<>();
    for (int c = 0; c < names.length; c++) {
      for (int i = 0; i < 16; i++) {
        RgbImage img = ImageTunerTest.pattern(c, r);
        Path f = dir.resolve(names[c] + "-" + i + ".png");
        Files.write(f, Images.png(img));
        lines.add("{\"image\": \"" + f.getFileName() + "\", \"label\": \"" + names[c] + "\", \"captions\": [\"" + names[c]
            + " stripes\"]}");
      }
    }
    Files.write(dir.resolve(name + ".jsonl"), lines);
    var it = DatasetServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS).importDataset(
        ImportDatasetRequest.newBuilder().setName(name).setKind(DatasetSourceKind.MANIFEST)
            .setPath(dir.resolve(name + ".jsonl").toString()).setTrainFraction(0.5).setValidationFraction(0.25)
            .setTestFraction(0.25).setSeed(4).build());
    while (it.hasNext()) {
      it.next();
    }
  }
}
