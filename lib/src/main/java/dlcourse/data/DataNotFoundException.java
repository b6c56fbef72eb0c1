package dlcourse.data;

/** Thrown when a data set's file is not on disk and cannot be downloaded; the message says where to put it. */
public final class DataNotFoundException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An error with the full explanation in {@code message}. */
  public DataNotFoundException(String message) {
    super(message);
  }
}
