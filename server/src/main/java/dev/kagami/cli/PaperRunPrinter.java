package dev.kagami.cli;

import dev.kagami.finetune.ImageTuner;
import dev.kagami.training.FineTuneRunner;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

  /** Prints a run's progress now and then, and keeps its validation curve (stage, step, primary KPI). */
record PaperRunPrinter(String name, PrintWriter o, StringBuilder curve) implements FineTuneRunner.Listener {
  @Override
  public void stage(String stage, int totalSteps) {
    o.printf(Locale.ROOT, "[%s] %s (%d)%n", name, stage, totalSteps);
    o.flush();
  }

  @Override
  public void step(String stage, ImageTuner.StepLog s) {
    if (s.step() % 20 == 0 || s.step() == s.totalSteps()) {
      o.printf(Locale.ROOT, "[%s] %s step %d/%d loss %.4f%n", name, stage, s.step(), s.totalSteps(), s.loss());
      o.flush();
    }
  }

  @Override
  public void validation(String stage, int step, Double loss, Map<String, Double> kpis, boolean best) {
    o.printf(Locale.ROOT, "[%s] %s validation at %d: %s%s%n", name, stage, step, kpis, best ? " (best)" : "");
    o.flush();
    String key = kpis.containsKey("i2i_map") ? "i2i_map" : kpis.containsKey("t2i_r5") ? "t2i_r5" : "zero_shot";
    Double v = kpis.get(key);
    curve.append(String.format(Locale.ROOT, "%s%s %d: %s %.3f%s", curve.isEmpty() ? "" : "; ", stage, step, key,
        v == null ? Double.NaN : v, best ? "*" : ""));
  }
}
