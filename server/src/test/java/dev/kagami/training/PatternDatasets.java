package dev.kagami.training;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.ImageSource;
import dev.kagami.dataset.Splits;
import dev.kagami.finetune.ImageTunerTest;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.testing.Images;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The run tests' dataset: 4 pattern classes of 16 PNGs each, split 0.5/0.25/0.25 (stratified, seed 3). */
final class PatternDatasets {

  private PatternDatasets() {}

  static StoredDataset save(DatasetRepository datasets, String name, long seed) throws IOException {
    Path dir = Files.createTempDirectory("kagami-" + name);
    SplittableRandom r = new SplittableRandom(seed);
    List<DatasetItem> items = new ArrayList<>();
    List<String> names = List.of("horizontal", "vertical", "diagonal", "checks");
    for (int c = 0; c < names.size(); c++) {
      for (int i = 0; i < 16; i++) {
        Path f = dir.resolve(names.get(c) + "-" + i + ".png");
        Files.write(f, Images.png(ImageTunerTest.pattern(c, r)));
        items.add(new DatasetItem(f.getFileName().toString(), names.get(c), List.of(), Map.of(), new ImageSource.File(f)));
      }
    }
    return datasets.save(Dataset.of(name, "test", items, List.of()),
        new Splits.Spec("stratified", 3, new Splits.Fractions(0.5, 0.25, 0.25)));
  }
}
