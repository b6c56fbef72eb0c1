package dlcourse.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class ColormapTest {
  static double luminance(int rgb) {
    return 0.2126 * ((rgb >> 16) & 0xFF) + 0.7152 * ((rgb >> 8) & 0xFF) + 0.0722 * (rgb & 0xFF);
  }

  @ParameterizedTest
  @EnumSource(value = Colormap.class, names = {"VIRIDIS", "GRAY"})
  void sequentialMapsGetStrictlyLighter(Colormap map) {
    double prev = -1;
    for (int i = 0; i <= 100; i++) {
      double l = luminance(map.rgb(i / 100.0));
      assertTrue(l > prev, map + " not lighter at t=" + i / 100.0 + ": " + l + " <= " + prev);
      prev = l;
    }
  }

  @Test
  void endsAreTheFirstAndLastStops() {
    assertEquals(0x440154, Colormap.VIRIDIS.rgb(0));
    assertEquals(0xFDE725, Colormap.VIRIDIS.rgb(1));
    assertEquals(new Color(0x808080), Colormap.GRAY.color(128 / 255.0));
  }

  @Test
  void outOfRangeValuesAreClampedAndNaNIsGray() {
    assertEquals(Colormap.VIRIDIS.rgb(0), Colormap.VIRIDIS.rgb(-3));
    assertEquals(Colormap.VIRIDIS.rgb(1), Colormap.VIRIDIS.rgb(7));
    assertEquals(0xD0D0D0, Colormap.COOLWARM.rgb(Double.NaN));
  }

  @Test
  void coolwarmIsBlueBelowAndRedAboveTheMiddle() {
    Color low = Colormap.COOLWARM.color(0.1);
    Color high = Colormap.COOLWARM.color(0.9);
    assertTrue(low.getBlue() > low.getRed(), "low end " + low);
    assertTrue(high.getRed() > high.getBlue(), "high end " + high);
  }
}
