package dlcourse.display;

import java.util.Map;

/**
 * An object that knows how to show itself in a notebook.
 *
 * <p>The kernel renders any {@code Rich} value through its MIME bundle: keys are MIME types such as
 * {@code "text/plain"}, {@code "text/html"} or {@code "image/png"}; values are strings, with binary
 * formats (image/png) given as base64 text, exactly as in Jupyter's display_data messages.
 */
public interface Rich {

  /** Returns the representations of this object, keyed by MIME type; include "text/plain" as a fallback. */
  Map<String, Object> mimeBundle();
}
