package dev.kagami.security;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one table from every gRPC method and REST route to the role it needs. gRPC methods are named
 * {@code package.Service/Method}; REST routes {@code VERB /path/{param}} as the resources declare them.
 * Health is the only call without a key ({@link #PUBLIC}); anything not in the table is refused, and a
 * test checks that every method and route the server has is in it.
 */
public final class AccessPolicy {

  /** The marker for calls that need no key. */
  public static final Optional<Role> PUBLIC = Optional.empty();

  private static final Map<String, Optional<Role>> TABLE = new LinkedHashMap<>();

  private static void grpc(String service, Role role, String... methods) {
    for (String m : methods) {
      TABLE.put(service + "/" + m, Optional.of(role));
    }
  }

  private static void rest(Role role, String... routes) {
    for (String r : routes) {
      TABLE.put(r, Optional.of(role));
    }
  }

  static {
    TABLE.put("grpc.health.v1.Health/Check", PUBLIC);
    TABLE.put("grpc.health.v1.Health/Watch", PUBLIC);
    grpc("grpc.reflection.v1alpha.ServerReflection", Role.ADMIN, "ServerReflectionInfo");
    grpc("grpc.reflection.v1.ServerReflection", Role.ADMIN, "ServerReflectionInfo");
    grpc("kagami.v1.EmbeddingService", Role.READER, "Embed", "EmbedStream");
    grpc("kagami.v1.SearchService", Role.READER, "Get", "Search", "Stats", "ListCollections");
    grpc("kagami.v1.SearchService", Role.WRITER, "CreateCollection", "Upsert", "UpsertStream", "Delete", "DeleteCollection",
        "SetAlias", "Reindex");
    grpc("kagami.v1.DatasetService", Role.READER, "ListDatasets", "GetDataset");
    grpc("kagami.v1.DatasetService", Role.WRITER, "ImportDataset");
    grpc("kagami.v1.EvaluationService", Role.READER, "ListReports", "GetReport", "CompareReports");
    grpc("kagami.v1.EvaluationService", Role.ADMIN, "Evaluate");
    grpc("kagami.v1.FineTuneService", Role.READER, "GetRun", "ListRuns", "WatchRun");
    grpc("kagami.v1.FineTuneService", Role.ADMIN, "StartRun", "CancelRun");
    grpc("kagami.v1.ModelService", Role.READER, "ListModels", "GetModel", "ListAliases", "ListAliasEvents", "GetGateRules");
    grpc("kagami.v1.ModelService", Role.ADMIN, "ImportModel", "ExportModel", "UploadModel", "LoadModel", "UnloadModel", "DeleteModel",
        "CheckGate", "Promote", "Rollback", "SetGateRules");
    grpc("kagami.v1.JobService", Role.READER, "ListJobs", "GetJob", "WatchJob");
    grpc("kagami.v1.JobService", Role.ADMIN, "CancelJob");

    rest(Role.READER, "GET /api/v1/info", "GET /api/v1/operations",
        "GET /api/v1/datasets", "GET /api/v1/datasets/{name}", "GET /api/v1/datasets/{name}/items/{id}/image",
        "GET /api/v1/reports", "GET /api/v1/reports/compare", "GET /api/v1/reports/{id}", "GET /api/v1/reports/{id}/export",
        "GET /api/v1/jobs", "GET /api/v1/jobs/{id}", "GET /api/v1/jobs/{id}/events",
        "GET /api/v1/runs", "GET /api/v1/runs/{id}", "GET /api/v1/runs/{id}/events", "POST /api/v1/runs/estimate",
        "GET /api/v1/models", "GET /api/v1/models/{name}/{version}", "GET /api/v1/aliases", "GET /api/v1/aliases/events",
        "GET /api/v1/aliases/{alias}/rules",
        "GET /api/v1/collections", "GET /api/v1/collections/{name}", "POST /api/v1/collections/{name}/search",
        "POST /api/v1/collections/{name}/search/image", "POST /api/v1/search/compare",
        "GET /api/v1/collections/{name}/items/{id}/image", "POST /api/v1/search/side-by-side",
        "GET /api/v1/poc/{runId}", "GET /api/v1/poc/{runId}/pdf", "GET /api/v1/whoami");
    rest(Role.WRITER, "POST /api/v1/datasets", "POST /api/v1/datasets/upload");
    rest(Role.ADMIN, "POST /api/v1/evaluations", "POST /api/v1/runs", "POST /api/v1/runs/{id}/cancel",
        "POST /api/v1/jobs/{id}/cancel",
        "POST /api/v1/models", "POST /api/v1/models/upload", "GET /api/v1/models/{name}/{version}/export",
        "POST /api/v1/models/{name}/{version}/load", "POST /api/v1/models/{name}/{version}/unload",
        "DELETE /api/v1/models/{name}/{version}",
        "POST /api/v1/aliases/{alias}/gate", "POST /api/v1/aliases/{alias}/promote", "POST /api/v1/aliases/{alias}/rollback",
        "PUT /api/v1/aliases/{alias}/rules",
        "GET /api/v1/keys", "POST /api/v1/keys", "DELETE /api/v1/keys/{id}", "GET /api/v1/audit");
  }

  private AccessPolicy() {}

  /**
   * The role {@code call} needs: empty for a public call; null when the table does not know the call
   * (refused).
   */
  @SuppressWarnings("java:S2789")
  public static Optional<Role> required(String call) {
    return TABLE.get(call);
  }

  /** Every call the table knows, with its role (empty: public). */
  public static Map<String, Optional<Role>> table() {
    return java.util.Collections.unmodifiableMap(TABLE);
  }
}
