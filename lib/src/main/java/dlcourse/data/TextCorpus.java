package dlcourse.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A text as a sequence of characters with a character vocabulary, for character-level language models.
 *
 * <p>Characters are Unicode code points; the vocabulary is the sorted set of distinct characters, so token
 * {@code k} is {@code vocabulary().codePointAt(k)} (by code point). A leading UTF-8 byte-order mark is dropped.
 *
 * <pre>{@code
 * var text = TextCorpus.read(path);      // 540,241 characters, 87 distinct for Grimms' tales
 * INDArray ids = text.tensor();           // int64 (540241)
 * String s = text.decode(text.encode("Hansel"));
 * }</pre>
 */
public final class TextCorpus {
  private final String text;
  private final int[] codePoints;
  private final int[] vocab;
  private final Map<Integer, Integer> index = new HashMap<>();
  private long[] ids; // the tokens, made on first use

  /** A corpus of {@code text} (a leading BOM is dropped). */
  public TextCorpus(String text) {
    this(text, false);
  }

  /**
   * A corpus of {@code text}, keeping a leading BOM (U+FEFF) as a character when {@code keepBom}: the UvA course
   * template reads Grimms' tales that way, 540,241 characters and 87 distinct.
   */
  public TextCorpus(String text, boolean keepBom) {
    String t = !keepBom && text.startsWith("\uFEFF") ? text.substring(1) : text;
    this.text = t;
    this.codePoints = t.codePoints().toArray();
    TreeSet<Integer> set = new TreeSet<>();
    for (int cp : codePoints) {
      set.add(cp);
    }
    this.vocab = set.stream().mapToInt(Integer::intValue).toArray();
    for (int i = 0; i < vocab.length; i++) {
      index.put(vocab[i], i);
    }
  }

  /** Reads a UTF-8 file; malformed UTF-8 is an error naming the file. A leading BOM is dropped. */
  public static TextCorpus read(Path file) {
    return read(file, false);
  }

  /** Reads a UTF-8 file, keeping a leading BOM as a character when {@code keepBom}; see {@link #read(Path)}. */
  public static TextCorpus read(Path file, boolean keepBom) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      String s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      return new TextCorpus(s, keepBom);
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(file + " is not valid UTF-8: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** The text without BOM. */
  public String text() {
    return text;
  }

  /** The number of characters (code points). */
  public int length() {
    return codePoints.length;
  }

  /** The number of distinct characters. */
  public int vocabSize() {
    return vocab.length;
  }

  /** The distinct characters in token order, as a string. */
  public String vocabulary() {
    return new String(vocab, 0, vocab.length);
  }

  /** The token of character {@code codePoint}. */
  public int token(int codePoint) {
    Integer t = index.get(codePoint);
    if (t == null) {
      throw new IllegalArgumentException(
          "character '" + new String(Character.toChars(codePoint)) + "' (U+"
              + Integer.toHexString(codePoint).toUpperCase() + ") is not in the vocabulary");
    }
    return t;
  }

  /** The tokens of {@code s}; every character must be in the vocabulary. */
  public long[] encode(String s) {
    return s.codePoints().mapToLong(this::token).toArray();
  }

  /** The text of {@code tokens}. */
  public String decode(long[] tokens) {
    StringBuilder sb = new StringBuilder(tokens.length);
    for (long t : tokens) {
      if (t < 0 || t >= vocab.length) {
        throw new IllegalArgumentException("token " + t + " out of range [0, " + vocab.length + ")");
      }
      sb.appendCodePoint(vocab[(int) t]);
    }
    return sb.toString();
  }

  /** The text of a 1-D integer tensor of tokens. */
  public String decode(INDArray tokens) {
    return decode(tokens.toLongVector());
  }

  /** The whole text as tokens, int64 {@code (length())}. */
  public INDArray tensor() {
    return Nd4j.createFromArray(ids().clone());
  }

  private long[] ids() {
    if (ids == null) {
      long[] out = new long[codePoints.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = index.get(codePoints[i]);
      }
      ids = out;
    }
    return ids;
  }

  /**
   * The number of next-character samples of length {@code blockSize}: {@code length() - blockSize}, one per offset
   * (the course template's {@code TextDataset.__len__}).
   */
  public long numBlocks(int blockSize) {
    if (blockSize <= 0 || blockSize >= codePoints.length) {
      throw new IllegalArgumentException("blockSize must be in [1, " + codePoints.length + "), got " + blockSize);
    }
    return codePoints.length - blockSize;
  }

  /**
   * A batch of next-character samples, one per offset {@code i}: {@code x = tokens[i, i + blockSize)} and {@code
   * y = tokens[i + 1, i + blockSize + 1)} (the course template's {@code TextDataset.__getitem__}, nanoGPT's {@code
   * get_batch}).
   *
   * @param offsets sample indices in {@code [0, numBlocks(blockSize))}
   * @return x and y, int64 {@code (offsets.length, blockSize)} each
   */
  public Batch blocks(long[] offsets, int blockSize) {
    long n = numBlocks(blockSize);
    long[] all = ids();
    long[][] x = new long[offsets.length][];
    long[][] y = new long[offsets.length][];
    for (int r = 0; r < offsets.length; r++) {
      long i = offsets[r];
      if (i < 0 || i >= n) {
        throw new IllegalArgumentException("offset " + i + " out of range [0, " + n + ")");
      }
      x[r] = java.util.Arrays.copyOfRange(all, (int) i, (int) i + blockSize);
      y[r] = java.util.Arrays.copyOfRange(all, (int) i + 1, (int) i + blockSize + 1);
    }
    return Batch.of(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
  }

  /**
   * The longest substring of {@code s} that occurs verbatim in this text (the first such one in {@code s}; "" if no
   * character does): how much of a generated sample was memorised.
   */
  public String longestSubstringIn(String s) {
    int best = 0;
    int bestFrom = 0;
    int j = 0;
    // s[i, j) occurring implies s[i + 1, j) occurs: one sweep of two pointers, O(|s|) searches
    for (int i = 0; i < s.length(); i++) {
      j = Math.max(j, i);
      while (j < s.length() && text.contains(s.substring(i, j + 1))) {
        j++;
      }
      if (j - i > best) {
        best = j - i;
        bestFrom = i;
      }
    }
    return s.substring(bestFrom, bestFrom + best);
  }

  /** {@code s} with every run of whitespace (spaces, line breaks, tabs) replaced by one space. */
  public static String collapseWhitespace(String s) {
    return s.replaceAll("\\s+", " ");
  }

  @Override
  public String toString() {
    return "TextCorpus(length=" + length() + ", vocabSize=" + vocabSize() + ")";
  }
}
