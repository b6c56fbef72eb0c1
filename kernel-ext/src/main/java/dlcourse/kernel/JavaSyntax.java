package dlcourse.kernel;

import com.sun.source.util.JavacTask;
import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.tools.Diagnostic;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * Whether a JShell snippet is syntactically Java, without compiling or running it: IPython answers
 * {@code is_complete} with "invalid" for code that cannot parse, and JShell's own completeness analysis calls
 * some such code complete ({@code 1 +* 2}, {@code 1 2}). Names are not resolved, so {@code display(x)} with an
 * undefined {@code x} parses.
 */
final class JavaSyntax {
  private static final JavaCompiler JAVAC = ToolProvider.getSystemJavaCompiler();

  private JavaSyntax() {}

  /**
   * True when {@code snippet} parses as one of the forms JShell accepts: class members and imports, statements, or
   * an expression.
   */
  static boolean parses(String snippet) {
    if (JAVAC == null) {
      return true; // no compiler in this runtime: leave the verdict to evaluation
    }
    String code = snippet.strip();
    if (code.startsWith("import ")) {
      return parsesAs(code.endsWith(";") ? code : code + ";");
    }
    return parsesAs("class W_ {\n" + code + "\n}")
        || parsesAs("class W_ { void m_() throws Throwable {\n" + code + "\n;} }")
        || parsesAs("class W_ { Object o_ = (\n" + code + "\n); }");
  }

  private static boolean parsesAs(String source) {
    AtomicBoolean error = new AtomicBoolean();
    JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///W_.java"), JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return source;
      }
    };
    JavacTask task = (JavacTask) JAVAC.getTask(null, null, d -> {
      if (d.getKind() == Diagnostic.Kind.ERROR) {
        error.set(true);
      }
    }, List.of("-proc:none"), null, List.of(file));
    try {
      task.parse();
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
    return !error.get();
  }
}
