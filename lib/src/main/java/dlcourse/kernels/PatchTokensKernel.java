package dlcourse.kernels;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A vision transformer's input tokens from its patch convolution, in Java loops over float arrays, behind
 * {@code F.patchTokens}: one pass instead of flatten, transpose, expand, cat and add (and their backward, which
 * copied the transposed view). Stateless.
 */
public final class PatchTokensKernel {
  private PatchTokensKernel() {}

  /**
   * The tokens {@code (B, N + 1, C)}: row 0 of each image the class token, row {@code 1 + n} the conv's channels at
   * patch n (row by row), each plus its row of the position table.
   *
   * @param conv the patch convolution's output {@code (B, C, h, w)}, float, N = h w
   * @param cls the class token, C values
   * @param pos the position table, (N + 1) C values
   */
  public static INDArray forward(INDArray conv, float[] cls, float[] pos) {
    int b = Math.toIntExact(conv.size(0));
    int c = Math.toIntExact(conv.size(1));
    int n = Math.toIntExact(conv.size(2) * conv.size(3));
    int t = n + 1;
    INDArray cv = Layout.plain(conv);
    INDArray out = Buffers.take(DataType.FLOAT, b, t, c);
    FloatBuffer src = cv.data().asNioFloat();
    FloatBuffer dst = out.data().asNioFloat();
    float[] block = new float[c * n]; // one image's conv output (C, N)
    float[] rows = new float[t * c]; // one image's tokens (T, C)
    for (int i = 0; i < b; i++) {
      src.get(i * c * n, block);
      for (int k = 0; k < c; k++) {
        rows[k] = cls[k] + pos[k];
      }
      for (int j = 0; j < n; j++) {
        int r = (j + 1) * c;
        for (int k = 0; k < c; k++) {
          rows[r + k] = block[k * n + j] + pos[r + k];
        }
      }
      dst.put(i * t * c, rows);
    }
    Reference.reachabilityFence(cv); // NIO views do not keep their arrays' memory alive
    Reference.reachabilityFence(out);
    return out;
  }

  /**
   * Backward of {@link #forward} for the tokens' gradient {@code g (B, N + 1, C)}: the conv's gradient (the rows
   * transposed back, written into {@code gConv (B, C, h, w)} unless it is null), and the sums over the batch of row 0
   * (into {@code gCls}, C values) and of every row (into {@code gPos}, (N + 1) C values).
   */
  public static void backward(INDArray g, INDArray gConv, float[] gCls, float[] gPos) {
    int b = Math.toIntExact(g.size(0));
    int t = Math.toIntExact(g.size(1));
    int c = Math.toIntExact(g.size(2));
    int n = t - 1;
    INDArray gp = Layout.plain(g.dataType() == DataType.FLOAT ? g : g.castTo(DataType.FLOAT));
    FloatBuffer gb = gp.data().asNioFloat();
    FloatBuffer gc = gConv == null ? null : gConv.data().asNioFloat();
    float[] rows = new float[t * c];
    float[] block = new float[c * n];
    for (int i = 0; i < b; i++) {
      gb.get(i * t * c, rows);
      for (int k = 0; k < c; k++) {
        gCls[k] += rows[k];
      }
      for (int q = 0; q < t * c; q++) {
        gPos[q] += rows[q];
      }
      if (gc != null) {
        for (int j = 0; j < n; j++) {
          int r = (j + 1) * c;
          for (int k = 0; k < c; k++) {
            block[k * n + j] = rows[r + k];
          }
        }
        gc.put(i * c * n, block);
      }
    }
    Reference.reachabilityFence(gp);
    Reference.reachabilityFence(gConv);
  }
}
