package dev.kagami.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The pods of the {@code scale} overlay as its rendered manifests ({@code k8s/rendered/scale.yaml}, which
 * {@code KubernetesManifestsTest} keeps equal to {@code kubectl kustomize k8s/overlays/scale}) configure
 * them, turned into a process environment on this machine: the ConfigMap's entries and the container's own
 * env, Secrets from what the test supplies, each volume mount's path replaced by a folder standing for that
 * volume, and Service addresses by the real ones. Nothing else is changed, and a Secret, Service or
 * volume the test does not know fails loudly, so the test follows the overlay as it changes.
 */
final class ScaleOverlay {

  /** One container of a pod template. */
  record Container(String pod, JsonNode spec, JsonNode podSpec) {

    /** containerPort by port name ({@code grpc}, {@code http}). */
    Map<String, Integer> ports() {
      Map<String, Integer> ports = new LinkedHashMap<>();
      spec.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
      return ports;
    }

    /** What each mounted volume is: {@code pvc:<claim>} (shared by every pod) or {@code emptyDir:<name>} (the pod's own). */
    Map<String, String> mounts() {
      Map<String, String> volumes = new LinkedHashMap<>();
      podSpec.path("volumes").forEach(v -> {
        String kind = v.has("persistentVolumeClaim") ? "pvc:" + v.path("persistentVolumeClaim").path("claimName").asText()
            : v.has("emptyDir") ? "emptyDir:" + v.path("name").asText() : null;
        if (kind == null) {
          throw new IllegalStateException(pod + ": volume " + v.path("name").asText() + " is neither a claim nor an emptyDir");
        }
        volumes.put(v.path("name").asText(), kind);
      });
      Map<String, String> mounts = new LinkedHashMap<>();
      spec.path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asText(), volumes.get(m.path("name").asText())));
      return mounts;
    }
  }

  private final List<JsonNode> docs = new ArrayList<>();

  ScaleOverlay(Path rendered) throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    try (var it = yaml.readerFor(JsonNode.class).<JsonNode>readValues(rendered.toFile())) {
      while (it.hasNext()) {
        docs.add(it.next());
      }
    }
  }

  /** The serving Deployment's container {@code name}. */
  Container serving(String name) {
    JsonNode pod = find("Deployment", "kagami-server").path("spec").path("template").path("spec");
    return container(pod, name);
  }

  /** The trainer CronJob's Job's container {@code name}. */
  Container trainer(String name) {
    JsonNode pod = find("CronJob", "kagami-trainer").path("spec").path("jobTemplate").path("spec").path("template").path("spec");
    return container(pod, name);
  }

  /** The data of the ConfigMap whose generated name starts with {@code prefix-}. */
  Map<String, String> configMap(String prefix) {
    for (JsonNode d : docs) {
      if (d.path("kind").asText().equals("ConfigMap") && d.path("metadata").path("name").asText().startsWith(prefix + "-")) {
        Map<String, String> data = new LinkedHashMap<>();
        d.path("data").fields().forEachRemaining(e -> data.put(e.getKey(), e.getValue().asText()));
        return data;
      }
    }
    throw new IllegalStateException("no ConfigMap " + prefix + "-<hash> in the rendered overlay");
  }

  /**
   * The environment of {@code c}: envFrom ConfigMaps, then its env (values, Secret keys from {@code secrets}
   * by {@code <secret>/<key>}); then every value's Service address as {@code services} maps it and every mount
   * path as {@code volumeDir} (volume kind, mount path) maps it.
   */
  Map<String, String> environment(Container c, Map<String, String> secrets, Map<String, String> services,
      BiFunction<String, String, Path> volumeDir) {
    Map<String, String> env = new LinkedHashMap<>();
    c.spec().path("envFrom").forEach(from -> {
      String name = from.path("configMapRef").path("name").asText();
      if (name.isEmpty()) {
        throw new IllegalStateException(c.pod() + ": only configMapRef envFrom is known here: " + from);
      }
      env.putAll(configMapNamed(name));
    });
    c.spec().path("env").forEach(e -> {
      String key = e.path("name").asText();
      if (e.has("value")) {
        env.put(key, e.path("value").asText());
      } else {
        JsonNode ref = e.path("valueFrom").path("secretKeyRef");
        String secret = ref.path("name").asText() + "/" + ref.path("key").asText();
        if (!secrets.containsKey(secret)) {
          throw new IllegalStateException(c.pod() + ": env " + key + " reads Secret key " + secret + ", which the test does not supply");
        }
        env.put(key, secrets.get(secret));
      }
    });
    Map<String, String> mounts = c.mounts();
    List<String> paths = mounts.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
    env.replaceAll((k, v) -> {
      String out = v;
      for (var s : services.entrySet()) {
        out = out.replace(s.getKey(), s.getValue());
      }
      if (out.contains(".svc") || out.matches(".*https?://kagami-.*")) {
        throw new IllegalStateException(c.pod() + ": env " + k + " names a Service the test does not map: " + out);
      }
      for (String p : paths) { // a mount path at a path boundary: /data, /data/tmp, not /database
        out = out.replaceAll("(?<![\\w/.-])" + java.util.regex.Pattern.quote(p) + "(?=/|$|\\s|,|:)",
            java.util.regex.Matcher.quoteReplacement(volumeDir.apply(mounts.get(p), p).toString()));
      }
      return out;
    });
    return env;
  }

  private Map<String, String> configMapNamed(String name) {
    for (JsonNode d : docs) {
      if (d.path("kind").asText().equals("ConfigMap") && d.path("metadata").path("name").asText().equals(name)) {
        Map<String, String> data = new LinkedHashMap<>();
        d.path("data").fields().forEachRemaining(e -> data.put(e.getKey(), e.getValue().asText()));
        return data;
      }
    }
    throw new IllegalStateException("envFrom names ConfigMap " + name + ", which the rendered overlay does not have");
  }

  private Container container(JsonNode podSpec, String name) {
    for (JsonNode c : podSpec.path("containers")) {
      if (c.path("name").asText().equals(name)) {
        return new Container(name, c, podSpec);
      }
    }
    throw new IllegalStateException("no container " + name);
  }

  private JsonNode find(String kind, String name) {
    return docs.stream()
        .filter(d -> d.path("kind").asText().equals(kind) && d.path("metadata").path("name").asText().equals(name))
        .findFirst().orElseThrow(() -> new IllegalStateException("no " + kind + " " + name + " in the rendered overlay"));
  }
}
