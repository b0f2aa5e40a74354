package io.genrm4j.cli;

import io.genrm4j.serve.ServeCommand;
import io.genrm4j.util.UserException;
import java.io.UncheckedIOException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code genrm} command: one subcommand per job. */
@Command(
    name = "genrm",
    mixinStandardHelpOptions = true,
    version = "genrm4j 0.1.0",
    description = "Generative verifiers (GenRM) on the JVM: train, sample, score, verify, rerank.",
    subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** Builds the command line with every subcommand registered; tests call this too. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    Commands.register(cl);
    return reportingErrors(cl);
  }

  /**
   * {@code cl} with genrm's error reporting: a {@link UserException} or an I/O error is one line {@code error: ...}
   * and exit 2, anything else one line and exit 1 (the stack trace only with env GENRM_DEBUG set). Other entry
   * points (e.g. the Spark module's job) use it too.
   */
  public static CommandLine reportingErrors(CommandLine cl) {
    cl.setExecutionExceptionHandler(
        (ex, cmd, parseResult) -> {
          Throwable root = ex;
          if (root instanceof UserException || root instanceof UncheckedIOException) {
            cmd.getErr().println("error: " + root.getMessage());
            return 2;
          }
          if (System.getenv("GENRM_DEBUG") != null) {
            root.printStackTrace(cmd.getErr());
          }
          cmd.getErr().println("error: " + root);
          return 1;
        });
    return cl;
  }

  public static void main(String[] args) {
    System.setProperty("ai.djl.offline", "true");
    // DJL's start-up INFO/WARN lines (CUDA probing, thread counts) would drown the progress bars and summaries.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    }
    CommandLine cl = commandLine();
    CommandLine.IExecutionStrategy runLast = new CommandLine.RunLast();
    cl.setExecutionStrategy(parsed -> {
      List<CommandLine> chain = parsed.asCommandLineList();
      if (!(chain.get(chain.size() - 1).getCommand() instanceof ServeCommand)) {
        Interruption.endOnSignal(System.err);
      }
      return runLast.execute(parsed);
    });
    int code = cl.execute(args);
    System.exit(code);
  }
}
