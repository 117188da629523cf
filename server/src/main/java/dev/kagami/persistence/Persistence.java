package dev.kagami.persistence;

import dev.kagami.config.KagamiConfig;
import dev.kagami.dataset.ImageRefResolver;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.InjectableInstance;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Default;
import jakarta.enterprise.inject.Produces;

/**
 * Picks the datasource that holds Kagami's tables ({@code kagami.persistence.database}) and provides the
 * repositories on it. Flyway migrates each active datasource at start-up (db/migration).
 */
@ApplicationScoped
public class Persistence {

  private final DatasetRepository datasets;
  private final ReportRepository reports;
  private final RunRepository runs;
  private final JobRepository jobs;
  private final ModelRepository models;
  private final ReplicaRepository replicas;
  private final KeyRepository keys;
  private final AliasNotifications notifications;

  public Persistence(KagamiConfig config, @Any InjectableInstance<AgroalDataSource> dataSources) {
    AgroalDataSource ds = switch (config.persistence().database()) {
      case H2 -> dataSources.select(Default.Literal.INSTANCE).get();
      case POSTGRESQL -> dataSources.select(new io.quarkus.agroal.DataSource.DataSourceLiteral("postgresql")).get();
    };
    this.datasets = new DatasetRepository(ds, new ImageRefResolver());
    this.reports = new ReportRepository(ds);
    this.runs = new RunRepository(ds);
    this.jobs = new JobRepository(ds);
    this.models = new ModelRepository(ds);
    this.replicas = new ReplicaRepository(ds);
    this.keys = new KeyRepository(ds);
    this.notifications = new AliasNotifications(ds);
  }

  @Produces
  public AliasNotifications aliasNotifications() {
    return notifications;
  }

  @Produces
  public DatasetRepository datasets() {
    return datasets;
  }

  @Produces
  public ReportRepository reports() {
    return reports;
  }

  @Produces
  public RunRepository runs() {
    return runs;
  }

  @Produces
  public JobRepository jobs() {
    return jobs;
  }

  @Produces
  public ModelRepository models() {
    return models;
  }

  @Produces
  public ReplicaRepository replicas() {
    return replicas;
  }

  @Produces
  public KeyRepository keys() {
    return keys;
  }
}
