package dlcourse.plot;

import static dlcourse.plot.ChartStyle.stretch;
import static dlcourse.plot.ChartStyle.toFloats;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Convolution filters as an image grid, behind {@link Plot#filters}. */
final class Filters {
  private Filters() {}

  static BufferedImage filters(INDArray weight) {
    if (weight == null || weight.rank() != 4) {
      throw new IllegalArgumentException(
          "filters needs a 4-D weight (out, in, kH, kW), got shape "
              + (weight == null ? "null" : Arrays.toString(weight.shape())));
    }
    int out = (int) weight.size(0);
    int in = (int) weight.size(1);
    int kh = (int) weight.size(2);
    int kw = (int) weight.size(3);
    float[] d = toFloats(weight).clone();
    int per = in * kh * kw;
    for (int o = 0; o < out; o++) {
      stretch(d, o * per, per);
    }
    int scale = Math.max(2, (40 + kh - 1) / kh);
    ImageGrid grid =
        in == 3
            ? ImageGrid.of(d, out, 3, kh, kw).columns(Math.min(out, 8))
            : ImageGrid.of(d, out * in, 1, kh, kw).columns(in == 1 ? Math.min(out, 8) : in);
    return grid.normalize(ImageGrid.Normalize.NONE).scale(scale).gap(2).image();
  }
}
