package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The char-GPT notebooks of UvA DL1 assignment 2 (Q2.2-Q2.8), run quick in a fresh JVM, with their numbers. */
class UvaCharGptIT {
  private static final double LN_87 = Math.log(87);

  private static double number(String[] row, List<String[]> rows, String column) {
    return Double.parseDouble(row[ExecutedNotebook.column(rows, column)]);
  }

  @Test
  void charGptNotebookCountsTrainsAndSavesTheModel() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("uva-dl1-hw2/q2_7_char_gpt.ipynb");
    String text = nb.stdout();
    // the template's dataset, derived numbers exact
    assertTrue(text.contains("540,241 characters, 87 distinct (the BOM is one of them: true); 540,113 samples"), text);
    assertTrue(text.contains("the template's epoch: 4,219 steps of 128 samples = 69,124,096 target tokens"), text);
    // HOMEWORK's parameter counts, every column, for the three configurations
    List<String[]> counts = nb.rows("parameter_counts.csv");
    assertEquals(4, counts.size());
    long[][] expected = {{94_896, 88_752, 4_176, 28_176}, {819_712, 803_328, 11_136, 198_016},
      {10_725_120, 10_675_968, 33_408, 1_773_696}};
    String[] columns = {"template's print", "without position table", "LM head", "per block"};
    for (int m = 0; m < 3; m++) {
      String[] row = counts.get(m + 1);
      for (int c = 0; c < 4; c++) {
        assertEquals(expected[m][c], (long) number(row, counts, columns[c]), row[0] + " " + columns[c]);
      }
      assertEquals("equal", row[ExecutedNotebook.column(counts, "HOMEWORK's four counts")]);
      // the summary counts every parameter: the template's print plus the LM head
      assertEquals(expected[m][0] + expected[m][2], (long) number(row, counts, "summary: all parameters"));
    }
    List<String[]> summary = nb.rows("GPT_summary.csv");
    assertEquals(1 + 2 + 3 * 12 + 3 + 1, summary.size(),
        "header, wte, drop, 3 blocks of 12 calls, h, lnF, lmHead, (own)");
    // the GPT's own row holds what no call reached: the learned position table, unused under RoPE (128 x 48)
    assertEquals(List.of("(own)", "GPT", "6144"), List.of(summary.get(summary.size() - 1)[0],
        summary.get(summary.size() - 1)[1], summary.get(summary.size() - 1)[3]));
    // the checks of Q2.2-Q2.6
    assertTrue(text.contains("causality (untrained): max |change| of the logits at positions <= 63: 0.0e+00"), text);
    assertTrue(text.contains("causality (trained): max |change| of the logits at positions <= 63: 0.0e+00"), text);
    assertTrue(text.contains("-> no leak"), text);
    assertTrue(text.contains("absEmb on 129 tokens: cannot forward a sequence of length 129"), text);
    assertTrue(text.contains("RoPE on 256 tokens: logits [1, 256, 87]"), text);
    assertTrue(text.contains("weight decay on 13 Linear weights (87,120 parameters), none on 21 other tensors"), text);
    // untrained: the uniform guess; after the quick run's 24 steps: well below it, above chance accuracy
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("untrained: loss ([0-9.]+)").matcher(text);
    assertTrue(m.find(), text);
    assertEquals(LN_87, Double.parseDouble(m.group(1)), 0.05);
    List<String[]> epochs = nb.rows("training_per_epoch.csv");
    assertEquals(3, epochs.size(), "2 quick epochs");
    assertEquals(24, (long) number(epochs.get(2), epochs, "step"));
    double first = number(epochs.get(1), epochs, "loss");
    double last = number(epochs.get(2), epochs, "loss");
    assertTrue(last < first && last < LN_87 - 0.8, "epoch losses " + first + " -> " + last);
    assertTrue(number(epochs.get(2), epochs, "accuracy") > 5.0 / 87, "accuracy above 5x chance");
    List<String[]> run = nb.rows("training_run.csv");
    assertEquals(2, run.size());
    assertEquals(24 * 32 * 128, (long) number(run.get(1), run, "target tokens"));
    assertTrue(number(run.get(1), run, "probe loss (eval)") < LN_87 - 0.8, String.join(",", run.get(1)));
    assertEquals(5, nb.images(), "loss and accuracy per step and per epoch, epoch against step");
    assertTrue(text.contains("the reloaded model's logits differ by 0.0e+00; vocabulary stored: true"), text);
  }

  @Test
  void generationNotebookSamplesEveryRuleAndMeasuresMemorisation() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("uva-dl1-hw2/q2_8_generation.ipynb");
    String text = nb.stdout();
    // CI has no checkpoint and trains a small model; a machine with q2_7's checkpoint loads it
    assertTrue(text.contains("NO CHECKPOINT at") || text.contains("loaded "), text);
    List<String[]> rules = nb.rows("one_next-character_distribution.csv");
    assertEquals(8, rules.size());
    int kept = ExecutedNotebook.column(rules, "characters kept");
    assertEquals("1", rules.get(1)[kept]); // greedy
    assertEquals("87", rules.get(2)[kept]); // temperature keeps every character
    assertEquals("50", rules.get(5)[kept]); // top-k 50 (no ties in float logits)
    int topP6 = Integer.parseInt(rules.get(6)[kept]);
    int topP9 = Integer.parseInt(rules.get(7)[kept]);
    assertTrue(topP6 >= 1 && topP6 <= topP9 && topP9 <= 87, topP6 + " " + topP9);
    int entropy = ExecutedNotebook.column(rules, "entropy (nats)");
    double h05 = Double.parseDouble(rules.get(2)[entropy]);
    double h15 = Double.parseDouble(rules.get(4)[entropy]);
    assertTrue(h05 < h15 && h15 <= LN_87 + 1e-9, "temperature 0.5 sharpens, 1.5 flattens: " + h05 + ", " + h15);
    List<String[]> byRule = nb.rows("continuations_of_the_template_prompt.csv");
    assertEquals(7, byRule.size());
    assertTrue(text.contains("top-k 50 with top-p 0.6: topK (50) and topP (0.6) are exclusive"), text);
    assertTrue(text.contains("prompt 113 + 77 new = 190 characters; the last step sees the last 128."), text);
    assertTrue(text.contains("cropped it generates [1, 190]"), text);
    assertTrue(text.contains("prompt lengths [113, 86, 86, 115]; every prompt character in the vocabulary: true; "
        + "prompt 2 occurs verbatim in the text 1 time(s); 'Tell me, glass, tell me true!' occurs 3 times"), text);
    assertTrue(text.contains("0 time(s) in the raw text, 1 with whitespace collapsed"), text);
    List<String[]> samples = nb.rows("memorisation.csv");
    assertEquals(1 + 4 * 2, samples.size(), "four prompts, two samples each");
    int cont = ExecutedNotebook.column(samples, "continuation");
    int piece = ExecutedNotebook.column(samples, "longest verbatim piece");
    for (String[] r : samples.subList(1, samples.size())) {
      assertEquals(77, (int) number(r, samples, "new characters"), r[cont]);
      int len = (int) number(r, samples, "length");
      assertTrue(len >= 1 && len <= 77, "length " + len);
      assertTrue(number(r, samples, "occurrences") >= 1, "a verbatim piece occurs in the text");
      String collapsed = r[cont].replace('\u21b5', ' ').replaceAll("\\s+", " ");
      assertTrue(collapsed.contains(r[piece].strip()), r[piece] + " in " + r[cont]);
    }
    assertTrue(text.contains("Across the 8 samples the longest piece copied verbatim"), text);
  }
}
