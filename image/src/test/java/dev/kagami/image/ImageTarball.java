package dev.kagami.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * An image tarball as {@code docker load} reads it (Jib's {@code buildTar} output): {@code manifest.json}
 * naming the config and the layers, each layer a tar (gzip-compressed or not). Extracted with the system's
 * tar, which also lists and unpacks the layers.
 */
record ImageTarball(Path dir, JsonNode config, List<Layer> layers, List<String> repoTags) {

  /** One layer: its file, its uncompressed digest (the config's diff_id) and its history comment. */
  record Layer(Path file, String diffId, String comment) {}

  static ImageTarball extract(Path tarball, Path into) throws IOException, InterruptedException {
    Files.createDirectories(into);
    run(List.of("tar", "-xf", tarball.toString(), "-C", into.toString()));
    ObjectMapper json = new ObjectMapper();
    JsonNode manifest = json.readTree(into.resolve("manifest.json").toFile());
    if (!manifest.isArray() || manifest.size() != 1) {
      throw new IllegalStateException("manifest.json should hold one image: " + manifest);
    }
    JsonNode m = manifest.get(0);
    JsonNode config = json.readTree(into.resolve(m.get("Config").asText()).toFile());
    List<String> diffIds = new ArrayList<>();
    config.path("rootfs").path("diff_ids").forEach(d -> diffIds.add(d.asText()));
    List<String> comments = new ArrayList<>();
    config.path("history").forEach(h -> {
      if (!h.path("empty_layer").asBoolean(false)) {
        comments.add(h.path("comment").asText(h.path("created_by").asText("")));
      }
    });
    List<Layer> layers = new ArrayList<>();
    JsonNode files = m.get("Layers");
    for (int i = 0; i < files.size(); i++) {
      layers.add(new Layer(into.resolve(files.get(i).asText()), i < diffIds.size() ? diffIds.get(i) : "",
          i < comments.size() ? comments.get(i) : ""));
    }
    List<String> tags = new ArrayList<>();
    m.path("RepoTags").forEach(t -> tags.add(t.asText()));
    return new ImageTarball(into, config, layers, tags);
  }

  /** sha256 of the layer's uncompressed bytes, as {@code sha256:<hex>}. */
  static String uncompressedDigest(Path layer) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(layer))) {
      raw.mark(2);
      boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
      raw.reset();
      try (InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          sha.update(buf, 0, n);
        }
      }
    }
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }

  /** The layer's entries as {@code tar -tv} lists them (mode, owner, size, date, path). */
  static List<String> list(Path layer) throws IOException, InterruptedException {
    return run(List.of("tar", "--numeric-owner", "-tvf", layer.toString()));
  }

  /** Unpacks the layers in order into {@code rootfs}, keeping owners and modes (needs root). */
  void unpack(Path rootfs) throws IOException, InterruptedException {
    Files.createDirectories(rootfs);
    for (Layer l : layers) {
      run(List.of("tar", "--numeric-owner", "--same-owner", "-xpf", l.file().toString(), "-C", rootfs.toString()));
    }
  }

  static List<String> run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try (var r = p.inputReader()) {
      for (String line; (line = r.readLine()) != null; ) {
        lines.add(line);
      }
    }
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + String.join("\n", lines));
    }
    return lines;
  }
}
