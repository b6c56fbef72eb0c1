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

  /** A corpus of {@code text} (a leading BOM is dropped). */
  public TextCorpus(String text) {
    String t = text.startsWith("\uFEFF") ? text.substring(1) : text;
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

  /** Reads a UTF-8 file; malformed UTF-8 is an error naming the file. */
  public static TextCorpus read(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      String s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      return new TextCorpus(s);
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
    long[] ids = new long[codePoints.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = index.get(codePoints[i]);
    }
    return Nd4j.createFromArray(ids);
  }

  @Override
  public String toString() {
    return "TextCorpus(length=" + length() + ", vocabSize=" + vocabSize() + ")";
  }
}
