package io.genrm4j.serve.client;

/** Neither the Yes nor the No label was visible in the server's log-probs: p(Yes) is unknown (never 0.5). */
public final class PYesUnavailableException extends OpenAiException {
  public PYesUnavailableException(String message) {
    super(0, message, null);
  }
}
