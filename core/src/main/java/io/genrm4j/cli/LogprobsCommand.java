package io.genrm4j.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code genrm logprobs}: teacher-forced per-token log-probabilities of a text, like vLLM's prompt_logprobs. */
@Command(
    name = "logprobs",
    mixinStandardHelpOptions = true,
    description = {
      "Prints {\"tokens\": [{\"token\": str, \"id\": int, \"logprob\": number|null}, ...]}: each token's log p "
          + "given the tokens before it (natural log, temperature 1). The first token has logprob null.",
      "By default BOS is prepended when the tokenizer has one (it is then the first entry)."
    })
final class LogprobsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, description = "checkpoint directory") Path model;

  @Option(names = "--text", required = true, description = "the text to score") String text;

  @Option(names = "--add-bos", negatable = true,
      description = "prepend BOS (default: when the tokenizer has one); --no-add-bos scores the text alone")
  Boolean addBos;

  @Override
  public Integer call() {
    try (NDManager mgr = Cli.manager(); Checkpoint.Loaded loaded = Cli.load(model, mgr)) {
      Tokenizer tok = loaded.tokenizer();
      boolean bos = addBos == null ? tok.bosId().isPresent() : addBos;
      if (bos && tok.bosId().isEmpty()) {
        throw new UserException("--add-bos: the tokenizer of " + model + " has no BOS token");
      }
      int[] body;
      try {
        body = tok.encode(text);
      } catch (UserException e) {
        throw new UserException("--text: " + e.getMessage());
      }
      int[] ids = bos ? Tokenizer.concat(new int[] {tok.bosId().getAsInt()}, body) : body;
      if (ids.length == 0) {
        throw new UserException("--text: nothing to score (empty text and no BOS)");
      }
      if (ids.length > loaded.model().config().maxPositionEmbeddings()) {
        throw new UserException("--text: " + ids.length + " tokens exceed max_position_embeddings "
            + loaded.model().config().maxPositionEmbeddings());
      }
      float[] lp = Scoring.tokenLogProbs(loaded.model(), Math.max(0, tok.padId()), List.of(ids))[0];
      ObjectNode root = Jsonl.MAPPER.createObjectNode();
      ArrayNode arr = root.putArray("tokens");
      for (int i = 0; i < ids.length; i++) {
        ObjectNode t = arr.addObject().put("token", tok.tokenText(ids[i])).put("id", ids[i]);
        if (i == 0) {
          t.putNull("logprob");
        } else {
          t.put("logprob", lp[i - 1]);
        }
      }
      PrintWriter pw = spec.commandLine().getOut();
      pw.println(Jsonl.toJson(root));
      pw.flush();
      return 0;
    }
  }
}
