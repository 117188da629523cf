package dev.kagami.api.grpc;

import dev.kagami.api.v1.ClassDelta;
import dev.kagami.api.v1.ClassKpis;
import dev.kagami.api.v1.KpiDelta;
import dev.kagami.api.v1.KpiSummary;
import dev.kagami.api.v1.Operations;
import dev.kagami.api.v1.Report;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.ReportComparison;
import dev.kagami.evaluation.ReportWriter;
import java.util.function.DoubleConsumer;

/** Evaluation reports and comparisons as kagami.v1 messages. */
final class ReportMapping {

  private ReportMapping() {}

  private static void set(Double v, DoubleConsumer setter) {
    if (v != null) {
      setter.accept(v);
    }
  }

  static Report report(EvaluationReport r, boolean full) {
    EvaluationReport.Summary s = r.summary();
    KpiSummary.Builder sum = KpiSummary.newBuilder().setT2IQueries(s.t2iQueries());
    set(s.i2iMap(), sum::setI2IMap);
    set(s.i2iMapAtR(), sum::setI2IMapAtR);
    set(s.i2iRecallAt1(), sum::setI2IRecallAt1);
    set(s.knnAccuracy(), sum::setKnnAccuracy);
    set(s.zeroShotAccuracy(), sum::setZeroShotAccuracy);
    set(s.t2iRecallAt1(), sum::setT2IRecallAt1);
    set(s.t2iRecallAt5(), sum::setT2IRecallAt5);
    set(s.t2iRecallAt10(), sum::setT2IRecallAt10);
    EvaluationReport.Operations o = r.operations();
    Operations.Builder ops = Operations.newBuilder().setEmbeddedImages(o.embeddedImages()).setCachedImages(o.cachedImages())
        .setBytesPerEmbedding(o.bytesPerEmbedding()).setEmbedSeconds(o.embedSeconds()).setMetricSeconds(o.metricSeconds());
    set(o.imagesPerSecond(), ops::setImagesPerSecond);
    set(o.callLatencyP50Ms(), ops::setCallLatencyP50Ms);
    set(o.callLatencyP99Ms(), ops::setCallLatencyP99Ms);
    Report.Builder b = Report.newBuilder().setId(r.id()).setCreatedAt(r.createdAt()).setModel(r.model()).setEngine(r.engine())
        .setDataset(r.dataset()).setSplit(r.split()).setSeed(r.seed()).setImages(r.images()).setClasses(r.classes())
        .setTemplates(r.templates()).setSummary(sum).setOperations(ops).addAllNotes(r.notes());
    if (r.calibration() != null) {
      dev.kagami.api.v1.Calibration.Builder cal = dev.kagami.api.v1.Calibration.newBuilder().setPrecision(r.calibration().precision());
      if (r.calibration().imageQueries() != null) {
        cal.setImageQueryThreshold(r.calibration().imageQueries().score()).setImageQueryRecall(r.calibration().imageQueries().recall());
      }
      if (r.calibration().textQueries() != null) {
        cal.setTextQueryThreshold(r.calibration().textQueries().score()).setTextQueryRecall(r.calibration().textQueries().recall());
      }
      b.setCalibration(cal);
    }
    if (full) {
      for (EvaluationReport.ClassRow c : r.perClass()) {
        ClassKpis.Builder cb = ClassKpis.newBuilder().setLabel(c.label()).setImages(c.images());
        set(c.i2iMap(), cb::setI2IMap);
        set(c.i2iRecallAt1(), cb::setI2IRecallAt1);
        set(c.knnAccuracy(), cb::setKnnAccuracy);
        set(c.zeroShotAccuracy(), cb::setZeroShotAccuracy);
        set(c.t2iRecallAt5(), cb::setT2IRecallAt5);
        b.addPerClass(cb);
      }
      b.setMarkdown(new ReportWriter().toMarkdown(r, null));
    }
    return b.build();
  }

  static KpiDelta delta(ReportComparison.Delta d) {
    KpiDelta.Builder b = KpiDelta.newBuilder().setKpi(d.kpi());
    set(d.before(), b::setBefore);
    set(d.after(), b::setAfter);
    set(d.change(), b::setChange);
    return b.build();
  }

  static dev.kagami.api.v1.ReportComparison comparison(ReportComparison c) {
    dev.kagami.api.v1.ReportComparison.Builder b = dev.kagami.api.v1.ReportComparison.newBuilder().setBefore(c.before())
        .setAfter(c.after()).setMarkdown(c.toMarkdown());
    c.kpis().forEach(d -> b.addKpis(delta(d)));
    c.classes().stream().sorted(java.util.Comparator.comparingDouble(ReportComparison.ClassDelta::worstDrop)).forEach(cd -> {
      ClassDelta.Builder x = ClassDelta.newBuilder().setLabel(cd.label()).setWorstDrop(cd.worstDrop());
      cd.kpis().forEach(d -> x.addKpis(delta(d)));
      b.addClasses(x);
    });
    return b.build();
  }
}
