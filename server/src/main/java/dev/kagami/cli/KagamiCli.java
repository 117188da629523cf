package dev.kagami.cli;

import dev.kagami.error.KagamiException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Kagami's command-line tools, one entry point with a subcommand each (run by the {@code bin/} scripts):
 * {@code evaluate} (a model on a dataset, as a report), {@code paper-table} (the paper's comparison) and
 * {@code train-default} (Kagami's own CLIP from scratch) and {@code quantize} (an int8 version of a package). Options are typed and checked by picocli: a bad
 * option or value ends with exit code 2 and the usage; a refusal by Kagami (an unknown path, a bad
 * dataset) ends with its message and exit code 1, never a stack trace.
 */
@Command(name = "kagami", mixinStandardHelpOptions = true, versionProvider = KagamiCli.Version.class,
    subcommands = {EvaluateCli.class, PaperTableCli.class, TrainDefaultCli.class, KeysCli.class, QuantizeCli.class,
        IconBenchmarkCli.class},
    description = "Kagami's tools: evaluate a model, reproduce the paper's table, train the default model.")
public final class KagamiCli implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with Kagami's error handling (tests run it without exiting). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new KagamiCli()).setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      if (e instanceof KagamiException || e instanceof IllegalArgumentException) {
        line.getErr().println("kagami " + line.getCommandName() + ": " + e.getMessage());
        return 1;
      }
      throw e;
    });
    return cl;
  }

  /** How the command was run, for the reports it writes: {@code script} and the arguments after the command's name. */
  static String invocation(CommandLine.Model.CommandSpec spec, String script) {
    java.util.List<String> args = spec.commandLine().getParseResult().originalArgs();
    int at = args.indexOf(spec.name());
    java.util.List<String> own = at < 0 ? args : args.subList(at + 1, args.size());
    return own.isEmpty() ? script : script + " " + String.join(" ", own);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command: evaluate, paper-table, train-default, keys or quantize");
  }

  /** The server's version from the jar's manifest (unknown when run from classes). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = KagamiCli.class.getPackage().getImplementationVersion();
      return new String[] {"kagami " + (v == null ? "(development build)" : v)};
    }
  }
}
