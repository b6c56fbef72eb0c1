package dlcourse.sweep;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameters a sweep varies and their values; the tasks are the Cartesian product, first parameter outermost.
 *
 * <pre>{@code
 * Grid g = new Grid().add("nets=net1,net2").add("seed=0..4");   // 2 x 5 = 10 points
 * g.points().get(0);   // {nets=net1, seed=0}
 * }</pre>
 *
 * <p>Values are strings, as the runner's {@code -p} takes them. {@code A..B} (whole numbers, A &lt;= B) stands for
 * A, A+1, ..., B and may be mixed with single values: {@code seed=0..2,7}.
 */
public final class Grid implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");
  private static final Pattern RANGE = Pattern.compile("([-+]?\\d+)\\.\\.([-+]?\\d+)");

  private final LinkedHashMap<String, List<String>> axes = new LinkedHashMap<>();

  /** An empty grid (one point with no parameters). */
  public Grid() {}

  /** Adds {@code name=v1,v2,...} (the argument of {@code --grid}). */
  public Grid add(String spec) {
    int eq = spec.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("--grid needs name=v1,v2,... (or name=A..B), got '" + spec + "'");
    }
    String name = spec.substring(0, eq).strip();
    return add(name, values(name, spec.substring(eq + 1)));
  }

  /** Adds a parameter with its values, in order. */
  public Grid add(String name, List<String> values) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("grid parameter name '" + name + "' is not a Java identifier");
    }
    if (axes.containsKey(name)) {
      throw new IllegalArgumentException("grid parameter '" + name
          + "' is given twice; give all its values in one --grid");
    }
    if (values.isEmpty()) {
      throw new IllegalArgumentException("grid parameter '" + name + "' has no values");
    }
    Set<String> seen = new LinkedHashSet<>();
    for (String v : values) {
      if (!seen.add(v)) {
        throw new IllegalArgumentException("grid parameter '" + name + "' lists the value '" + v + "' twice");
      }
    }
    axes.put(name, List.copyOf(values));
    return this;
  }

  /** Splits {@code v1,v2,A..B} into values; every value must be non-empty. */
  static List<String> values(String name, String list) {
    if (list.isBlank()) {
      throw new IllegalArgumentException("grid parameter '" + name + "' has no values: give " + name + "=v1,v2,...");
    }
    List<String> out = new ArrayList<>();
    for (String raw : list.split(",", -1)) {
      String v = raw.strip();
      if (v.isEmpty()) {
        throw new IllegalArgumentException("grid parameter '" + name + "' has an empty value in '" + list + "'");
      }
      Matcher m = RANGE.matcher(v);
      if (m.matches()) {
        long a = Long.parseLong(m.group(1));
        long b = Long.parseLong(m.group(2));
        if (a > b) {
          throw new IllegalArgumentException("grid parameter '" + name + "': range " + v + " is empty (" + a + " > " + b
              + "); write " + b + ".." + a);
        }
        if (b - a >= 100_000) {
          throw new IllegalArgumentException("grid parameter '" + name + "': range " + v
              + " has more than 100000 values");
        }
        for (long x = a; x <= b; x++) {
          out.add(Long.toString(x));
        }
      } else if (v.contains("..")) {
        throw new IllegalArgumentException("grid parameter '" + name + "': '" + v
            + "' is not a range A..B of whole numbers");
      } else {
        out.add(v);
      }
    }
    return out;
  }

  /** The parameter names in order. */
  public List<String> names() {
    return List.copyOf(axes.keySet());
  }

  /** The values of one parameter. */
  public List<String> values(String name) {
    List<String> v = axes.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no grid parameter '" + name + "'; the grid has " + axes.keySet());
    }
    return v;
  }

  public boolean isEmpty() {
    return axes.isEmpty();
  }

  /** Number of points: the product of the value counts. */
  public int size() {
    long n = 1;
    for (List<String> v : axes.values()) {
      n *= v.size();
      if (n > 1_000_000) {
        throw new IllegalArgumentException("the grid has more than 1000000 points");
      }
    }
    return (int) n;
  }

  /** Every point, first parameter outermost (the last one changes fastest). */
  public List<Map<String, String>> points() {
    size(); // fails on absurd grids before allocating them
    List<Map<String, String>> points = new ArrayList<>();
    points.add(new LinkedHashMap<>());
    for (var axis : axes.entrySet()) {
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> p : points) {
        for (String v : axis.getValue()) {
          Map<String, String> q = new LinkedHashMap<>(p);
          q.put(axis.getKey(), v);
          next.add(q);
        }
      }
      points = next;
    }
    List<Map<String, String>> out = new ArrayList<>();
    points.forEach(p -> out.add(Collections.unmodifiableMap(p)));
    return out;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    axes.forEach((k, v) -> s.append(s.length() == 0 ? "" : " x ").append(k).append('=').append(String.join(",", v)));
    return s.toString();
  }
}
