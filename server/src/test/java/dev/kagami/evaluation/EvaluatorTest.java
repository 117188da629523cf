package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.embedding.DynamicBatcher;
import dev.kagami.embedding.ModelLoader;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Images;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluator end to end on the tiny model and a small generated dataset with captions. */
class EvaluatorTest {

  @Test
  void evaluates_every_kpi_reuses_the_cache_and_round_trips_the_report(@TempDir Path root) throws Exception {
    Color[] colors = {Color.RED, Color.GREEN, Color.BLUE};
    String[] names = {"red", "green", "blue"};
    List<String> lines = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < 10; i++) {
        Path p = root.resolve(names[c] + i + ".png");
        Files.write(p, Images.png(60 + i * 7, 40 + i * 3, colors[c]));
        lines.add("{\"image\": \"" + p.getFileName() + "\", \"label\": \"" + names[c] + "\", \"captions\": [\"a " + names[c]
            + " disc number " + i + "\"]}");
      }
    }
    Files.write(root.resolve("m.jsonl"), lines);
    ImageDecoder decoder = new ImageDecoder(new ImageLimits(1 << 24, 1L << 26));
    Dataset d = new DatasetImporter(decoder, dev.kagami.concurrent.Parallel.SEQUENTIAL).manifest(root.resolve("m.jsonl"), "colors", ImportProgress.NONE);
    var splits = Splits.stratified(d, 1, new Splits.Fractions(0.5, 0.0, 0.5));
    ModelLoader loader = new ModelLoader(new EngineFactory(), decoder);
    try (ModelRuntime rt = loader.load(Fixtures.TINY_CLIP, new ModelLoader.Settings(EngineKind.ONNXRUNTIME,
        new EngineOptions(1, 0), new DynamicBatcher.Settings(16, 1_000_000, 1024, 1), 1000, false, 0));
        EmbeddingCache cache = EmbeddingCache.open(root.resolve("cache.bin"), rt.dimension())) {
      Evaluator ev = new Evaluator(rt, cache);
      Evaluator.Options o = new Evaluator.Options(java.util.EnumSet.allOf(Evaluator.Kpi.class), PromptTemplates.SIMPLE,
          "simple", 21, 0.1, 32);
      EvaluationReport r = ev.evaluate(d, splits, Split.TEST, 1, o, ImportProgress.NONE);
      assertThat(r.images()).isEqualTo(15);
      assertThat(r.classes()).isEqualTo(3);
      assertThat(r.summary().i2iMap()).isBetween(0.0, 1.0);
      assertThat(r.summary().knnAccuracy()).isBetween(0.0, 1.0);
      assertThat(r.summary().zeroShotAccuracy()).isBetween(0.0, 1.0);
      assertThat(r.summary().t2iRecallAt10()).isBetween(0.0, 1.0);
      assertThat(r.summary().t2iQueries()).isEqualTo(15);
      assertThat(r.perClass()).extracting(EvaluationReport.ClassRow::label).containsExactly("blue", "green", "red");
      assertThat(r.operations().embeddedImages()).isEqualTo(30);
      assertThat(r.operations().bytesPerEmbedding()).isEqualTo(128);
      // solid colours are trivially separable even for random weights: same-colour images are near-identical
      assertThat(r.summary().i2iRecallAt1()).isEqualTo(1.0);

      EvaluationReport again = ev.evaluate(d, splits, Split.TEST, 1, o, ImportProgress.NONE);
      assertThat(again.operations().embeddedImages()).isZero();
      assertThat(again.operations().cachedImages()).isEqualTo(30);
      assertThat(again.summary()).isEqualTo(r.summary());

      ReportWriter w = new ReportWriter();
      assertThat(w.fromJson(w.toJson(r))).usingRecursiveComparison().isEqualTo(r);
      String md = w.toMarkdown(r, "test");
      assertThat(md).contains("| I2I mAP (full ranking) |").contains("| blue | 5 |");
    }
  }
}
