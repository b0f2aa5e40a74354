package io.genrm4j.verify;

import io.genrm4j.util.UserException;

/**
 * A candidate whose verification would need more positions than the model has: found before any tensor is built,
 * so a 300 KB question costs a tokenisation, not a [B, T, hidden] embedding. {@link #index} is the candidate's
 * place in the list the verifier was given (the CLI maps it to {@code file:line}, the server to a 400 naming it).
 */
public final class ContextLengthException extends UserException {
  private final int index;
  private final int needed;
  private final int limit;
  private final String reason;

  public ContextLengthException(int index, int needed, int limit, String what) {
    super("solution " + index + " " + reason(needed, limit, what));
    this.index = index;
    this.needed = needed;
    this.limit = limit;
    this.reason = reason(needed, limit, what);
  }

  private static String reason(int needed, int limit, String what) {
    return "does not fit the model's context: " + what + " needs " + needed + " positions, the model has " + limit
        + " (max_position_embeddings)";
  }

  /** The message without the index: "does not fit the model's context: ... needs N positions, the model has M". */
  public String reason() {
    return reason;
  }

  /** Throws unless {@code needed <= limit}; {@code what} says what needs the positions (shown to the user). */
  static void require(int index, int needed, int limit, String what) {
    if (needed > limit) {
      throw new ContextLengthException(index, needed, limit, what);
    }
  }

  /** The candidate's 0-based index in the list that was scored. */
  public int index() {
    return index;
  }

  public int needed() {
    return needed;
  }

  public int limit() {
    return limit;
  }
}
