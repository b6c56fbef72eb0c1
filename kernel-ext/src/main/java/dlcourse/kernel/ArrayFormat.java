package dlcourse.kernel;

import java.util.Arrays;
import java.util.Locale;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Formats {@code INDArray}s for notebooks: numpy-like abbreviated text and an HTML table for matrices. */
final class ArrayFormat {

  /** Above this many elements the text shows only {@value #EDGE} items at each end of every axis. */
  static final int THRESHOLD = 1000;
  static final int EDGE = 3;
  static final int HTML_MAX = 20;

  private ArrayFormat() {}

  /** Returns e.g. {@code array([[1., 2.], [3., 4.]], shape=(2, 2), dtype=FLOAT)}. */
  static String text(INDArray a) {
    String shape = shapeString(a.shape());
    if (a.isEmpty()) {
      return "array([], shape=" + shape + ", dtype=" + a.dataType() + ")";
    }
    boolean abbreviate = a.length() > THRESHOLD;
    StringBuilder sb = new StringBuilder("array(");
    append(sb, a, new long[a.rank()], 0, abbreviate, "      ");
    sb.append(", shape=").append(shape).append(", dtype=").append(a.dataType()).append(')');
    return sb.toString();
  }

  private static void append(StringBuilder sb, INDArray a, long[] index, int axis, boolean abbreviate, String indent) {
    if (a.rank() == 0) {
      sb.append(scalar(a, index));
      return;
    }
    long n = a.size(axis);
    sb.append('[');
    for (long i = 0; i < n; i++) {
      if (abbreviate && n > 2 * EDGE && i == EDGE) {
        sb.append(axis == a.rank() - 1 ? "..., " : "...,\n" + indent + " ".repeat(axis + 1));
        i = n - EDGE;
      }
      index[axis] = i;
      if (axis == a.rank() - 1) {
        sb.append(scalar(a, index));
      } else {
        append(sb, a, index, axis + 1, abbreviate, indent);
      }
      if (i < n - 1) {
        sb.append(axis == a.rank() - 1 ? ", " : ",\n" + "\n".repeat(Math.max(0, a.rank() - axis - 2))
            + indent + " ".repeat(axis + 1));
      }
    }
    sb.append(']');
  }

  private static String scalar(INDArray a, long[] index) {
    switch (a.dataType()) {
      case FLOAT :
      case DOUBLE :
      case HALF :
      case BFLOAT16 :
        return number(a.rank() == 0 ? a.getDouble(0) : a.getDouble(index));
      case BOOL :
        return (a.rank() == 0 ? a.getDouble(0) : a.getDouble(index)) != 0 ? "True" : "False";
      case UTF8 :
        return "'" + (a.rank() == 0 ? a.getString(0) : a.getString(a.rank() == 1 ? index[0] : 0)) + "'";
      default :
        return Long.toString(a.rank() == 0 ? a.getLong(0) : a.getLong(index));
    }
  }

  static String number(double v) {
    if (Double.isNaN(v)) {
      return "nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e8) {
      return String.format(Locale.ROOT, "%.0f.", v);
    }
    double abs = Math.abs(v);
    if (abs >= 1e-4 && abs < 1e8) {
      String s = String.format(Locale.ROOT, "%.4f", v);
      s = s.replaceAll("0+$", "");
      return s.endsWith(".") ? s + "0" : s;
    }
    return String.format(Locale.ROOT, "%.4e", v);
  }

  static String shapeString(long[] shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    return Arrays.toString(shape).replace('[', '(').replace(']', ')');
  }

  /** Returns an HTML table of a rank-2 array (at most {@value #HTML_MAX} rows and columns shown). */
  static String html(INDArray a) {
    long rows = a.size(0);
    long cols = a.size(1);
    StringBuilder sb = new StringBuilder("<table class=\"dlcourse-array\">");
    sb.append("<caption>INDArray shape=").append(shapeString(a.shape())).append(" dtype=")
        .append(a.dataType()).append("</caption><thead><tr><th></th>");
    long[] colIdx = indices(cols);
    long[] rowIdx = indices(rows);
    for (long c : colIdx) {
      sb.append(c < 0 ? "<th>&hellip;</th>" : "<th>" + c + "</th>");
    }
    sb.append("</tr></thead><tbody>");
    for (long r : rowIdx) {
      sb.append("<tr>").append(r < 0 ? "<th>&vellip;</th>" : "<th>" + r + "</th>");
      for (long c : colIdx) {
        if (r < 0 || c < 0) {
          sb.append("<td>&hellip;</td>");
        } else {
          sb.append("<td>").append(scalar(a, new long[] {r, c})).append("</td>");
        }
      }
      sb.append("</tr>");
    }
    return sb.append("</tbody></table>").toString();
  }

  /** Indices to show along an axis of length n; -1 marks the elided middle. */
  private static long[] indices(long n) {
    if (n <= HTML_MAX) {
      long[] all = new long[(int) n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      return all;
    }
    int half = HTML_MAX / 2;
    long[] idx = new long[2 * half + 1];
    for (int i = 0; i < half; i++) {
      idx[i] = i;
      idx[half + 1 + i] = n - half + i;
    }
    idx[half] = -1;
    return idx;
  }
}
