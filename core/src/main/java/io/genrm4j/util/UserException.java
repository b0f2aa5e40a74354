package io.genrm4j.util;

/**
 * A problem with the user's input (a file, a flag, a record) that the CLI reports as one line, without a stack
 * trace. The message should name the file and line or the tensor it is about.
 */
public class UserException extends RuntimeException {
  public UserException(String message) {
    super(message);
  }

  public UserException(String message, Throwable cause) {
    super(message, cause);
  }
}
