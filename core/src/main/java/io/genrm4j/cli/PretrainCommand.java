package io.genrm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.eval.BaseRecipe;
import io.genrm4j.eval.Experiment;
import io.genrm4j.eval.Pretraining;
import io.genrm4j.model.Presets;
import io.genrm4j.task.Tasks;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code genrm pretrain}: builds (or finds) a pretrained base in the cache and prints what it can do. The experiment
 * builds the same base itself when its profile names one ({@code --set base=NAME}); this command does it ahead, and
 * shows the base's own abilities.
 */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
      "Build a pretrained base for the experiment's models: a model of the preset's shape trained on list tasks "
          + "related to the target task, at every length, as solutions and as direct Yes/No verification of "
          + "candidates with the generator's error types; the target task appears as solutions only, never "
          + "verified. related-lists* bases are for last-letter (first, second, second-to-last letters, last "
          + "letters reversed over the name pool, 1-10 items; related-lists-cot adds CoT rationales; "
          + "related-lists-cot-coupled continues the shipped base with CoT rationales in the coupled layout, "
          + "-long with four times that phase's items and steps, -marked and -marked-long the same with a running "
          + "mark per letter in the comparison, -marked-longer -marked-long continued as long again, "
          + "-marked-longer-direct that continued on direct verification alone); "
          + "related-words* bases are for word sorting (sort by length, by ending, descending over the word pool, "
          + "1-8 words; related-words-cot adds CoT rationales, -long continues it four times as long in the "
          + "coupled-lines layout, -marked-long the same with a running mark per letter). Kept in the cache "
          + "(-Dgenrm4j.cache, $GENRM4J_CACHE or ~/.cache/genrm4j) under the recipe's name and hash; built once. "
          + "Prints the base's greedy accuracy on the target task in and out of distribution and at the longest "
          + "lengths, and its direct-verification AUROC on the closest related task (longest lengths) and on the "
          + "target task out of distribution, which it never saw verified; with CoT items, also the CoT judgement's "
          + "AUROC given the oracle's rationale."
    })
public final class PretrainCommand implements Callable<Integer> {
  @Option(names = "--base", defaultValue = "related-lists", description = "recipe: ${COMPLETION-CANDIDATES} "
      + "(default: ${DEFAULT-VALUE})", completionCandidates = Recipes.class)
  String base;

  @Option(names = "--preset", defaultValue = "tiny", description = "model preset, as the profile's (default: "
      + "${DEFAULT-VALUE})")
  String preset;

  @Option(names = "--cache", description = "cache directory (default: -Dgenrm4j.cache, $GENRM4J_CACHE or "
      + "~/.cache/genrm4j)")
  Path cache;

  @Spec CommandSpec spec;

  /** The recipe names, for --help. */
  static final class Recipes implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return BaseRecipe.names().iterator();
    }
  }

  @Override
  public Integer call() {
    BaseRecipe r = BaseRecipe.named(base);
    Presets.get(preset, 64); // an unknown preset fails here, before any training
    if (cache != null) {
      System.setProperty("genrm4j.cache", cache.toAbsolutePath().toString());
    }
    System.setProperty("ai.djl.offline", "true");
    PrintWriter out = spec.commandLine().getOut();
    Path dir = Pretraining.ensure(r, preset, Experiment.tokenizer(Tasks.byName(r.target())),
        n -> Cli.progress("pretrain " + base, n, "steps"), System.err);
    JsonNode b = Pretraining.readInfo(dir);
    out.println("base " + base + " (" + preset + "): " + dir);
    out.printf(Locale.ROOT, "trained %d steps, %.0f s, final loss %.3f; corpus %s%n", b.get("steps").asInt(),
        b.get("seconds").asDouble(), b.get("final_loss").asDouble(), b.get("corpus"));
    JsonNode a = b.get("abilities");
    JsonNode solved = a.get(Pretraining.greedySolvedKey(r.target()));
    StringBuilder line = new StringBuilder(r.target() + " solved greedily:");
    solved.fields().forEachRemaining(e -> line.append(String.format(Locale.ROOT, " %s items %.0f%%,", e.getKey(),
        100 * e.getValue().asDouble())));
    out.println(line.substring(0, line.length() - 1));
    a.fields().forEachRemaining(e -> {
      if (e.getValue().has("auroc")) {
        out.printf(Locale.ROOT, "%s: AUROC %.3f, accuracy %.3f (%d candidates)%n", e.getKey(),
            e.getValue().get("auroc").asDouble(), e.getValue().get("accuracy").asDouble(),
            e.getValue().get("candidates").asInt());
      }
    });
    out.flush();
    return 0;
  }
}
