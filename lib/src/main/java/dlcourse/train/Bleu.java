package dlcourse.train;

import dlcourse.util.Check;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BLEU scores computed exactly as NLTK's {@code sentence_bleu} and {@code corpus_bleu} with uniform weights and
 * no smoothing (Papineni et al., 2002).
 *
 * <p>For n = 1..maxN the modified precision clips each hypothesis n-gram count by its largest count in any
 * reference; corpus BLEU sums numerators and denominators over all sentences before dividing. The brevity penalty
 * is {@code exp(1 - r / c)} when the hypothesis length c is below r, the sum of the reference lengths closest to
 * each hypothesis length (the shorter one on ties). The score is {@code BP * exp(mean(log p_n))}. When some
 * precision is 0 the score is 0 (NLTK returns a number below 1e-70 there and warns).
 *
 * <p>Tokens can be any type with {@code equals} and {@code hashCode}: words or token ids.
 */
public final class Bleu {
  private Bleu() {}

  /** Sentence BLEU-4 of one hypothesis against its references. */
  public static <T> double sentence(List<? extends List<T>> references, List<T> hypothesis) {
    return sentence(references, hypothesis, 4);
  }

  /**
   * Sentence BLEU-{@code maxN}: corpus BLEU of a one-sentence corpus, as NLTK.
   *
   * @param references one or more reference token lists
   * @param hypothesis the candidate tokens
   * @param maxN largest n-gram order, 1 to 4 for BLEU-1 .. BLEU-4
   */
  public static <T> double sentence(List<? extends List<T>> references, List<T> hypothesis, int maxN) {
    return corpus(List.of(references), List.of(hypothesis), maxN);
  }

  /**
   * The mean of sentence BLEU-4 over the hypotheses, as the IST homework's evaluation ({@code sentence_bleu} of each
   * test image with uniform weights and no smoothing, averaged); unlike {@link #corpus} it averages the sentence scores.
   *
   * @param references for each hypothesis, its list of references
   * @param hypotheses the candidate token lists, at least one
   */
  public static <T> double averageSentence(
      List<? extends List<? extends List<T>>> references, List<? extends List<T>> hypotheses) {
    return averageSentence(references, hypotheses, 4);
  }

  /** The mean of sentence BLEU-{@code maxN} over the hypotheses; see {@link #averageSentence(List, List)}. */
  public static <T> double averageSentence(
      List<? extends List<? extends List<T>>> references, List<? extends List<T>> hypotheses, int maxN) {
    if (references.size() != hypotheses.size()) {
      throw new IllegalArgumentException("references has " + references.size() + " entries but hypotheses has "
          + hypotheses.size() + "; give one list of references per hypothesis");
    }
    if (hypotheses.isEmpty()) {
      throw new IllegalArgumentException("averageSentence needs at least one hypothesis");
    }
    double sum = 0;
    for (int i = 0; i < hypotheses.size(); i++) {
      sum += corpus(List.of(references.get(i)), List.of(hypotheses.get(i)), maxN);
    }
    return sum / hypotheses.size();
  }

  /** Corpus BLEU-4. */
  public static <T> double corpus(List<? extends List<? extends List<T>>> references,
      List<? extends List<T>> hypotheses) {
    return corpus(references, hypotheses, 4);
  }

  /**
   * Corpus BLEU-{@code maxN}.
   *
   * @param references for each hypothesis, its list of references
   * @param hypotheses the candidate token lists
   * @param maxN largest n-gram order, {@code >= 1}
   */
  public static <T> double corpus(
      List<? extends List<? extends List<T>>> references, List<? extends List<T>> hypotheses, int maxN) {
    Check.positive(maxN, "maxN");
    if (references.size() != hypotheses.size()) {
      throw new IllegalArgumentException("references has " + references.size() + " entries but hypotheses has "
          + hypotheses.size() + "; give one list of references per hypothesis");
    }
    long[] num = new long[maxN + 1];
    long[] den = new long[maxN + 1];
    long hypLen = 0;
    long refLen = 0;
    for (int s = 0; s < hypotheses.size(); s++) {
      List<? extends List<T>> refs = references.get(s);
      List<T> hyp = hypotheses.get(s);
      if (refs.isEmpty()) {
        throw new IllegalArgumentException("hypothesis " + s + " has no references");
      }
      for (int n = 1; n <= maxN; n++) {
        long[] nd = modifiedPrecision(refs, hyp, n);
        num[n] += nd[0];
        den[n] += nd[1];
      }
      hypLen += hyp.size();
      refLen += closestRefLength(refs, hyp.size());
    }
    if (num[1] == 0) {
      return 0.0;
    }
    double logSum = 0;
    for (int n = 1; n <= maxN; n++) {
      if (num[n] == 0) {
        return 0.0;
      }
      logSum += Math.log((double) num[n] / den[n]) / maxN;
    }
    return brevityPenalty(refLen, hypLen) * Math.exp(logSum);
  }

  /** Clipped n-gram matches and the number of hypothesis n-grams (at least 1), as NLTK's modified_precision. */
  static <T> long[] modifiedPrecision(List<? extends List<T>> references, List<T> hypothesis, int n) {
    Map<List<T>, Integer> counts = ngrams(hypothesis, n);
    Map<List<T>, Integer> maxRef = new HashMap<>();
    for (List<T> ref : references) {
      Map<List<T>, Integer> rc = ngrams(ref, n);
      for (List<T> g : counts.keySet()) {
        maxRef.merge(g, rc.getOrDefault(g, 0), Math::max);
      }
    }
    long clipped = 0;
    long total = 0;
    for (var e : counts.entrySet()) {
      clipped += Math.min(e.getValue(), maxRef.getOrDefault(e.getKey(), 0));
      total += e.getValue();
    }
    return new long[] {clipped, Math.max(1, total)};
  }

  private static <T> Map<List<T>, Integer> ngrams(List<T> tokens, int n) {
    Map<List<T>, Integer> out = new HashMap<>();
    for (int i = 0; i + n <= tokens.size(); i++) {
      out.merge(new ArrayList<>(tokens.subList(i, i + n)), 1, Integer::sum);
    }
    return out;
  }

  static <T> int closestRefLength(List<? extends List<T>> references, int hypLen) {
    int best = -1;
    for (List<T> r : references) {
      int len = r.size();
      if (best < 0 || Math.abs(len - hypLen) < Math.abs(best - hypLen)
          || (Math.abs(len - hypLen) == Math.abs(best - hypLen) && len < best)) {
        best = len;
      }
    }
    return best;
  }

  static double brevityPenalty(long closestRefLen, long hypLen) {
    if (hypLen > closestRefLen) {
      return 1.0;
    }
    if (hypLen == 0) {
      return 0.0;
    }
    return Math.exp(1.0 - (double) closestRefLen / hypLen);
  }

  /** Splits a sentence on whitespace, for quick use: {@code Bleu.tokens("the cat sat")}. */
  public static List<String> tokens(String sentence) {
    String s = sentence.strip();
    return s.isEmpty() ? List.of() : Arrays.asList(s.split("\\s+"));
  }
}
