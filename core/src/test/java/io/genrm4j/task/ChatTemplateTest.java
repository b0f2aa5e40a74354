package io.genrm4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.util.UserException;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
  @Test
  void wrappedPromptsAreTheTemplatesTurnsAroundThePapersText() {
    Prompts.Format f = Prompts.Format.PAPER.withChat(ChatTemplate.CHATML);
    String q = "What is 2+3?";
    String s = "2+3=5. The answer is 5.";
    String user = Prompts.PREAMBLE + "\n\nQ: " + q + "\nA: Let's think step by step.\n";
    // what HF's apply_chat_template(add_generation_prompt=True) renders for one user turn (no system turn)
    assertEquals("<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n", f.solve(q));
    assertEquals("<|im_start|>user\n" + user + s + "<|im_end|>\n<|im_start|>assistant\n" + Prompts.DECISION,
        f.verifyDirect(q, s));
    assertEquals("<|start_header_id|>user<|end_header_id|>\n\n" + user + s
        + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" + Prompts.COT_REQUEST + "\n",
        Prompts.Format.PAPER.withChat(ChatTemplate.LLAMA3).verifyCot(q, s));
    assertEquals("<start_of_turn>user\nQ: " + q + "\nA: <end_of_turn>\n<start_of_turn>model\n",
        Prompts.Format.COMPACT.withChat(ChatTemplate.GEMMA).solve(q));
    // the decision and labels read as without a template: the CoT prompt is the start of the decision prompt
    String after = f.afterRationale(q, s, "The answer is 5; the solution's answer is 5: right.");
    assertTrue(after.startsWith(f.verifyCot(q, s)) && after.endsWith(Prompts.DECISION), after);
    // no template: the strings of before (run configs and base hashes record these names)
    assertEquals(Prompts.Format.PAPER.solve(q) + s + Prompts.DIRECT_SUFFIX, Prompts.Format.PAPER.verifyDirect(q, s));
    assertEquals("COMPACT", Prompts.Format.COMPACT.toString());
    assertEquals("PAPER+CHATML", f.name());
  }

  @Test
  void theTemplateIsDetectedFromTheModelsOwnJinjaOrNamed() {
    // the distinctive parts of Qwen2.5's, Llama 3.1's and Gemma 2's chat_template
    assertEquals(ChatTemplate.CHATML, ChatTemplate.detect(
        "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content }}"));
    assertEquals(ChatTemplate.LLAMA3, ChatTemplate.detect(
        "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim }}"));
    assertEquals(ChatTemplate.GEMMA, ChatTemplate.detect(
        "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"));
    assertEquals(ChatTemplate.NONE, ChatTemplate.detect(null));
    assertEquals(ChatTemplate.NONE, ChatTemplate.detect("{{ message['content'] }}"));
    assertEquals(ChatTemplate.NONE, ChatTemplate.choose("none", "<|im_start|>"));
    assertEquals(ChatTemplate.CHATML, ChatTemplate.choose("auto", "<|im_start|>"));
    assertEquals(ChatTemplate.GEMMA, ChatTemplate.choose("Gemma", null));
    UserException e = assertThrows(UserException.class, () -> ChatTemplate.choose("mistral", null));
    assertTrue(e.getMessage().contains("'mistral'") && e.getMessage().contains("chatml"), e.getMessage());
  }
}
