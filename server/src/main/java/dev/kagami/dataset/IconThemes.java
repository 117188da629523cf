package dev.kagami.dataset;

import dev.kagami.error.KagamiException.InvalidInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Freedesktop icon themes (Debian's {@code /usr/share/icons}) read as an instance-level benchmark: the same
 * icon name drawn by several themes is one object seen in different styles. For each theme, each icon name
 * is taken once, from its best file (a scalable SVG first, then the largest PNG); symbolic (monochrome)
 * icons, high-DPI duplicates ({@code @2x}) and symlinks (a theme's aliases of one drawing) are left out.
 * Themes lay their folders out differently ({@code 48x48/actions}, {@code actions/48}, {@code base/48x48/actions},
 * {@code 48/actions}): the size is the folder that looks like one, the context the folder that names one.
 */
public final class IconThemes {

  /** The themes the benchmark is made of by default, as Debian names their folders (case does not matter). */
  public static final List<String> DEFAULT_THEMES = List.of("Papirus", "breeze", "Adwaita", "oxygen", "Tango", "Numix",
      "elementary-xfce", "mate", "Yaru", "gnome", "Moka", "Faenza", "Paper", "Suru", "deepin", "Obsidian");

  /** Freedesktop contexts and the words a caption uses for them. */
  static final Map<String, String> CONTEXTS = Map.ofEntries(Map.entry("actions", "action"), Map.entry("apps", "application"),
      Map.entry("applications", "application"), Map.entry("categories", "category"), Map.entry("devices", "device"),
      Map.entry("emblems", "emblem"), Map.entry("emotes", "emote"), Map.entry("mimetypes", "file type"),
      Map.entry("mimes", "file type"), Map.entry("places", "place"), Map.entry("status", "status"),
      Map.entry("animations", "animation"), Map.entry("notifications", "notification"), Map.entry("panel", "panel"),
      Map.entry("preferences", "preferences"), Map.entry("applets", "applet"), Map.entry("intl", "flag"),
      Map.entry("legacy", ""));

  private static final Pattern SIZE = Pattern.compile("(\\d+)(?:x\\d+)?(@\\d+x)?");

  /** One icon of one theme: its name, context folder, the file chosen and that file's nominal size (0: scalable). */
  public record Icon(String theme, String name, String context, Path file, int nominalSize) {

    public boolean svg() {
      return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".svg");
    }
  }

  private IconThemes() {}

  /** The theme folders under {@code root} that {@code wanted} names (case-insensitive), in the order given. */
  public static List<Path> themes(Path root, List<String> wanted) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new InvalidInput(root + " is not a folder");
    }
    Map<String, Path> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    try (Stream<Path> s = Files.list(root)) {
      s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(p -> byName.put(p.getFileName().toString(), p));
    }
    List<Path> out = new ArrayList<>();
    for (String w : wanted) {
      Path p = byName.get(w);
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  /** Every icon name of one theme, each from its best file. */
  public static List<Icon> scan(Path themeDir) throws IOException {
    String theme = themeDir.getFileName().toString();
    Map<String, Icon> best = new LinkedHashMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(themeDir)) {
      files = s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
    }
    for (Path f : files) {
      String fn = f.getFileName().toString();
      String lower = fn.toLowerCase(Locale.ROOT);
      if (!(lower.endsWith(".svg") || lower.endsWith(".png"))) {
        continue;
      }
      String name = fn.substring(0, fn.lastIndexOf('.'));
      if (name.endsWith("-symbolic") || name.endsWith(".symbolic")) {
        continue;
      }
      Path rel = themeDir.relativize(f);
      String context = null;
      int size = -1;
      boolean hiDpi = false;
      for (int i = 0; i < rel.getNameCount() - 1; i++) {
        String part = rel.getName(i).toString();
        Matcher m = SIZE.matcher(part);
        if (m.matches()) {
          size = Integer.parseInt(m.group(1));
          hiDpi |= m.group(2) != null;
        } else if (part.equals("scalable")) {
          size = 0;
        } else if (CONTEXTS.containsKey(part)) {
          context = part;
        }
      }
      if (hiDpi || context == null) {
        continue;
      }
      Icon icon = new Icon(theme, name, context, f, lower.endsWith(".svg") ? Math.max(size, 0) : Math.max(size, 1));
      best.merge(name, icon, (a, b) -> preference(b) > preference(a) ? b : a);
    }
    return List.copyOf(best.values());
  }

  /** Higher is better: any SVG beats any PNG, a larger drawing beats a smaller one (a scalable SVG the largest). */
  static int preference(Icon i) {
    if (i.svg()) {
      return 1_000_000 + (i.nominalSize() == 0 ? 100_000 : i.nominalSize());
    }
    return i.nominalSize();
  }

  /** Icon names drawn by at least {@code minThemes} of the themes, each with its icons in theme order. */
  public static Map<String, List<Icon>> shared(List<List<Icon>> themes, int minThemes) {
    Map<String, List<Icon>> byName = new TreeMap<>();
    for (List<Icon> t : themes) {
      for (Icon i : t) {
        byName.computeIfAbsent(i.name(), k -> new ArrayList<>()).add(i);
      }
    }
    byName.values().removeIf(l -> l.size() < minThemes);
    return byName;
  }

  /**
   * A caption from an icon's name and the contexts its themes file it under (the most common one that has
   * words): {@code edit-copy} in {@code actions} is "edit copy action icon".
   */
  public static String caption(String name, List<Icon> icons) {
    Map<String, Long> votes = new TreeMap<>();
    for (Icon i : icons) {
      String w = CONTEXTS.get(i.context());
      if (w != null && !w.isEmpty()) {
        votes.merge(w, 1L, Long::sum);
      }
    }
    String words = name.replaceAll("[-_.]+", " ").replaceAll("\\s+", " ").strip();
    String context = votes.entrySet().stream().max(Map.Entry.<String, Long>comparingByValue()
        .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder()))).map(Map.Entry::getKey).orElse("");
    return (words + (context.isEmpty() ? "" : " " + context) + " icon").strip();
  }

  /** The contexts known to {@link #scan}. */
  public static Set<String> contexts() {
    return CONTEXTS.keySet();
  }
}
