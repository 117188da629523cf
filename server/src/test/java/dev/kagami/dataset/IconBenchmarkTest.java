package dev.kagami.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.concurrent.Parallel;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The icon-theme benchmark on a made-up theme folder whose every case is known (layouts, aliases, symbolic
 * and high-DPI files, a recolour, a copied file, a class too few themes draw), then on Debian's themes when
 * they are installed (.ci/run installs a few).
 */
class IconBenchmarkTest {

  static String svg(String version, String body) {
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"" + version + "\" width=\"48\" height=\"48\" viewBox=\"0 0 48 48\">"
        + body + "</svg>";
  }

  static final String CIRCLE_RED = svg("1.1", "<circle cx=\"24\" cy=\"24\" r=\"18\" fill=\"#d02020\"/><rect x=\"20\" y=\"8\" "
      + "width=\"8\" height=\"14\" fill=\"#ffffff\"/>");
  static final String CIRCLE_GREEN = CIRCLE_RED.replace("#d02020", "#20a040"); // the same drawing, recoloured
  static final String SQUARE = svg("1", "<rect x=\"6\" y=\"6\" width=\"36\" height=\"36\" fill=\"#2040c0\"/>"); // version "1"
  static final String BARS = svg("1.1", "<rect x=\"4\" y=\"4\" width=\"10\" height=\"40\" fill=\"#333\"/><rect x=\"30\" y=\"4\" "
      + "width=\"10\" height=\"40\" fill=\"#333\"/>");
  static final String CROSS = svg("1.1", "<rect x=\"20\" y=\"2\" width=\"8\" height=\"44\" fill=\"#a06000\"/><rect x=\"2\" y=\"20\" "
      + "width=\"44\" height=\"8\" fill=\"#a06000\"/>");

  /** The same look in other bytes (the same file under two names is kept once, across classes too). */
  static String other(String svg) {
    return svg.replace("</svg>", "<!-- w --></svg>");
  }

  static void write(Path f, String text) throws IOException {
    Files.createDirectories(f.getParent());
    Files.writeString(f, text, StandardCharsets.UTF_8);
  }

  static void triangle(Path f, int size) throws IOException {
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = img.createGraphics();
    g.setColor(new Color(0x208080));
    g.fillPolygon(new int[] {size / 2, size - 2, 2}, new int[] {2, size - 2, size - 2}, 3);
    g.dispose();
    Files.createDirectories(f.getParent());
    ImageIO.write(img, "png", f.toFile());
  }

  /** Five themes in four layouts; "x" is drawn distinctly by A-D and recoloured by E, "y" only by three. */
  static Path themes(Path root) throws IOException {
    write(root.resolve("ThemeA/48x48/actions/x.svg"), CIRCLE_RED);
    Files.createSymbolicLink(root.resolve("ThemeA/48x48/actions/x-alias.svg"), root.resolve("ThemeA/48x48/actions/x.svg"));
    write(root.resolve("ThemeA/48x48/actions/x-symbolic.svg"), SQUARE);
    triangle(root.resolve("ThemeA/16x16/actions/w.png"), 16);
    write(root.resolve("ThemeA/48x48/actions/w.svg"), other(BARS)); // an SVG beats a PNG of the same name
    write(root.resolve("ThemeA/48x48/places/y.svg"), BARS);
    write(root.resolve("ThemeB/actions/22/x.svg"), SQUARE);
    write(root.resolve("ThemeB/actions/22@2x/x.svg"), CROSS); // a high-DPI duplicate: not a drawing of its own
    write(root.resolve("ThemeB/actions/22/w.svg"), CROSS);
    write(root.resolve("ThemeB/places/22/y.svg"), CROSS);
    triangle(root.resolve("ThemeC/base/32x32/actions/x.png"), 32);
    write(root.resolve("ThemeC/base/32x32/actions/w.svg"), other(BARS)); // the same file as ThemeA's w
    write(root.resolve("ThemeC/base/32x32/places/y.svg"), SQUARE);
    write(root.resolve("ThemeD/48/actions/x.svg"), BARS);
    write(root.resolve("ThemeD/48/actions/w.svg"), other(SQUARE));
    write(root.resolve("ThemeE/scalable/actions/x.svg"), CIRCLE_GREEN);
    write(root.resolve("ThemeE/scalable/actions/w.svg"), other(CIRCLE_RED));
    write(root.resolve("NotAsked/48x48/actions/x.svg"), CROSS);
    return root;
  }

  @Test
  void a_theme_is_scanned_once_per_icon_name_from_its_best_file(@TempDir Path tmp) throws IOException {
    Path root = themes(tmp.resolve("icons"));
    List<IconThemes.Icon> a = IconThemes.scan(root.resolve("ThemeA"));
    assertThat(a).extracting(IconThemes.Icon::name).containsExactlyInAnyOrder("x", "w", "y"); // no alias, no symbolic
    assertThat(a.stream().filter(i -> i.name().equals("w")).findFirst().orElseThrow().svg()).isTrue();
    List<IconThemes.Icon> b = IconThemes.scan(root.resolve("ThemeB"));
    assertThat(b.stream().filter(i -> i.name().equals("x")).findFirst().orElseThrow().file().toString()).contains("/22/");
    assertThat(IconThemes.scan(root.resolve("ThemeC"))).extracting(IconThemes.Icon::context).contains("actions", "places");
    assertThat(IconThemes.caption("edit-copy", List.of(new IconThemes.Icon("t", "edit-copy", "actions", Path.of("a.svg"), 0),
        new IconThemes.Icon("u", "edit-copy", "legacy", Path.of("b.png"), 48)))).isEqualTo("edit copy action icon");
  }

  @Test
  void the_benchmark_keeps_classes_of_distinct_drawings_and_says_why_it_left_each_other_out(@TempDir Path tmp)
      throws IOException {
    Path root = themes(tmp.resolve("icons"));
    Path out = tmp.resolve("bench");
    IconBenchmark.Result r = new IconBenchmark(Parallel.SEQUENTIAL).write(new IconBenchmark.Spec(root,
        List.of("ThemeA", "themeb", "ThemeC", "ThemeD", "ThemeE", "Missing"), 4, 64, 0, 1), out);
    assertThat(r.themes()).containsOnlyKeys("ThemeA", "ThemeB", "ThemeC", "ThemeD", "ThemeE");
    // x: A, B, C, D distinct, E a recolour of A; w: A, B, D, E distinct, C the same file as A's; y: three themes only
    assertThat(r.candidateClasses()).isEqualTo(2);
    assertThat(r.classes()).isEqualTo(2);
    assertThat(r.images()).isEqualTo(8);
    String skipped = Files.readString(out.resolve("skipped.tsv"));
    assertThat(skipped).contains("ThemeE/scalable/actions/x.svg\tthe same drawing as ThemeA's")
        .contains("ThemeC/base/32x32/actions/w.svg\tthe same file as w/ThemeA");
    assertThat(r.skippedBy()).containsEntry("the same drawing", 1).containsEntry("the same file", 1);

    // the manifest imports, with one class per icon name, its caption, and class-disjoint splits possible
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    Dataset d = new DatasetImporter(decoder, Parallel.SEQUENTIAL).manifest(r.manifest(), "icons", ImportProgress.NONE);
    assertThat(d.skipped()).isEmpty();
    assertThat(d.classes()).containsExactlyInAnyOrder("x", "w");
    DatasetItem first = d.items().stream().filter(it -> it.label().equals("x")).findFirst().orElseThrow();
    assertThat(first.captions()).containsExactly("x action icon");
    assertThat(first.metadata()).containsKeys("theme", "context", "source");
    BufferedImage img = ImageIO.read(out.resolve("images/x/ThemeB.png").toFile());
    assertThat(img.getWidth()).isEqualTo(64);
    assertThat(img.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0xFFFFFF); // on white
    assertThat(img.getRGB(32, 32) & 0xFFFFFF).isNotEqualTo(0xFFFFFF); // the "1"-versioned SVG was drawn

    // a second run replaces the first's images
    Files.writeString(out.resolve("images/stale.png"), "old");
    new IconBenchmark(Parallel.SEQUENTIAL).write(new IconBenchmark.Spec(root, List.of("ThemeA", "ThemeB", "ThemeC", "ThemeD",
        "ThemeE"), 4, 64, 1, 1), out);
    assertThat(out.resolve("images/stale.png")).doesNotExist();
    assertThat(Files.readAllLines(out.resolve("manifest.jsonl"))).hasSize(4);

    assertThatThrownBy(() -> new IconBenchmark(Parallel.SEQUENTIAL).write(new IconBenchmark.Spec(root, List.of("ThemeA", "ThemeB"),
        4, 64, 0, 1), tmp.resolve("none"))).hasMessageContaining("fewer than the 4 a class needs");
  }

  @Test
  void debians_icon_themes_make_an_instance_level_benchmark(@TempDir Path tmp) throws IOException {
    Path icons = Path.of("/usr/share/icons");
    Assumptions.assumeTrue(IconThemes.themes(icons, IconThemes.DEFAULT_THEMES).size() >= 4,
        "needs four of Debian's icon themes (.ci/run installs tango, gnome, elementary-xfce and breeze)");
    IconBenchmark.Result r = new IconBenchmark(Parallel.SEQUENTIAL).write(new IconBenchmark.Spec(icons, IconThemes.DEFAULT_THEMES, 4,
        64, 25, 1), tmp);
    System.out.println("icon benchmark from " + r.themes() + ": " + r.classes() + " classes, " + r.images() + " images, left out "
        + r.skippedBy());
    assertThat(r.classes()).isEqualTo(25);
    Dataset d = new DatasetImporter(new ImageDecoder(ImageLimits.DEFAULT), Parallel.SEQUENTIAL).manifest(r.manifest(), "icons",
        ImportProgress.NONE);
    assertThat(d.items()).hasSize(r.images());
    Map<String, Set<String>> themesPerClass = d.items().stream().collect(Collectors.groupingBy(DatasetItem::label,
        Collectors.mapping(it -> it.metadata().get("theme"), Collectors.toSet())));
    assertThat(themesPerClass.values()).allMatch(t -> t.size() >= 4);
    Map<String, Split> splits = Splits.classDisjoint(d, 7, new Splits.Fractions(0.6, 0.2, 0.2));
    Map<String, Set<Split>> splitsPerClass = d.items().stream().collect(Collectors.groupingBy(DatasetItem::label,
        Collectors.mapping(it -> splits.get(it.id()), Collectors.toSet())));
    assertThat(splitsPerClass.values()).allMatch(s -> s.size() == 1);
  }
}
