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

  /**
   * The shortest start of {@code code} that ends at a {@code ;} or {@code }} outside brackets, strings and comments
   * and parses as a snippet, or null when none does before the end of {@code code}.
   */
  static String firstSnippet(String code) {
    int depth = 0;
    for (int i = 0; i < code.length(); i++) {
      char c = code.charAt(i);
      if (c == '/' && i + 1 < code.length() && code.charAt(i + 1) == '/') {
        int nl = code.indexOf('\n', i);
        i = nl < 0 ? code.length() : nl;
      } else if (c == '/' && i + 1 < code.length() && code.charAt(i + 1) == '*') {
        int end = code.indexOf("*/", i + 2);
        i = end < 0 ? code.length() : end + 1;
      } else if (code.startsWith("\"\"\"", i)) {
        int end = code.indexOf("\"\"\"", i + 3);
        i = end < 0 ? code.length() : end + 2;
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < code.length() && code.charAt(j) != c && code.charAt(j) != '\n') {
          j += code.charAt(j) == '\\' ? 2 : 1;
        }
        i = j;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      }
      if (depth == 0 && (c == ';' || c == '}') && i + 1 < code.length() && !code.substring(i + 1).isBlank()) {
        String head = code.substring(0, i + 1);
        if (parses(head)) {
          return head;
        }
      }
    }
    return null;
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
