package dev.kagami.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The manifests in k8s/ as a cluster would get them: each overlay rendered by {@code kubectl kustomize},
 * parsed into fabric8's Kubernetes models with no field the models do not know (fabric8 keeps those in
 * additionalProperties), held to the deployment policy, and kept as a golden file (k8s/rendered/), so a
 * change to what is deployed shows in review. {@code KAGAMI_UPDATE_GOLDEN=1} rewrites the golden files.
 */
class KubernetesManifestsTest {

  static final Path K8S = Path.of("../k8s").toAbsolutePath().normalize();
  /**
   * The slowest start seen here: {@code bin/kagami-server} logged "started in 13.154s" with a CI build running
   * beside it (6.771s idle; kagami-clip/1 loaded in 2653 ms). The startup probe must allow 3x.
   */
  static final double MEASURED_STARTUP_SECONDS = 13.154;

  static String render(String overlay) throws Exception {
    Process p = new ProcessBuilder("kubectl", "kustomize", K8S.resolve("overlays").resolve(overlay).toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize " + overlay + ":\n" + out).isZero();
    return out;
  }

  static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (!doc.isBlank()) {
        out.add(Serialization.unmarshal(doc, HasMetadata.class));
      }
    }
    return out;
  }

  /** Every path in the model graph where a field the models do not know was kept aside. */
  static void unknownFields(Object o, String path, List<String> found, IdentityHashMap<Object, Boolean> seen) throws Exception {
    if (o == null || seen.put(o, true) != null) {
      return;
    }
    if (o instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        unknownFields(l.get(i), path + "[" + i + "]", found, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        unknownFields(e.getValue(), path + "." + e.getKey(), found, seen);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model") || o instanceof Quantity
        || o instanceof GenericKubernetesResource) {
      return;
    }
    for (Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object v = m.invoke(o);
      if (m.getName().equals("getAdditionalProperties")) {
        if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
          found.add(path + ": " + extra.keySet());
        }
      } else {
        unknownFields(v, path + "." + m.getName().substring(3), found, seen);
      }
    }
  }

  static <T> List<T> of(List<HasMetadata> all, Class<T> type) {
    return all.stream().filter(type::isInstance).map(type::cast).toList();
  }

  static double seconds(String duration) {
    assertThat(duration).matches("\\d+s");
    return Double.parseDouble(duration.substring(0, duration.length() - 1));
  }

  /** What every pod must hold: non-root, no service-account token, resources, read-only root, mounts that exist. */
  static void holdsPodPolicy(PodSpec pod) {
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    List<Container> containers = new ArrayList<>(pod.getContainers());
    if (pod.getInitContainers() != null) {
      containers.addAll(pod.getInitContainers());
    }
    List<String> volumes = pod.getVolumes().stream().map(Volume::getName).toList();
    for (Container c : containers) {
      assertThat(c.getResources().getRequests()).as(c.getName() + " requests").containsKeys("cpu", "memory");
      assertThat(c.getResources().getLimits()).as(c.getName() + " limits").containsKeys("cpu", "memory");
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(c.getName() + " read-only root").isTrue();
      assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(c.getSecurityContext().getCapabilities().getDrop()).contains("ALL");
      assertThat(c.getResources().getRequests()).as("a GPU is asked for in limits only").doesNotContainKey("nvidia.com/gpu");
      assertThat(c.getImage()).as(c.getName() + " runs a tagged image of an overlay").matches("kagami/kagami-server:.*-(cpu|gpu)");
      for (VolumeMount m : c.getVolumeMounts()) {
        assertThat(volumes).as(c.getName() + " mounts " + m.getName()).contains(m.getName());
      }
    }
  }

  static String env(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
  }

  /**
   * The scale overlay's trainer: a CronJob whose Jobs never overlap (one trainer per database), pods that
   * restart never in place, disruptions that do not count as failures, a priority below serving, a
   * checkpoint that fits the grace period, the shared volumes the replicas also mount, and replicas that
   * do not train themselves.
   */
  static void trainer(List<HasMetadata> all, Container server, PodSpec serving, List<String> claims, boolean onGpu) {
    List<CronJob> crons = of(all, CronJob.class);
    assertThat(crons).hasSize(1);
    CronJob cron = crons.get(0);
    assertThat(cron.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
    var job = cron.getSpec().getJobTemplate().getSpec();
    PodSpec pod = job.getTemplate().getSpec();
    holdsPodPolicy(pod);
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(job.getBackoffLimit()).isPositive();
    assertThat(job.getPodFailurePolicy().getRules()).as("evictions and drains are not failures")
        .anyMatch(r -> r.getAction().equals("Ignore") && r.getOnPodConditions().stream().anyMatch(c -> c.getType().equals("DisruptionTarget")));
    Map<String, Integer> priority = new java.util.HashMap<>();
    of(all, PriorityClass.class).forEach(pc -> priority.put(pc.getMetadata().getName(), pc.getValue()));
    assertThat(priority).containsKeys(pod.getPriorityClassName(), serving.getPriorityClassName());
    assertThat(priority.get(pod.getPriorityClassName())).as("training below serving").isLessThan(priority.get(serving.getPriorityClassName()));
    Container trainer = pod.getContainers().get(0);
    assertThat(trainer.getResources().getLimits().containsKey("nvidia.com/gpu")).as("the trainer's GPU").isEqualTo(onGpu);
    if (onGpu) {
      assertThat(trainer.getResources().getLimits().get("nvidia.com/gpu")).isEqualTo(new Quantity("1"));
      assertThat(pod.getTolerations()).anyMatch(t -> "nvidia.com/gpu".equals(t.getKey()));
      assertThat(pod.getNodeSelector()).containsKey("nvidia.com/gpu.present");
      assertThat(trainer.getImage()).as("the GPU image (CUDA libtorch)").endsWith("-gpu");
    } else {
      assertThat(trainer.getImage()).endsWith("-cpu");
    }
    assertThat(env(trainer, "KAGAMI_FINETUNE_EXECUTE_RUNS")).isEqualTo("true");
    assertThat(env(trainer, "KAGAMI_FINETUNE_EXIT_WHEN_IDLE")).as("a Job's worker ends").isNotBlank();
    assertThat(env(server, "KAGAMI_FINETUNE_EXECUTE_RUNS")).as("serving replicas do not train").isEqualTo("false");
    assertThat(pod.getTerminationGracePeriodSeconds()).as("the checkpoint at SIGTERM (suspend-timeout 20 s) fits")
        .isGreaterThanOrEqualTo(25L);
    assertThat(trainer.getStartupProbe()).isNotNull();
    assertThat(trainer.getLivenessProbe()).isNotNull();
    Map<String, String> labels = job.getTemplate().getMetadata().getLabels();
    for (Service s : of(all, Service.class)) {
      assertThat(labels.entrySet().containsAll(s.getSpec().getSelector().entrySet())).as("no Service sends calls to the trainer").isFalse();
    }
    assertThat(of(all, io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class))
        .as("a NetworkPolicy covers the trainer").anyMatch(np -> labels.entrySet().containsAll(np.getSpec().getPodSelector().getMatchLabels().entrySet()));
    Map<String, String> servingClaims = new java.util.HashMap<>();
    serving.getVolumes().stream().filter(v -> v.getPersistentVolumeClaim() != null)
        .forEach(v -> servingClaims.put(v.getPersistentVolumeClaim().getClaimName(), v.getName()));
    List<String> trainerClaims = pod.getVolumes().stream().filter(v -> v.getPersistentVolumeClaim() != null)
        .map(v -> v.getPersistentVolumeClaim().getClaimName()).toList();
    assertThat(claims).containsAll(trainerClaims);
    assertThat(trainerClaims).as("the model repository and the datasets' and runs' folder, shared with the replicas")
        .containsExactlyInAnyOrderElementsOf(servingClaims.keySet());
    for (String c : trainerClaims) {
      String mountServing = server.getVolumeMounts().stream().filter(m -> m.getName().equals(servingClaims.get(c))).findFirst()
          .orElseThrow().getMountPath();
      String volume = pod.getVolumes().stream().filter(v -> v.getPersistentVolumeClaim() != null
          && v.getPersistentVolumeClaim().getClaimName().equals(c)).findFirst().orElseThrow().getName();
      assertThat(trainer.getVolumeMounts()).as(c + " at the same path").anyMatch(m -> m.getName().equals(volume) && m.getMountPath().equals(mountServing));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "gpu", "scale", "scale-gpu"})
  void each_overlay_renders_parses_strictly_holds_the_policy_and_matches_its_golden_file(String overlay) throws Exception {
    String yaml = render(overlay);
    List<HasMetadata> all = parse(yaml);
    List<String> unknown = new ArrayList<>();
    for (HasMetadata r : all) {
      unknownFields(r, r.getKind() + "/" + r.getMetadata().getName(), unknown, new IdentityHashMap<>());
    }
    assertThat(unknown).as("fields the Kubernetes models do not know (typos, wrong nesting)").isEmpty();

    List<Deployment> deployments = of(all, Deployment.class);
    assertThat(deployments).hasSize(1);
    Deployment d = deployments.get(0);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
    holdsPodPolicy(pod);
    boolean gpu = pod.getContainers().stream().anyMatch(c -> c.getResources().getLimits().containsKey("nvidia.com/gpu"));
    assertThat(gpu).isEqualTo(overlay.equals("gpu"));
    if (gpu) {
      assertThat(pod.getTolerations()).anyMatch(t -> "nvidia.com/gpu".equals(t.getKey()));
      assertThat(pod.getNodeSelector()).containsKey("nvidia.com/gpu.present");
    }

    Container server = pod.getContainers().stream().filter(c -> c.getName().equals("server")).findFirst().orElseThrow();
    List<Integer> ports = server.getPorts().stream().map(ContainerPort::getContainerPort).toList();
    List<String> portNames = server.getPorts().stream().map(ContainerPort::getName).toList();
    for (Probe p : new Probe[] {server.getStartupProbe(), server.getReadinessProbe(), server.getLivenessProbe()}) {
      assertThat(p).as("server probes").isNotNull();
      assertThat(p.getGrpc()).as("native gRPC probes").isNotNull();
      assertThat(ports).contains(p.getGrpc().getPort());
    }
    Probe startup = server.getStartupProbe();
    assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold()).as("startup probe covers the measured start")
        .isGreaterThanOrEqualTo((int) Math.ceil(3 * MEASURED_STARTUP_SECONDS));
    double shutdown = server.getEnv().stream().filter(e -> e.getName().equals("QUARKUS_SHUTDOWN_TIMEOUT")).map(EnvVar::getValue)
        .mapToDouble(KubernetesManifestsTest::seconds).findFirst().orElseThrow();
    long preStop = server.getLifecycle().getPreStop().getSleep().getSeconds();
    assertThat(pod.getTerminationGracePeriodSeconds()).as("grace period covers preStop + drain")
        .isGreaterThanOrEqualTo((long) (preStop + shutdown + 5));

    for (Service s : of(all, Service.class)) {
      assertThat(podLabels).as("Service " + s.getMetadata().getName() + " selects the pods")
          .containsAllEntriesOf(s.getSpec().getSelector());
      s.getSpec().getPorts().forEach(p -> assertThat(portNames).contains(p.getTargetPort().getStrVal()));
    }
    Service grpc = of(all, Service.class).stream().filter(s -> s.getMetadata().getName().equals("kagami-grpc")).findFirst()
        .orElseThrow();
    assertThat(grpc.getSpec().getClusterIP()).as("gRPC needs per-call balancing: a headless Service").isEqualTo("None");

    List<String> claims = of(all, PersistentVolumeClaim.class).stream().map(c -> c.getMetadata().getName()).toList();
    pod.getVolumes().stream().filter(v -> v.getPersistentVolumeClaim() != null)
        .forEach(v -> assertThat(claims).contains(v.getPersistentVolumeClaim().getClaimName()));

    if (overlay.startsWith("scale")) {
      assertThat(d.getSpec().getReplicas()).isGreaterThanOrEqualTo(3);
      assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
      PodDisruptionBudget pdb = of(all, PodDisruptionBudget.class).get(0);
      assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
      assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isLessThan(d.getSpec().getReplicas());
      GenericKubernetesResource scaler = of(all, GenericKubernetesResource.class).stream()
          .filter(r -> r.getKind().equals("ScaledObject") && r.getApiVersion().equals("keda.sh/v1alpha1")).findFirst().orElseThrow();
      Map<String, Object> spec = scaler.get("spec");
      assertThat(((Map<?, ?>) spec.get("scaleTargetRef")).get("name")).isEqualTo(d.getMetadata().getName());
      assertThat(((Number) spec.get("minReplicaCount")).intValue()).isGreaterThan(pdb.getSpec().getMinAvailable().getIntVal());
      List<?> triggers = (List<?>) spec.get("triggers");
      String metric = dev.kagami.app.ServingMetrics.ENCODER_QUEUE.replace('.', '_');
      assertThat(triggers).as("scales on CPU and on the encoder queue's real metric name")
          .anyMatch(t -> "cpu".equals(((Map<?, ?>) t).get("type")))
          .anyMatch(t -> "prometheus".equals(((Map<?, ?>) t).get("type"))
              && String.valueOf(((Map<?, ?>) ((Map<?, ?>) t).get("metadata")).get("query")).contains(metric + "{"));
      GenericKubernetesResource monitor = of(all, GenericKubernetesResource.class).stream()
          .filter(r -> r.getKind().equals("ServiceMonitor")).findFirst().orElseThrow();
      Map<String, Object> ms = monitor.get("spec");
      @SuppressWarnings("unchecked")
      Map<String, String> wanted = (Map<String, String>) ((Map<?, ?>) ms.get("selector")).get("matchLabels");
      assertThat(of(all, Service.class)).as("the ServiceMonitor selects a Service with an http port")
          .anyMatch(sv -> sv.getMetadata().getLabels().entrySet().containsAll(wanted.entrySet())
              && sv.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals("http")));
      assertThat(of(all, HorizontalPodAutoscaler.class)).as("KEDA owns the HPA").isEmpty();
      String dbSecret = server.getEnv().stream().filter(e -> e.getName().equals("KAGAMI_POSTGRES_URL")).findFirst().orElseThrow()
          .getValueFrom().getSecretKeyRef().getName();
      assertThat(of(all, GenericKubernetesResource.class)).as("the database the Secret comes from")
          .anyMatch(r -> r.getKind().equals("Cluster") && r.getApiVersion().equals("postgresql.cnpg.io/v1")
              && dbSecret.equals(r.getMetadata().getName() + "-app"));
      assertThat(of(all, GenericKubernetesResource.class)).anyMatch(r -> r.getKind().equals("SolrCloud")
          && r.getApiVersion().equals("solr.apache.org/v1beta1"));
      assertThat(claims).doesNotContain("kagami-data");
      trainer(all, server, pod, claims, overlay.equals("scale-gpu"));
    } else {
      assertThat(d.getSpec().getReplicas()).as("one writer of the embedded state").isEqualTo(1);
      assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
      assertThat(of(all, GenericKubernetesResource.class)).isEmpty();
      assertThat(of(all, CronJob.class)).as("the single server trains itself").isEmpty();
    }

    Path golden = K8S.resolve("rendered").resolve(overlay + ".yaml");
    if ("1".equals(System.getenv("KAGAMI_UPDATE_GOLDEN"))) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, yaml);
    }
    assertThat(Files.readString(golden)).as("k8s/rendered/" + overlay + ".yaml is what kubectl kustomize renders now "
        + "(KAGAMI_UPDATE_GOLDEN=1 rewrites it)").isEqualTo(yaml);
  }
}
