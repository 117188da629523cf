package dev.kagami.api.grpc;

import dev.kagami.api.v1.AliasEvent;
import dev.kagami.api.v1.GateRule;
import dev.kagami.api.v1.GateRules;
import dev.kagami.api.v1.GateVerdict;
import dev.kagami.api.v1.ModelAlias;
import dev.kagami.api.v1.ModelOrigin;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.ModelVersion;
import dev.kagami.api.v1.PromoteRequest;
import dev.kagami.api.v1.PromoteResponse;
import dev.kagami.app.ModelService;
import dev.kagami.app.PromotionService;
import dev.kagami.model.ModelId;

/** kagami.v1 model registry messages from and to the application layer's values. */
final class ModelMapping {

  private ModelMapping() {}

  static ModelRef ref(ModelId id) {
    return ModelRef.newBuilder().setName(id.name()).setVersion(id.version()).build();
  }

  /** A model the request must name, name and version. */
  static ModelId required(ModelRef ref) {
    ModelId id = ProtoMapping.modelId(ref);
    if (id == null) {
      throw new dev.kagami.error.KagamiException.InvalidInput("model is required (name and version)");
    }
    return id;
  }

  static ModelVersion version(ModelService.ModelDetails d) {
    dev.kagami.registry.ModelVersion v = d.version();
    ModelVersion.Builder b = ModelVersion.newBuilder().setModel(ref(v.id())).setLayout(v.layout()).setDimension(v.dimension())
        .setChecksum(v.checksum()).setSizeBytes(v.sizeBytes()).addAllEngines(v.engines()).setOrigin(origin(v.origin()))
        .setDescription(v.description()).setCreatedBy(v.createdBy()).setCreatedAt(v.createdAt().toString())
        .addAllAliases(d.aliases()).setLoaded(d.loaded()).addAllReportIds(d.reportIds());
    v.lineage().ifPresent(l -> b.setRunId(l.runId()).setBase(ref(l.base())).setMethod(l.method()).setDataset(l.dataset()));
    v.parity().ifPresent(b::setParity);
    return b.build();
  }

  static ModelOrigin origin(dev.kagami.registry.ModelVersion.Origin o) {
    return switch (o) {
      case FOUND -> ModelOrigin.MODEL_ORIGIN_FOUND;
      case IMPORTED -> ModelOrigin.MODEL_ORIGIN_IMPORTED;
      case TRAINED -> ModelOrigin.MODEL_ORIGIN_TRAINED;
    };
  }

  static ModelAlias alias(dev.kagami.registry.ModelAlias a, String servingHere) {
    return ModelAlias.newBuilder().setAlias(a.alias()).setModel(ref(a.target())).setGeneration(a.generation())
        .setUpdatedAt(a.updatedAt().toString()).setServingHere(servingHere).build();
  }

  static GateVerdict verdict(dev.kagami.registry.GateVerdict v) {
    GateVerdict.Builder b = GateVerdict.newBuilder().setPassed(v.passed()).setCurrent(v.current()).setCandidate(v.candidate())
        .setDataset(v.dataset()).setSplit(v.split()).setCurrentReportId(v.currentReportId())
        .setCandidateReportId(v.candidateReportId());
    for (dev.kagami.registry.GateVerdict.Rule r : v.rules()) {
      GateRule.Builder rb = GateRule.newBuilder().setName(r.name()).setRequirement(r.requirement()).setPassed(r.passed())
          .setNote(r.note());
      if (r.current() != null) {
        rb.setCurrent(r.current());
      }
      if (r.candidate() != null) {
        rb.setCandidate(r.candidate());
      }
      b.addRules(rb);
    }
    return b.build();
  }

  static PromotionService.PromoteCommand command(PromoteRequest r) {
    return new PromotionService.PromoteCommand(r.getAlias(), r.hasModel() ? ProtoMapping.modelId(r.getModel()) : null,
        r.getDataset(), r.getSplit(), r.getReason(), r.getOverrideReason(), AuthInterceptor.actor(r.getActor()),
        r.getReindexCollections());
  }

  static PromoteResponse move(PromotionService.Move m, String servingHere) {
    PromoteResponse.Builder b = PromoteResponse.newBuilder().setAlias(alias(m.alias(), servingHere)).setPrevious(ref(m.previous()))
        .setOverridden(m.overridden()).addAllReplicasSwitched(m.replicasSwitched()).addAllReplicasLagging(m.replicasLagging());
    m.verdict().ifPresent(v -> b.setVerdict(verdict(v)));
    for (dev.kagami.app.CollectionRebinding.Rebuild c : m.collections()) {
      b.addCollections(dev.kagami.api.v1.CollectionRebuild.newBuilder().setCollection(c.collection()).setAlias(c.alias())
          .setTarget(c.target()).setJobId(c.jobId() == null ? "" : c.jobId()).setNote(c.note()));
    }
    return b.build();
  }

  static AliasEvent event(dev.kagami.registry.AliasEvent e) {
    AliasEvent.Builder b = AliasEvent.newBuilder().setId(e.id()).setAlias(e.alias()).setKind(e.kind().name()).setTo(ref(e.to()))
        .setGeneration(e.generation()).setActor(e.actor()).setReason(e.reason()).setOverridden(e.overridden())
        .setAt(e.at().toString());
    e.from().ifPresent(f -> b.setFrom(ref(f)));
    e.verdict().ifPresent(v -> b.setVerdict(verdict(v)));
    return b.build();
  }

  static GateRules rules(dev.kagami.registry.GateRules r) {
    return GateRules.newBuilder().setMinMapGain(r.minMapGain()).setTextTolerance(r.textTolerance())
        .setMaxClassApDrop(r.maxClassApDrop()).setMaxLatencyP99Ms(r.maxLatencyP99Ms()).setRequireParity(r.requireParity()).build();
  }

  static dev.kagami.registry.GateRules rules(GateRules r) {
    return new dev.kagami.registry.GateRules(r.getMinMapGain(), r.getTextTolerance(), r.getMaxClassApDrop(),
        r.getMaxLatencyP99Ms(), r.getRequireParity());
  }
}
