package io.genrm4j.cli;

import picocli.CommandLine;

/** The registry of subcommands. Add a line here for each new command. */
final class Commands {
  private Commands() {}

  static void register(CommandLine cl) {
    // engine
    cl.addSubcommand(new CreateCommand());
    CommandLine train = new CommandLine(new TrainCommand());
    train.addSubcommand(new TrainVerifierCommand());
    cl.addSubcommand(train);
    cl.addSubcommand(new SampleCommand());
    cl.addSubcommand(new LogprobsCommand());
    // tasks and data
    cl.addSubcommand(new DataCommand());
    cl.addSubcommand(new GradeCommand());
    // verifiers
    cl.addSubcommand(new VerifyCommand());
    // experiments
    cl.addSubcommand(new ExperimentCommand());
    cl.addSubcommand(new CouplingCheckCommand());
    cl.addSubcommand(new PretrainCommand());
    // serving
    cl.addSubcommand("serve", new io.genrm4j.serve.ServeCommand());
    cl.addSubcommand("loadtest", new io.genrm4j.serve.LoadTestCommand());
    cl.addSubcommand("synthesize", new io.genrm4j.serve.client.SynthesizeCommand());
    cl.addSubcommand(new BenchCommand());
  }
}
