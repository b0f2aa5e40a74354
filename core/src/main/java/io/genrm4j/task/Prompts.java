package io.genrm4j.task;

import io.genrm4j.util.UserException;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Every prompt string of the project. {@link Format#PAPER} uses the exact strings of the authors' released GSM8K
 * data; {@link Format#COMPACT} is a short variant for small character-level models on the algorithmic tasks. The
 * decision string {@link #DECISION} and the labels {@link #YES}/{@link #NO} are shared by both formats and by the
 * verifier code that reads p(Yes).
 */
public final class Prompts {
  private Prompts() {}

  /** The question the verifier answers with a label token. */
  public static final String DECISION = "Verification: Is the answer correct (Yes/No)?";
  /** Label tokens, with their leading space. */
  public static final String YES = " Yes";
  public static final String NO = " No";
  /** The request for a CoT rationale. */
  public static final String COT_REQUEST = "Verification: Let's verify step by step.";
  /** Appended to question + solution for direct verification; the target is {@link #YES} or {@link #NO}. */
  public static final String DIRECT_SUFFIX = "\n" + DECISION;
  /** Appended to question + solution for CoT verification; the target is a rationale ending in the verdict line. */
  public static final String COT_SUFFIX = "\n" + COT_REQUEST + "\n";
  /**
   * The fixed prompt strings a character-level tokenizer can make one token each (CharTokenizer's phrases), so that
   * the decision is read one position after the solution or rationale rather than 46 characters later.
   */
  public static final java.util.List<String> PHRASE_TOKENS = java.util.List.of(DECISION, COT_REQUEST);
  /** What separates a rationale's body from its verdict line. */
  public static final String VERDICT_SEPARATOR = "\n\n";
  /** What a solution ends with: {@code The answer is N.} */
  public static final String ANSWER_PREFIX = "The answer is ";
  /** Where an oracle rationale restates the candidate's answer to compare it with its own ({@link Oracle}). */
  public static final String RESTATED_ANSWER = "; the solution's answer is ";
  /** What an oracle rationale writes instead of {@link #RESTATED_ANSWER} when the candidate has no answer. */
  public static final String NO_ANSWER = "; the solution has no answer: ";
  /** The last word of an oracle rationale's body: its judgement ({@link Oracle}). */
  public static final String JUDGED_CORRECT = "correct.";
  public static final String JUDGED_WRONG = "wrong.";

  /** The paper's preamble, shared by solving, direct and CoT verification. */
  public static final String PREAMBLE =
      "Solve the math problems and provide step-by-step solutions, ending with \"The answer is [Insert Final Answer"
          + " Here]\".\n"
          + "When asked \"Verification: Is the answer correct (Yes/No)?\", respond with \" Yes\" or \" No\" based on"
          + " the answer's correctness.\n"
          + "When asked \"Verification: Let's verify step by step.\", verify every step of the solution and conclude"
          + " with \"Verification: Is the answer correct (Yes/No)?\" followed by \" Yes\" or \" No\".";

  /** The reference-guided teacher instruction (training-time rationale synthesis). */
  public static final String TEACHER_INSTRUCTION =
      "You are a math teacher. Grade the Solution, verifying correctness step by step. Use Expected Answer to find"
          + " any erroneous step in the Solution. At the end of the Solution verification, when you give your final"
          + " grade, write it in the form \"Verification: Is the answer correct (Yes/No)? X\",  where X is either Yes"
          + " or No.";

  /** The label token of a verdict. */
  public static String label(boolean correct) {
    return correct ? YES : NO;
  }

  /** {@code Verification: Is the answer correct (Yes/No)? Yes} (or No). */
  public static String verdictLine(boolean correct) {
    return DECISION + label(correct);
  }

  /** A rationale body followed by the blank line and the verdict line. */
  public static String withVerdict(String body, boolean correct) {
    return body + VERDICT_SEPARATOR + verdictLine(correct);
  }

  /**
   * The verdict a rationale ends with: the label after the last occurrence of {@link #DECISION} ({@code Yes} or
   * {@code No}, markdown bold tolerated); empty when there is none.
   */
  public static Optional<Boolean> parseVerdict(String rationale) {
    int i = rationale.lastIndexOf(DECISION);
    if (i < 0) {
      return Optional.empty();
    }
    String rest = rationale.substring(i + DECISION.length()).replace("*", "").strip();
    if (rest.startsWith("Yes")) {
      return Optional.of(true);
    }
    if (rest.startsWith("No")) {
      return Optional.of(false);
    }
    return Optional.empty();
  }

  /** The reference-guided teacher prompt; the reference solution should end {@code The answer is N.} */
  public static String teacher(String question, String solution, String referenceSolution) {
    return TEACHER_INSTRUCTION
        + "\n\nQuestion: " + question
        + "\nSolution: " + solution
        + "\nExpected Answer: " + referenceSolution;
  }

  /**
   * A prompt format: the text style ({@link #PAPER}: the authors' strings; {@link #COMPACT}: {@code Q: ...\nA: }) and
   * the chat template it is wrapped in ({@link ChatTemplate#NONE} for both constants). With a template, the
   * question (and solution) form the user's turn and the verification request opens the assistant's.
   *
   * @param style {@code paper} or {@code compact}
   * @param chat the chat wrapping
   */
  public record Format(String style, ChatTemplate chat) {
    /** The paper's strings: preamble, {@code Q: ...\nA: Let's think step by step.\n}. */
    public static final Format PAPER = new Format("paper", ChatTemplate.NONE);
    /** {@code Q: ...\nA: } and nothing else. */
    public static final Format COMPACT = new Format("compact", ChatTemplate.NONE);

    public Format {
      if (!style.equals("paper") && !style.equals("compact")) {
        throw new IllegalArgumentException("style must be paper or compact, got " + style);
      }
    }

    /** This style wrapped in {@code c}. */
    public Format withChat(ChatTemplate c) {
      return new Format(style, c);
    }

    /** {@code PAPER} or {@code COMPACT}, with {@code +CHATML} etc. when wrapped. */
    public String name() {
      String s = style.toUpperCase(java.util.Locale.ROOT);
      return chat == ChatTemplate.NONE ? s : s + "+" + chat.name();
    }

    /** {@link #name()}: what run configs and base hashes recorded when this was an enum. */
    @Override
    public String toString() {
      return name();
    }

    /** The solving prompt's text, unwrapped. */
    private String question(String question) {
      return style.equals("paper") ? PREAMBLE + "\n\nQ: " + question + "\nA: Let's think step by step.\n"
          : "Q: " + question + "\nA: ";
    }

    /** The prompt a generator completes with a solution. */
    public String solve(String question) {
      return chat.wrap(question(question));
    }

    /** The direct-verification prompt; the next token is {@link #YES} or {@link #NO}. */
    public String verifyDirect(String question, String solution) {
      return chat == ChatTemplate.NONE ? solve(question) + solution + DIRECT_SUFFIX
          : chat.wrap(question(question) + solution) + DECISION;
    }

    /** The CoT-verification prompt; the continuation is a rationale ending in the verdict line. */
    public String verifyCot(String question, String solution) {
      return chat == ChatTemplate.NONE ? solve(question) + solution + COT_SUFFIX
          : chat.wrap(question(question) + solution) + COT_REQUEST + "\n";
    }

    /** The prompt after a rationale, up to the decision: what p(Yes) is read after in CoT scoring. */
    public String afterRationale(String question, String solution, String rationaleBody) {
      return verifyCot(question, solution) + rationaleBody + VERDICT_SEPARATOR + DECISION;
    }

    /** {@code compact} or {@code paper} (any case); another name is a one-line {@link UserException}. */
    public static Format parse(String s) {
      for (Format f : new Format[] {COMPACT, PAPER}) {
        if (f.style.equalsIgnoreCase(s)) {
          return f;
        }
      }
      throw new UserException("unknown prompt format '" + s + "' (compact or paper)");
    }
  }

  /** The characters of the compact prompt texts themselves, for {@link Task#alphabet()}. */
  static String compactPromptChars() {
    return Format.COMPACT.verifyCot("", "") + DECISION + YES + NO + VERDICT_SEPARATOR + ANSWER_PREFIX + ".";
  }

  /** Sorted distinct characters of the given texts. */
  static String alphabetOf(String... texts) {
    TreeSet<Character> set = new TreeSet<>();
    for (String t : texts) {
      for (char c : t.toCharArray()) {
        set.add(c);
      }
    }
    StringBuilder sb = new StringBuilder();
    set.forEach(sb::append);
    return sb.toString();
  }
}
