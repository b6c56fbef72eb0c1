package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BleuTest {
  private static JsonObject fixture() throws Exception {
    try (var in = BleuTest.class.getResourceAsStream("/fixtures/metrics/bleu.json")) {
      return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
    }
  }

  private static List<String> tokens(JsonElement e) {
    List<String> out = new ArrayList<>();
    e.getAsJsonArray().forEach(t -> out.add(t.getAsString()));
    return out;
  }

  private static List<List<String>> refs(JsonElement e) {
    List<List<String>> out = new ArrayList<>();
    e.getAsJsonArray().forEach(r -> out.add(tokens(r)));
    return out;
  }

  @Test
  void sentenceBleuMatchesNltk() throws Exception {
    JsonArray cases = fixture().getAsJsonArray("sentence");
    for (int i = 0; i < cases.size(); i++) {
      JsonObject c = cases.get(i).getAsJsonObject();
      for (int n = 1; n <= 4; n++) {
        double want = c.get("bleu" + n).getAsDouble();
        assertEquals(want, Bleu.sentence(refs(c.get("refs")), tokens(c.get("hyp")), n), 1e-12,
            "sentence case " + i + " BLEU-" + n);
      }
    }
  }

  @Test
  void corpusBleuMatchesNltk() throws Exception {
    JsonArray cases = fixture().getAsJsonArray("corpus");
    for (int i = 0; i < cases.size(); i++) {
      JsonObject c = cases.get(i).getAsJsonObject();
      List<List<List<String>>> refs = new ArrayList<>();
      c.getAsJsonArray("refs").forEach(r -> refs.add(refs(r)));
      List<List<String>> hyps = refs(c.get("hyps"));
      for (int n = 1; n <= 4; n++) {
        assertEquals(c.get("bleu" + n).getAsDouble(), Bleu.corpus(refs, hyps, n), 1e-12,
            "corpus case " + i + " BLEU-" + n);
      }
    }
  }

  @Test
  void nltkDocstringValues() {
    // From NLTK's sentence_bleu and corpus_bleu docstrings.
    var hyp1 = Bleu.tokens(
        "It is a guide to action which ensures that the military always obeys the commands of the party");
    var r1 = Bleu.tokens("It is a guide to action that ensures that the military will forever heed Party commands");
    var r2 = Bleu.tokens(
        "It is the guiding principle which guarantees the military forces always being under the command of the Party");
    var r3 = Bleu.tokens("It is the practical guide for the army always to heed the directions of the party");
    assertEquals(0.5045666840058485, Bleu.sentence(List.of(r1, r2, r3), hyp1), 1e-15);
    var hyp2 = Bleu.tokens("he read the book because he was interested in world history");
    var r4 = Bleu.tokens("he was interested in world history because he read the book");
    assertEquals(0.5920778868801042, Bleu.corpus(List.of(List.of(r1, r2, r3), List.of(r4)), List.of(hyp1, hyp2)),
        1e-15);
  }

  @Test
  void handComputedClippingAndBrevityPenalty() {
    // "the the the" vs "the cat": unigram precision clipped to 1/3; c=3 > r=2 so no penalty.
    assertEquals(1.0 / 3, Bleu.sentence(List.of(List.of("the", "cat")), List.of("the", "the", "the"), 1), 1e-15);
    // hypothesis of 2 tokens against 4: p1 = 1, BP = exp(1 - 4/2)
    assertEquals(Math.exp(-1), Bleu.sentence(List.of(List.of(1, 2, 3, 4)), List.of(1, 2), 1), 1e-15);
  }

  @Test
  void zeroWhenAnyPrecisionIsZero() {
    assertEquals(0.0, Bleu.sentence(List.of(List.of("a", "b", "c")), List.of("a", "c", "b")));
  }

  @Test
  void rejectsMismatchedCorpus() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Bleu.corpus(List.of(List.of(List.of("a"))), List.of(List.of("a"), List.of("b"))));
    assertTrue(e.getMessage().contains("one list of references per hypothesis"), e.getMessage());
  }

  /** The homework's score: NLTK's sentence_bleu per test image (uniform weights, no smoothing), averaged. */
  @Test
  void averageSentenceBleuIsTheMeanOfNltkSentenceScores() throws Exception {
    JsonArray cases = fixture().getAsJsonArray("sentence");
    List<List<List<String>>> refs = new ArrayList<>();
    List<List<String>> hyps = new ArrayList<>();
    double[] nltkMean = new double[5];
    for (int i = 0; i < cases.size(); i++) {
      JsonObject c = cases.get(i).getAsJsonObject();
      refs.add(refs(c.get("refs")));
      hyps.add(tokens(c.get("hyp")));
      for (int n = 1; n <= 4; n++) {
        nltkMean[n] += c.get("bleu" + n).getAsDouble() / cases.size();
      }
    }
    for (int n = 1; n <= 4; n++) {
      assertEquals(nltkMean[n], Bleu.averageSentence(refs, hyps, n), 1e-12, "BLEU-" + n);
    }
    assertEquals(nltkMean[4], Bleu.averageSentence(refs, hyps), 1e-12);
    // The mean of sentence scores is not corpus BLEU (which pools the n-gram counts first).
    assertTrue(Math.abs(Bleu.corpus(refs, hyps) - Bleu.averageSentence(refs, hyps)) > 1e-3);
    // NLTK's docstring example alone: 0.5046; with an exact copy of a reference beside it: (0.5046 + 1) / 2.
    var hyp = Bleu.tokens(
        "It is a guide to action which ensures that the military always obeys the commands of the party");
    var ref = Bleu.tokens("he was interested in world history because he read the book");
    assertEquals((0.5045666840058485 + 1) / 2,
        Bleu.averageSentence(List.of(refs.get(0), List.of(ref)), List.of(hyp, ref)), 1e-15);
    assertThrows(IllegalArgumentException.class, () -> Bleu.averageSentence(List.of(), List.of()));
  }
}
