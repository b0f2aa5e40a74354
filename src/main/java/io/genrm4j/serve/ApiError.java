package io.genrm4j.serve;

/** An error answered as JSON {@code {"error":{"message","type"}}} with an HTTP status; never a stack trace. */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String type;

  public ApiError(int status, String type, String message) {
    super(message);
    this.status = status;
    this.type = type;
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, "invalid_request_error", message);
  }
}
