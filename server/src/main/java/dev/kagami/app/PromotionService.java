package dev.kagami.app;

import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.embedding.ModelRegistry;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.evaluation.PromotionGate;
import dev.kagami.evaluation.ReportStore;
import dev.kagami.model.ModelId;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.ModelRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.registry.AliasEvent;
import dev.kagami.registry.GateVerdict;
import dev.kagami.registry.ModelAlias;
import dev.kagami.registry.ModelVersion;
import dev.kagami.training.Evaluations;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Moving an alias: Promote (through the gate, or past it with a written reason) and Rollback (back to where
 * it was before its last move). A move first loads and warms the new version beside the old one, then
 * switches serving, then records the move (compare-and-set on the alias's generation, with its audit row);
 * if recording fails, serving switches back. The version the alias left is retired once no alias serves it
 * and no collection is bound to it.
 */
@ApplicationScoped
public class PromotionService {

  /** The gate's evaluations: every KPI with the default templates (the evaluation API's defaults, so their reports are reused). */
  static final Evaluator.Options GATE_OPTIONS = Evaluator.Options.defaults();

  /**
   * A Promote or Rollback: the alias where it now points, where it pointed, the verdict, whether overridden,
   * the replicas, and the collections bound to the version it left (re-indexed for the new one when asked).
   */
  public record Move(ModelAlias alias, ModelId previous, Optional<GateVerdict> verdict, boolean overridden,
      List<String> replicasSwitched, List<String> replicasLagging, List<CollectionRebinding.Rebuild> collections) {}

  /**
   * What Promote and CheckGate are asked; {@code reindex}: rebuild the collections bound to the version the
   * alias leaves, for the new one, behind their aliases.
   */
  public record PromoteCommand(String alias, ModelId model, String dataset, String split, String reason, String overrideReason,
      String actor, boolean reindex) {

    public PromoteCommand(String alias, ModelId model, String dataset, String split, String reason, String overrideReason,
        String actor) {
      this(alias, model, dataset, split, reason, overrideReason, actor, false);
    }
  }

  private final ModelService models;
  private final ModelRegistry registry;
  private final ModelRepository repo;
  private final DatasetRepository datasets;
  private final ReportStore reports;
  private final Evaluations evaluations;
  private final AliasFollower follower;
  private final CollectionRebinding rebinding;

  public PromotionService(ModelService models, ModelRegistry registry, ModelRepository repo, DatasetRepository datasets,
      ReportStore reports, Evaluations evaluations, AliasFollower follower, CollectionRebinding rebinding) {
    this.follower = follower;
    this.rebinding = rebinding;
    this.models = models;
    this.registry = registry;
    this.repo = repo;
    this.datasets = datasets;
    this.reports = reports;
    this.evaluations = evaluations;
  }

  /** The gate's verdict on {@code cmd}, evaluating whichever version has no report on the dataset and split. */
  public GateVerdict check(PromoteCommand cmd) {
    String alias = ModelService.aliasOr(cmd.alias());
    ModelAlias current = repo.alias(alias).orElseThrow(() -> new NotFound("no alias '" + alias + "'"));
    return judge(alias, current.target(), cmd);
  }

  private GateVerdict judge(String alias, ModelId currentId, PromoteCommand cmd) {
    if (cmd.model() == null) {
      throw new InvalidInput("model is required: the version to promote");
    }
    ModelVersion candidate = models.requireRegistered(cmd.model());
    if (cmd.dataset() == null || cmd.dataset().isBlank()) {
      throw new InvalidInput("dataset is required: the stored dataset both versions are judged on");
    }
    StoredDataset d = datasets.find(cmd.dataset()).orElseThrow(() -> new NotFound("no dataset named '" + cmd.dataset() + "'"));
    Split split = EvaluationService.parseSplit(cmd.split());
    if (split == Split.TRAIN) {
      throw new InvalidInput("the gate judges on the validation or test split, not on the training split");
    }
    models.requireRegistered(currentId);
    EvaluationReport before = report(currentId, d, split);
    EvaluationReport after = report(candidate.id(), d, split);
    ModelVersion judged = candidate;
    if (candidate.hasBothEngines() && candidate.parity().isEmpty()) {
      // a found package was never checked: measure it now (the registered row stays as it was)
      OptionalDouble p = registry.loader().measureParity(registry.packageFolder(candidate.id().name(), candidate.id().version()));
      if (p.isPresent()) {
        judged = new ModelVersion(candidate.id(), candidate.layout(), candidate.dimension(), candidate.checksum(),
            candidate.sizeBytes(), candidate.engines(), candidate.origin(), candidate.lineage(), Optional.of(p.getAsDouble()),
            candidate.description(), candidate.createdBy(), candidate.createdAt());
      }
    }
    return PromotionGate.judge(models.gateRules(alias), before, after, judged);
  }

  /** The newest report of {@code id} on the dataset and split with the gate's templates, or a new one. */
  private EvaluationReport report(ModelId id, StoredDataset d, Split split) {
    String splitName = split.name().toLowerCase(Locale.ROOT);
    Optional<EvaluationReport> stored = reports.list(d.dataset().name(), id.toString(), 200).stream()
        .filter(r -> r.split().equalsIgnoreCase(splitName) && GATE_OPTIONS.templateSetName().equals(r.templates())).findFirst();
    if (stored.isPresent()) {
      return stored.get();
    }
    try (ModelRegistry.Lease lease = registry.lease(id.name(), id.version())) {
      return evaluations.evaluate(lease.runtime(), d, split, GATE_OPTIONS, ImportProgress.NONE);
    }
  }

  /**
   * Moves the alias to {@code cmd.model()} if the gate passes it, or with {@code overrideReason}; refuses a
   * failing candidate with FAILED_PRECONDITION naming every failing rule.
   */
  public Move promote(PromoteCommand cmd) {
    String alias = ModelService.aliasOr(cmd.alias());
    ModelAlias current = repo.alias(alias).orElseThrow(() -> new NotFound("no alias '" + alias + "'"));
    if (cmd.model() != null && current.target().equals(cmd.model())) {
      throw new FailedPrecondition("alias '" + alias + "' already points at " + cmd.model());
    }
    GateVerdict verdict = judge(alias, current.target(), cmd);
    boolean override = cmd.overrideReason() != null && !cmd.overrideReason().isBlank();
    if (!verdict.passed() && !override) {
      throw new FailedPrecondition("the promotion gate refuses " + cmd.model() + " for alias '" + alias + "' (judged on "
          + verdict.dataset() + "/" + verdict.split() + " against " + verdict.current() + "): " + verdict.failures()
          + "; promote with an override reason to move it anyway");
    }
    String reason = override && !verdict.passed() ? "override: " + cmd.overrideReason().strip()
        : cmd.reason() == null || cmd.reason().isBlank() ? "promoted through the gate" : cmd.reason().strip();
    return move(current, cmd.model(), AliasEvent.Kind.PROMOTE, ModelService.actorOr(cmd.actor()), reason, Optional.of(verdict),
        override && !verdict.passed(), cmd.reindex());
  }

  /** Moves the alias back to the version it pointed at before its last move. */
  public Move rollback(String aliasName, String reason, String actor) {
    String alias = ModelService.aliasOr(aliasName);
    ModelAlias current = repo.alias(alias).orElseThrow(() -> new NotFound("no alias '" + alias + "'"));
    AliasEvent last = repo.events(alias, 1).stream().findFirst()
        .orElseThrow(() -> new FailedPrecondition("alias '" + alias + "' has no history to roll back"));
    ModelId back = last.from().orElseThrow(() -> new FailedPrecondition("alias '" + alias + "' has pointed at "
        + current.target() + " since it was created; there is nothing to roll back to"));
    models.requireRegistered(back);
    return move(current, back, AliasEvent.Kind.ROLLBACK, ModelService.actorOr(actor),
        reason == null || reason.isBlank() ? "rolled back from " + current.target() : reason.strip(), Optional.empty(), false,
        false);
  }

  /**
   * Serves {@code to} here, records the move, then waits for the other live replicas to follow (they poll
   * the database); the answer names those that switched and those that did not within the replica timeout.
   */
  private Move move(ModelAlias current, ModelId to, AliasEvent.Kind kind, String actor, String reason,
      Optional<GateVerdict> verdict, boolean overridden, boolean reindex) {
    ModelAlias moved = follower.moving(() -> {
      ModelRuntime before = registry.resolveAlias(current.alias()).orElse(null);
      registry.swap(current.alias(), to.name(), to.version()); // throws, changing nothing, if `to` cannot serve
      ModelAlias m;
      try {
        m = repo.move(new AliasEvent(0, current.alias(), kind, Optional.of(current.target()), to, current.generation() + 1,
            actor, reason, verdict, overridden, Instant.now()));
      } catch (RuntimeException e) {
        registry.swap(current.alias(), current.target().name(), current.target().version());
        throw e;
      }
      follower.served(m.alias(), m.generation(), to.toString());
      if (before != null) {
        models.retireIfIdle(before);
      }
      return m;
    });
    AliasFollower.Spread spread = follower.await(moved.alias(), moved.generation());
    List<CollectionRebinding.Rebuild> collections = rebinding.rebind(current.target(), to, reindex);
    return new Move(moved, current.target(), verdict, overridden, spread.switched(), spread.lagging(), collections);
  }
}
