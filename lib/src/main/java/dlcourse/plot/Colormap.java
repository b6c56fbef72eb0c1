package dlcourse.plot;

import java.awt.Color;

/**
 * Maps a number in [0, 1] to a colour, for heatmaps and colour bars.
 *
 * <p>{@link #VIRIDIS} (the default) and {@link #GRAY} get lighter as the value grows, so they read
 * correctly in grayscale print; {@link #COOLWARM} is diverging (blue, white, red) for signed data
 * centred on zero.
 */
public enum Colormap {
  /** Matplotlib's viridis: dark purple through teal to yellow, perceptually uniform. */
  VIRIDIS(0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21908C, 0x27AD81, 0x5DC863, 0xAADC32, 0xFDE725),
  /** Black to white. */
  GRAY(0x000000, 0xFFFFFF),
  /** Blue through white to red, for signed values with 0 at the centre. */
  COOLWARM(0x3B4CC0, 0x7396F5, 0xB0CBFC, 0xDDDDDD, 0xF6BFA6, 0xE7745B, 0xB40426);

  private final int[] stops;

  Colormap(int... stops) {
    this.stops = stops;
  }

  /**
   * Returns the colour of {@code t}, interpolated linearly between the map's colour stops.
   *
   * @param t position in the map; values outside [0, 1] are clamped, NaN gives light gray
   */
  public Color color(double t) {
    return new Color(rgb(t));
  }

  /** Returns the colour of {@code t} as a packed {@code 0xRRGGBB} int; see {@link #color(double)}. */
  public int rgb(double t) {
    if (Double.isNaN(t)) {
      return 0xD0D0D0;
    }
    double p = Math.min(1.0, Math.max(0.0, t)) * (stops.length - 1);
    int i = Math.min((int) Math.floor(p), stops.length - 2);
    double f = p - i;
    int a = stops[i];
    int b = stops[i + 1];
    int r = mix((a >> 16) & 0xFF, (b >> 16) & 0xFF, f);
    int g = mix((a >> 8) & 0xFF, (b >> 8) & 0xFF, f);
    int bl = mix(a & 0xFF, b & 0xFF, f);
    return (r << 16) | (g << 8) | bl;
  }

  private static int mix(int a, int b, double f) {
    return (int) Math.round(a + (b - a) * f);
  }
}
