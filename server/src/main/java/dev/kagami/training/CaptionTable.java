package dev.kagami.training;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.evaluation.PromptTemplates;
import dev.kagami.finetune.ImageTuner;
import dev.kagami.finetune.PseudoCaptions;
import dev.kagami.finetune.TextRealigner;
import dev.kagami.finetune.TrainableTower;
import dev.kagami.model.ModelPackage;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.preprocess.RgbImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The caption table (text, tokens, frozen base embeddings), each training image's captions for MCIP,
 * and for re-alignment (MCIP's, or the class templates for an image that has none).
 */
record CaptionTable(List<String> texts, List<long[]> tokens, float[][] embeddings, List<int[]> perImage, List<int[]> forRealign) {

  static CaptionTable build(RunSpec spec, ModelPackage base, Dataset d, List<DatasetItem> train, List<RgbImage> images,
      ClipTokenizer tok, ClipImageTransform transform, dev.kagami.concurrent.Parallel parallel) {
    Map<String, Integer> index = new LinkedHashMap<>();
    List<int[]> classTemplates = new ArrayList<>();
    for (String label : d.classes()) {
      classTemplates.add(FineTuneRunner.LABEL_TEMPLATES.stream()
          .mapToInt(t -> index.computeIfAbsent(t.replace("{}", PromptTemplates.className(label)), k -> index.size())).toArray());
    }
    List<int[]> own = new ArrayList<>();
    for (DatasetItem it : train) {
      own.add(it.captions().stream().mapToInt(c -> index.computeIfAbsent(c, k -> index.size())).toArray());
    }
    List<String> texts = List.copyOf(index.keySet());
    List<long[]> tokens = texts.stream().map(tok::tokenize).toList();
    float[][] emb = new float[0][];
    List<int[]> perImage = new ArrayList<>();
    boolean needEmbeddings = spec.method().usesCaptions();
    if (needEmbeddings) {
      try (TrainableTower textual = TrainableTower.load(base.textualTorchScript().orElseThrow(), TrainableTower.projectionOnly())) {
        TextRealigner enc = new TextRealigner(textual, base.manifest().text().contextLength());
        emb = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += 256) {
          float[][] part = enc.embed(tokens.subList(from, Math.min(texts.size(), from + 256)));
          System.arraycopy(part, 0, emb, from, part.length);
        }
      }
    }
    for (int i = 0; i < train.size(); i++) {
      int[] c = switch (spec.captions()) {
        case DATASET -> own.get(i);
        case LABEL_TEMPLATES -> classTemplates.get(d.classId(train.get(i).label()));
        case MINED -> null;
      };
      perImage.add(c);
    }
    if (spec.captions() == RunSpec.CaptionSource.MINED && needEmbeddings) {
      float[][] imageEmb;
      try (TrainableTower visual = TrainableTower.load(base.visualTorchScript().orElseThrow(), TrainableTower.projectionOnly())) {
        imageEmb = new ImageTuner(visual, transform).embed(images, 64);
      }
      int dim = emb[0].length;
      float[] flatImages = new float[imageEmb.length * dim];
      for (int i = 0; i < imageEmb.length; i++) {
        System.arraycopy(imageEmb[i], 0, flatImages, i * dim, dim);
      }
      float[] flatCaps = new float[emb.length * dim];
      for (int i = 0; i < emb.length; i++) {
        System.arraycopy(emb[i], 0, flatCaps, i * dim, dim);
      }
      List<int[]> mined = PseudoCaptions.mine(parallel, flatImages, imageEmb.length, flatCaps, emb.length, dim, spec.minedTopK(),
          spec.minedThreshold());
      perImage.clear();
      perImage.addAll(mined);
    } else if (spec.captions() == RunSpec.CaptionSource.MINED) {
      perImage.replaceAll(x -> new int[0]);
    }
    List<int[]> forRealign = new ArrayList<>();
    for (int i = 0; i < train.size(); i++) {
      int[] c = perImage.get(i);
      forRealign.add(c.length > 0 ? c : classTemplates.get(d.classId(train.get(i).label())));
    }
    return new CaptionTable(texts, tokens, emb, perImage, forRealign);
  }
}
