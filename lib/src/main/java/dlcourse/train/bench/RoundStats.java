package dlcourse.train.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The summary of one benchmark case measured in interleaved rounds (ours k steps, PyTorch k steps, repeated).
 *
 * <p>Each round gives the median step time of each side; {@code ours} and {@code torch} are the medians of these
 * round medians, {@code ratio} the median of the per-round ratios (ours round median / PyTorch round median), and
 * {@code ratioMin}-{@code ratioMax} the range of the per-round ratios. A ratio taken within one round compares
 * the two sides under the same machine conditions; its spread over the rounds shows how noisy the run was.
 */
record RoundStats(double ours, double torch, double ratio, double ratioMin, double ratioMax, int rounds, int steps) {

  /** Summarises rounds of step times; {@code oursRounds.get(i)} and {@code torchRounds.get(i)} are round i. */
  static RoundStats of(List<List<Double>> oursRounds, List<List<Double>> torchRounds) {
    if (oursRounds.isEmpty() || oursRounds.size() != torchRounds.size()) {
      throw new IllegalArgumentException("need the same number (>= 1) of rounds on both sides, got "
          + oursRounds.size() + " and " + torchRounds.size());
    }
    List<Double> oursMedians = new ArrayList<>();
    List<Double> torchMedians = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    int steps = 0;
    for (int i = 0; i < oursRounds.size(); i++) {
      double a = median(oursRounds.get(i));
      double b = median(torchRounds.get(i));
      oursMedians.add(a);
      torchMedians.add(b);
      ratios.add(a / b);
      steps += oursRounds.get(i).size();
    }
    return new RoundStats(median(oursMedians), median(torchMedians), median(ratios), Collections.min(ratios),
        Collections.max(ratios), ratios.size(), steps);
  }

  /** The median (mean of the two middle values for an even count). */
  static double median(List<Double> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("median of no values");
    }
    List<Double> s = new ArrayList<>(values);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
