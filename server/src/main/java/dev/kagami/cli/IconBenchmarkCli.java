package dev.kagami.cli;

import dev.kagami.concurrent.Parallel;
import dev.kagami.concurrent.ThreadPools;
import dev.kagami.dataset.IconBenchmark;
import dev.kagami.dataset.IconThemes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kagami icon-benchmark}: writes the instance-level icon-theme benchmark (see {@link IconBenchmark}) as a
 * folder of PNGs and a manifest; import it with {@code --dataset manifest:DIR/manifest.jsonl} and class-disjoint
 * splits.
 */
@Command(name = "icon-benchmark", mixinStandardHelpOptions = true,
    description = "Writes the icon-theme benchmark (one class per icon name drawn by several themes) as PNGs and a manifest.")
final class IconBenchmarkCli implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--icons", description = "the icon themes' folder (default: ${DEFAULT-VALUE})")
  Path icons = Path.of("/usr/share/icons");

  @Option(names = "--themes", split = ",", description = "theme folder names (default: the 16 themes the benchmark is "
      + "made of, those installed)")
  List<String> themes = IconThemes.DEFAULT_THEMES;

  @Option(names = "--min-themes", description = "distinct drawings a class needs (default: ${DEFAULT-VALUE})")
  int minThemes = 4;

  @Option(names = "--size", description = "image side in pixels (default: ${DEFAULT-VALUE})")
  int size = 128;

  @Option(names = "--max-classes", description = "at most this many classes, drawn with the seed; 0 for all "
      + "(default: ${DEFAULT-VALUE})")
  int maxClasses = 0;

  @Option(names = "--seed", description = "which classes --max-classes keeps (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--out", required = true, description = "the folder to write (images/, manifest.jsonl, skipped.tsv)")
  Path out;

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    Parallel cpu = new ThreadPools().parallel("cli", Runtime.getRuntime().availableProcessors());
    IconBenchmark.Result r = new IconBenchmark(cpu).write(new IconBenchmark.Spec(icons.toAbsolutePath(), themes, minThemes, size,
        maxClasses, seed), out.toAbsolutePath());
    o.println("themes (icon names each): " + r.themes());
    o.printf(Locale.ROOT, "%d icon names in at least %d themes; %d classes kept, %d images%n", r.candidateClasses(), minThemes,
        r.classes(), r.images());
    o.println("left out: " + r.skippedBy() + " (each with its reason in " + out.resolve("skipped.tsv") + ")");
    o.println("wrote " + r.manifest());
    return r.classes() > 0 ? 0 : 1;
  }
}
