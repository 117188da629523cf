package dev.kagami.app;

import dev.kagami.evaluation.Evaluator;
import dev.kagami.model.ModelId;
import java.util.Set;

/**
 * Evaluate a loaded model on a split of a stored dataset. Null or empty fields take the defaults of
 * {@link EvaluationService}: the serving model, the test split, every KPI, the "openai-imagenet" templates, the
 * relevance thresholds at precision 0.9 ({@code calibrationPrecision} null or 0).
 */
public record EvaluateCommand(ModelId model, String dataset, String split, Set<Evaluator.Kpi> kpis, String templates,
    Double calibrationPrecision) {

  public EvaluateCommand(ModelId model, String dataset, String split, Set<Evaluator.Kpi> kpis, String templates) {
    this(model, dataset, split, kpis, templates, null);
  }
}
