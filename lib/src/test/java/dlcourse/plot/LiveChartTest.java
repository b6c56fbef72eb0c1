package dlcourse.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.data.Circles;
import dlcourse.data.DataLoader;
import dlcourse.data.TensorDataset;
import dlcourse.display.Display;
import dlcourse.display.Rich;
import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.nn.ReLU;
import dlcourse.nn.Sequential;
import dlcourse.train.Adam;
import dlcourse.train.Trainer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LiveChartTest {

  /** A backend that records what it was asked to show: "display ID" or "update ID", and the last object. */
  static class Recorder implements Display.Backend {
    final boolean interactive;
    final List<String> calls = new ArrayList<>();
    Object last;

    Recorder(boolean interactive) {
      this.interactive = interactive;
    }

    @Override
    public String display(Object value) {
      String id = "id" + calls.size();
      calls.add("display " + id);
      last = value;
      return id;
    }

    @Override
    public void updateDisplay(String id, Object value) {
      calls.add("update " + id);
      last = value;
    }

    @Override
    public void clearOutput() {}

    @Override
    public boolean interactive() {
      return interactive;
    }

    BufferedImage lastImage() throws Exception {
      String png = (String) ((Rich) last).mimeBundle().get("image/png");
      return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(png)));
    }
  }

  @AfterEach
  void restore() {
    Display.backend(null);
  }

  @Test
  void inANotebookOneOutputIsUpdatedAtMostOncePerIntervalAndAtClose() throws Exception {
    Recorder r = new Recorder(true);
    Display.backend(r);
    long[] now = {0};
    LiveChart chart = new LiveChart(List.of("loss", "accuracy"), () -> now[0]).every(0.5);
    // 1000 steps, 10 ms apart: 10 s of training
    for (int step = 1; step <= 1000; step++) {
      now[0] = step * 10_000_000L;
      chart.add(step, 1.0 / step, step / 1000.0);
    }
    chart.close();
    assertEquals("display id0", r.calls.get(0));
    // shown at step 1, then every 50 steps (0.5 s): 19 updates up to step 951, plus the final one at close
    assertEquals(1 + 19 + 1, r.calls.size(), r.calls.toString());
    assertTrue(r.calls.subList(1, r.calls.size()).stream().allMatch(c -> c.equals("update id0")), r.calls.toString());
    assertTrue(r.last.toString().contains("1000 steps, last train loss 0.0010, accuracy 1.0000"), r.last.toString());
    BufferedImage img = r.lastImage();
    assertEquals(2 * Plot.WIDTH, img.getWidth());
    assertEquals(Plot.HEIGHT, img.getHeight());
    chart.close(); // nothing new: nothing shown
    assertEquals(21, r.calls.size());
  }

  @Test
  void aSlowRedrawMakesTheNextOneWaitTwentyTimesAsLong() {
    long[] now = {0};
    Recorder r = new Recorder(true) {
      @Override
      public String display(Object value) {
        now[0] += 100_000_000L; // each redraw takes 100 ms: the next waits 2 s, not 0.5 s
        return super.display(value);
      }

      @Override
      public void updateDisplay(String id, Object value) {
        now[0] += 100_000_000L;
        super.updateDisplay(id, value);
      }
    };
    Display.backend(r);
    LiveChart chart = new LiveChart(List.of("loss"), () -> now[0]);
    for (int step = 1; step <= 1000; step++) {
      now[0] += 10_000_000L;
      chart.add(step, 1.0 / step);
    }
    chart.close();
    // shown at step 1 (t = 10 ms), then at steps 191, 381, 571, 761, 951 (2 s after each redraw began), and at close
    assertEquals(7, r.calls.size(), r.calls.toString());
  }

  @Test
  void headlessShowsNothingWhileTrainingAndTheFinalChartOnceAtClose() throws Exception {
    Recorder r = new Recorder(false);
    Display.backend(r);
    try (LiveChart chart = LiveChart.of("loss")) {
      for (int step = 1; step <= 500; step++) {
        chart.add(step, Math.exp(-step / 100.0));
      }
      assertEquals(List.of(), r.calls);
    }
    assertEquals(List.of("display id0"), r.calls);
    assertEquals(Plot.WIDTH, r.lastImage().getWidth());
    assertTrue(r.last.toString().startsWith("LiveChart [loss]: 500 steps"), r.last.toString());
  }

  @Test
  void fitFeedsTheChartEveryStepAndValidationEveryEpoch() {
    Recorder r = new Recorder(true);
    Display.backend(r);
    Init.manualSeed(0);
    TensorDataset train = Circles.make(200, 0.05, 0.5, 1);
    TensorDataset val = Circles.make(100, 0.05, 0.5, 2);
    var model = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 2));
    LiveChart chart = LiveChart.of("loss", "accuracy").every(0);
    Trainer.of(model).optimizer(new Adam(model.parameters(), 0.05)).epochs(3).progress(false).verbose(false)
        .monitor(chart).fit(DataLoader.of(train).batchSize(20), DataLoader.of(val).batchSize(50));
    // 3 epochs x 10 steps, each with loss and accuracy; 3 validation points of each
    assertEquals(2 * 30 + 2 * 3, chart.size());
    assertEquals(List.of("train", "val"), chart.panel("loss").getSeriesCollection().stream().map(s -> s.getName())
        .filter(n -> !n.startsWith(" ")).toList());
    assertEquals(3, chart.panel("accuracy").getSeries("val").getXData().length);
    // every(0): one display, then an update for each later step and validation point (the close adds none)
    assertEquals("display id0", r.calls.get(0));
    assertEquals(30 + 3, r.calls.size(), r.calls.toString());
  }

  @Test
  void longSeriesAreThinnedForDrawingAndWrongArgumentsAreNamed() {
    LiveChart chart = LiveChart.of("loss");
    for (int step = 1; step <= 5000; step++) {
      chart.add(step, 1.0 / step);
    }
    double[] x = chart.panel("loss").getSeries("train").getXData();
    assertEquals(LiveChart.MAX_POINTS, x.length);
    assertEquals(1.0, x[0]);
    assertEquals(5000.0, x[x.length - 1]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> chart.add(1, 0.5, 0.9));
    assertTrue(e.getMessage().contains("2 value(s) for 1 metric(s) [loss]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LiveChart.of());
    assertThrows(IllegalArgumentException.class, () -> LiveChart.of("loss", "loss"));
    assertThrows(IllegalArgumentException.class, () -> chart.every(-1));
    assertThrows(IllegalArgumentException.class, () -> chart.panel("accuracy"));
    chart.add("val", 10, Map.of("loss", Double.NaN)); // NaN is skipped
    assertEquals(5000, chart.size());
  }
}
