package dev.kagami.cli;

import dev.kagami.concurrent.ThreadPools;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.training.DefaultModelTraining;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kagami train-default}: the two Java steps of {@code bin/kagami-train-default}, which trains Kagami's
 * own CLIP from scratch: {@code corpus} (the texts the tokenizer is cut to) and {@code train} (contrastive
 * pretraining of both towers from the seeded initial package).
 */
@Command(name = "train-default", mixinStandardHelpOptions = true, subcommands = {TrainDefaultCli.Corpus.class,
    TrainDefaultCli.Train.class}, description = "Trains Kagami's default CLIP from scratch (run by bin/kagami-train-default).")
final class TrainDefaultCli implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--fashion-mnist", scope = CommandLine.ScopeType.INHERIT,
      description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
  Path fashion = Path.of("/usr/share/datasets/fashion-mnist");

  @Option(names = "--openclipart", scope = CommandLine.ScopeType.INHERIT,
      description = "OpenClipart PNG folder (default: ${DEFAULT-VALUE})")
  Path clipart = Path.of("/usr/share/openclipart/png");

  @Option(names = "--icons", scope = CommandLine.ScopeType.INHERIT,
      description = "the icon-theme benchmark's manifest (kagami icon-benchmark); its train classes are added")
  Path icons;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a step: corpus or train");
  }

  DefaultModelTraining training() {
    return new DefaultModelTraining(new ImageDecoder(ImageLimits.DEFAULT),
        new ThreadPools().parallel("cli", Runtime.getRuntime().availableProcessors()), spec.commandLine().getOut());
  }

  @Command(name = "corpus", mixinStandardHelpOptions = true,
      description = "Writes the training captions and every evaluation prompt, one per line, for the tokenizer.")
  static final class Corpus implements Callable<Integer> {
    @CommandLine.ParentCommand
    TrainDefaultCli parent;

    @Option(names = "--out", required = true, description = "the corpus file")
    Path out;

    @Option(names = "--icon-classes", description = "also write the icon classes trained on, one per line, here")
    Path classes;

    @Override
    public Integer call() throws Exception {
      DefaultModelTraining t = parent.training();
      var corpus = t.corpus(parent.fashion, parent.clipart, java.util.Optional.ofNullable(parent.icons));
      t.writeCorpus(out, corpus);
      if (classes != null) {
        t.writeIconClasses(classes, corpus);
      }
      return 0;
    }
  }

  @Command(name = "train",
      description = "Contrastive pretraining of both towers; writes REPOSITORY/<name>/VERSION with TorchScript and ONNX.")
  static final class Train implements Callable<Integer> {
    @CommandLine.ParentCommand
    TrainDefaultCli parent;

    // its own --version (the model version) leaves no room for the standard -V/--version, so help is declared here
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--init", required = true, description = "the seeded initial package (bin/kagami_clip_init.py)")
    Path init;

    @Option(names = "--repository", description = "model repository (default: ${DEFAULT-VALUE})")
    Path repository = Path.of("models");

    @Option(names = "--version", description = "version to write (default: ${DEFAULT-VALUE})")
    String version = "1";

    @Option(names = "--steps", description = "optimizer steps (default: ${DEFAULT-VALUE})")
    int steps = 1500;

    @Option(names = "--batch", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch = 128;

    @Option(names = "--lr", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double lr = 1e-3;

    @Option(names = "--warmup", description = "warm-up steps (default: ${DEFAULT-VALUE})")
    int warmup = 100;

    @Option(names = "--seed", description = "seed (default: ${DEFAULT-VALUE})")
    long seed = 20261128;

    @Override
    public Integer call() throws Exception {
      if (steps < 1 || batch < 2 || !(lr > 0) || warmup < 0) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--steps must be >= 1, --batch >= 2, --lr > 0 and --warmup >= 0");
      }
      DefaultModelTraining t = parent.training();
      t.train(init, repository, version, new DefaultModelTraining.Settings(steps, batch, lr, warmup, seed),
          t.corpus(parent.fashion, parent.clipart, java.util.Optional.ofNullable(parent.icons)));
      return 0;
    }
  }
}
