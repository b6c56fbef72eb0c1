package dlcourse.kernel;

import java.util.List;

/**
 * A cell that failed: compile error, runtime exception, interrupt, timeout or bad magic.
 *
 * <p>Carries the three fields of a Jupyter error output: the error name, its value (message) and the
 * traceback lines shown to the user.
 */
public final class CellError extends Exception {

  private final String ename;
  private final String evalue;
  private final List<String> traceback;

  /** Creates an error with name {@code ename}, message {@code evalue} and the lines shown to the user. */
  public CellError(String ename, String evalue, List<String> traceback) {
    super(ename + ": " + evalue);
    this.ename = ename;
    this.evalue = evalue == null ? "" : evalue;
    this.traceback = List.copyOf(traceback);
  }

  /** Creates an error whose traceback is the single line {@code ename: evalue}. */
  public static CellError of(String ename, String evalue) {
    return new CellError(ename, evalue, List.of(ename + ": " + evalue));
  }

  /** Returns the error name, e.g. {@code java.lang.ArithmeticException} or {@code CompilationError}. */
  public String ename() {
    return ename;
  }

  /** Returns the error message. */
  public String evalue() {
    return evalue;
  }

  /** Returns the lines shown to the user, without trailing newlines. */
  public List<String> traceback() {
    return traceback;
  }
}
