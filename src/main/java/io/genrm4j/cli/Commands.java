package io.genrm4j.cli;

import picocli.CommandLine;

/** The registry of subcommands. Add a line here for each new command. */
final class Commands {
  private Commands() {}

  static void register(CommandLine cl) {
    // engine, data, verify, experiment and serve commands register here
    cl.addSubcommand(new DataCommand());
    cl.addSubcommand(new GradeCommand());
    cl.addSubcommand("serve", new io.genrm4j.serve.ServeCommand());
    cl.addSubcommand("loadtest", new io.genrm4j.serve.LoadTestCommand());
    cl.addSubcommand("synthesize", new io.genrm4j.serve.client.SynthesizeCommand());
    cl.addSubcommand(new ExperimentCommand());
  }
}
