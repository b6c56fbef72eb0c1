package dlcourse.nn;

import dlcourse.kernels.Layout;
import dlcourse.util.Check;
import dlcourse.tensor.AutogradFunction;
import dlcourse.tensor.Context;
import dlcourse.tensor.Shapes;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Exact scaled dot-product attention computed tile by tile with an online softmax, never holding the {@code L x S}
 * matrix of scores: the forward pass of FlashAttention (Dao et al. 2022, "FlashAttention: Fast and Memory-Efficient
 * Exact Attention with IO-Awareness", Algorithm 1) and the backward pass of FlashAttention-2 (Dao 2023, Algorithm 2),
 * which recomputes each tile of attention weights from the saved log-sum-exp of its rows instead of storing them.
 *
 * <p>Forward, for each tile of {@code Br} queries {@code Q_i}: a running row maximum {@code m = -inf}, a running row
 * sum {@code l = 0} and an unnormalised output {@code O_i = 0}; then for each tile of {@code Bc} keys
 * <pre>
 *   S   = Q_i K_j^T / sqrt(E)            (Br x Bc; -inf where causal hides key j from query i)
 *   m'  = max(m, rowmax(S))
 *   P   = exp(S - m')                    (Br x Bc)
 *   l   = exp(m - m') * l + rowsum(P)
 *   O_i = exp(m - m') * O_i + P V_j      (Br x Ev)
 *   m   = m'
 * </pre>
 * and at the end {@code O_i / l}. The factor {@code exp(m - m')} rescales what was summed under the old maximum: the
 * result equals {@code softmax(Q K^T / sqrt(E)) V} exactly (up to rounding) whatever the order of the tiles.
 *
 * <p>Backward, with {@code D = rowsum(dO * O)} and the saved {@code lse = m + log(l)} per query: for each tile of keys
 * and each tile of queries, {@code P = exp(S - lse)} is recomputed, then {@code dV_j += P^T dO_i},
 * {@code dP = dO_i V_j^T}, {@code dS = P * (dP - D)}, {@code dQ_i += dS K_j / sqrt(E)},
 * {@code dK_j += dS^T Q_i / sqrt(E)}.
 *
 * <p>Memory besides the inputs, the output and the gradients: one {@code Br x Bc} tile of scores (two in the backward
 * pass), a few numbers per query ({@code m}, {@code l}; {@code lse} and {@code D} are saved), so {@code O(Br Bc + L)}
 * instead of the {@code O(L S)} of {@link F#scaledDotProductAttention}, which holds the scores and the weights. The
 * tiles are products of BLAS matrix multiplications; the softmax bookkeeping runs in double.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>q {@code (..., L, E)}, k {@code (..., S, E)}, v {@code (..., S, Ev)} with equal leading dimensions, float or
 *       double</li>
 *   <li>output {@code (..., L, Ev)}, the dtype of q</li>
 * </ul>
 * {@code causal}: query i sees keys {@code j <= i}, as {@link F#scaledDotProductAttention} (top-left aligned). Example:
 * {@code F.flashAttention(q, k, v, true, 64)} equals {@code F.scaledDotProductAttention(q, k, v, null, true, 0,
 * false)}.
 */
public final class FlashAttention extends AutogradFunction {
  private final boolean causal;
  private final int tileSize;

  /**
   * @param causal whether query i sees only keys {@code j <= i}
   * @param tileSize rows of a query tile and of a key tile ({@code Br = Bc}); the last tile may be shorter
   */
  public FlashAttention(boolean causal, int tileSize) {
    this.causal = causal;
    this.tileSize = (int) Check.positive(tileSize, "tileSize");
  }

  public boolean causal() {
    return causal;
  }

  public int tileSize() {
    return tileSize;
  }

  @Override
  public INDArray forward(Context ctx, INDArray... in) {
    if (in.length != 3) {
      throw new IllegalArgumentException("FlashAttention takes (q, k, v), got " + in.length + " inputs");
    }
    long[] qs = in[0].shape();
    long[] ks = in[1].shape();
    long[] vs = in[2].shape();
    int r = qs.length;
    if (r < 2 || ks.length != r || vs.length != r
        || !Arrays.equals(Arrays.copyOf(qs, r - 2), Arrays.copyOf(ks, r - 2))
        || !Arrays.equals(Arrays.copyOf(qs, r - 2), Arrays.copyOf(vs, r - 2))
        || qs[r - 1] != ks[r - 1] || ks[r - 2] != vs[r - 2]) {
      throw new IllegalArgumentException("expected q (..., L, E), k (..., S, E), v (..., S, Ev) with equal leading"
          + " dimensions, got " + Shapes.str(qs) + ", " + Shapes.str(ks) + ", " + Shapes.str(vs));
    }
    DataType type = in[0].dataType();
    if (type != DataType.FLOAT && type != DataType.DOUBLE) {
      throw new IllegalArgumentException("FlashAttention needs float or double inputs, got " + type);
    }
    Dims d = new Dims(qs, ks, vs);
    INDArray q = plain(in[0], type).reshape(d.m, d.l, d.e); // (M, L, E)
    INDArray k = plain(in[1], type).reshape(d.m, d.s, d.e); // (M, S, E)
    INDArray v = plain(in[2], type).reshape(d.m, d.s, d.ev); // (M, S, Ev)
    INDArray out = Nd4j.zeros(type, d.m, d.l, d.ev); // (M, L, Ev): O_i accumulates in place
    INDArray lse = Nd4j.create(DataType.DOUBLE, d.m, d.l); // (M, L): m + log(l) per query, for backward
    Tile tile = new Tile(type, tileSize);
    for (int b = 0; b < d.m; b++) {
      INDArray[] kt = tiles(k, b, d.s); // K_j: (Bc, E) views
      INDArray[] vt = tiles(v, b, d.s); // V_j: (Bc, Ev) views
      for (int i0 = 0; i0 < d.l; i0 += tileSize) {
        forwardQueryTile(q, kt, vt, out, lse, b, i0, Math.min(i0 + tileSize, d.l), d, tile);
      }
    }
    ctx.saveForBackward(q, k, v, out, lse);
    long[] outShape = Arrays.copyOf(qs, r);
    outShape[r - 1] = d.ev;
    return out.reshape(outShape); // (..., L, Ev)
  }

  /** Rows {@code i0 .. i1 - 1} of batch {@code b}: Algorithm 1's inner loop over key tiles. */
  private void forwardQueryTile(INDArray q, INDArray[] kt, INDArray[] vt, INDArray out, INDArray lse, int b, int i0,
      int i1, Dims d, Tile tile) {
    int br = i1 - i0;
    INDArray qi = rows(q, b, i0, i1); // (Br, E)
    INDArray oi = rows(out, b, i0, i1); // (Br, Ev), zero
    double[] m = new double[br];
    double[] l = new double[br];
    Arrays.fill(m, Double.NEGATIVE_INFINITY);
    int keyEnd = causal ? Math.min(d.s, i1) : d.s; // causal: no query of the tile sees key i1 or later
    for (int j0 = 0; j0 < keyEnd; j0 += tileSize) {
      int j1 = Math.min(j0 + tileSize, d.s);
      int bc = j1 - j0;
      INDArray s = tile.scores(br, bc);
      Nd4j.gemm(qi, kt[j0 / tileSize], s, false, true, d.scale, 0); // S = Q_i K_j^T / sqrt(E), (Br, Bc)
      tile.read(br * bc);
      double[] p = tile.values;
      for (int r = 0; r < br; r++) {
        double rowMax = m[r];
        for (int c = 0; c < bc; c++) {
          if (causal && j0 + c > i0 + r) {
            p[r * bc + c] = Double.NEGATIVE_INFINITY;
          }
          rowMax = Math.max(rowMax, p[r * bc + c]);
        }
        double sum = 0;
        for (int c = 0; c < bc; c++) {
          double e = rowMax == Double.NEGATIVE_INFINITY ? 0 : Math.exp(p[r * bc + c] - rowMax);
          p[r * bc + c] = e;
          sum += e;
        }
        double rescale = rowMax == Double.NEGATIVE_INFINITY ? 1 : Math.exp(m[r] - rowMax); // exp(m - m')
        l[r] = rescale * l[r] + sum;
        m[r] = rowMax;
        tile.alpha.putScalar(r, rescale);
      }
      tile.write(br * bc); // S's buffer now holds P
      oi.muli(tile.column(br)); // O_i *= exp(m - m'), broadcast over the columns
      Nd4j.gemm(s, vt[j0 / tileSize], oi, false, false, 1, 1); // O_i += P V_j
    }
    for (int r = 0; r < br; r++) {
      // A query that sees no key (only when S = 0) keeps O = 0, as the masked rows of scaledDotProductAttention.
      tile.alpha.putScalar(r, l[r] == 0 ? 0 : 1 / l[r]);
      lse.putScalar(new long[] {b, i0 + r}, l[r] == 0 ? Double.NEGATIVE_INFINITY : m[r] + Math.log(l[r]));
    }
    oi.muli(tile.column(br)); // O_i / l
  }

  @Override
  public INDArray[] backward(Context ctx, INDArray gradOutput) {
    INDArray q = ctx.saved(0); // (M, L, E)
    INDArray k = ctx.saved(1); // (M, S, E)
    INDArray v = ctx.saved(2); // (M, S, Ev)
    INDArray out = ctx.saved(3); // (M, L, Ev)
    INDArray lse = ctx.saved(4); // (M, L)
    DataType type = q.dataType();
    Dims d = new Dims(ctx.inputShape(0), ctx.inputShape(1), ctx.inputShape(2));
    INDArray dout = plain(gradOutput, type).reshape(d.m, d.l, d.ev); // (M, L, Ev)
    INDArray rowDot = dout.mul(out).sum(2).castTo(DataType.DOUBLE); // D = rowsum(dO * O), (M, L)
    INDArray dq = Nd4j.zeros(type, d.m, d.l, d.e);
    INDArray dk = Nd4j.zeros(type, d.m, d.s, d.e);
    INDArray dv = Nd4j.zeros(type, d.m, d.s, d.ev);
    Tile tile = new Tile(type, tileSize);
    Tile grad = new Tile(type, tileSize);
    for (int b = 0; b < d.m; b++) {
      INDArray[][] queryTiles = {tiles(q, b, d.l), tiles(dout, b, d.l), tiles(dq, b, d.l)}; // Q_i, dO_i, dQ_i
      INDArray[][] keyTiles = {tiles(k, b, d.s), tiles(v, b, d.s), tiles(dk, b, d.s), tiles(dv, b, d.s)};
      for (int j0 = 0; j0 < d.s; j0 += tileSize) {
        int first = causal ? j0 / tileSize * tileSize : 0; // causal: query tiles that end before key j0 see none
        for (int i0 = first; i0 < d.l; i0 += tileSize) {
          backwardTile(queryTiles, keyTiles, lse, rowDot, b, i0, j0, d, tile, grad);
        }
      }
    }
    return new INDArray[] {dq.reshape(ctx.inputShape(0)), dk.reshape(ctx.inputShape(1)),
      dv.reshape(ctx.inputShape(2))};
  }

  /** One (query tile, key tile) pair of Algorithm 2: P recomputed from lse, then the four gradient products. */
  private void backwardTile(INDArray[][] queryTiles, INDArray[][] keyTiles, INDArray lse, INDArray rowDot, int b,
      int i0, int j0, Dims d, Tile tile, Tile grad) {
    INDArray qi = queryTiles[0][i0 / tileSize]; // (Br, E)
    INDArray doi = queryTiles[1][i0 / tileSize]; // (Br, Ev)
    INDArray dqi = queryTiles[2][i0 / tileSize]; // (Br, E)
    INDArray kj = keyTiles[0][j0 / tileSize]; // (Bc, E)
    INDArray vj = keyTiles[1][j0 / tileSize]; // (Bc, Ev)
    INDArray dkj = keyTiles[2][j0 / tileSize]; // (Bc, E)
    INDArray dvj = keyTiles[3][j0 / tileSize]; // (Bc, Ev)
    int br = (int) qi.rows();
    int bc = (int) kj.rows();
    INDArray s = tile.scores(br, bc);
    Nd4j.gemm(qi, kj, s, false, true, d.scale, 0); // S = Q_i K_j^T / sqrt(E), (Br, Bc)
    tile.read(br * bc);
    double[] p = tile.values;
    for (int r = 0; r < br; r++) {
      double rowLse = lse.getDouble(b, i0 + r);
      for (int c = 0; c < bc; c++) {
        boolean hidden = causal && j0 + c > i0 + r || rowLse == Double.NEGATIVE_INFINITY;
        p[r * bc + c] = hidden ? 0 : Math.exp(p[r * bc + c] - rowLse); // P = exp(S - lse)
      }
    }
    tile.write(br * bc); // now P, (Br, Bc)
    Nd4j.gemm(s, doi, dvj, true, false, 1, 1); // dV_j += P^T dO_i
    INDArray dp = grad.scores(br, bc);
    Nd4j.gemm(doi, vj, dp, false, true, 1, 0); // dP = dO_i V_j^T, (Br, Bc)
    grad.read(br * bc);
    double[] ds = grad.values;
    for (int r = 0; r < br; r++) {
      double dr = rowDot.getDouble(b, i0 + r);
      for (int c = 0; c < bc; c++) {
        ds[r * bc + c] = p[r * bc + c] * (ds[r * bc + c] - dr); // dS = P * (dP - D)
      }
    }
    grad.write(br * bc); // now dS, (Br, Bc)
    Nd4j.gemm(dp, kj, dqi, false, false, d.scale, 1); // dQ_i += dS K_j / sqrt(E)
    Nd4j.gemm(dp, qi, dkj, true, false, d.scale, 1); // dK_j += dS^T Q_i / sqrt(E)
  }

  /** Rows {@code from .. to - 1} of matrix {@code b} of a {@code (M, n, c)} array: a view. */
  private static INDArray rows(INDArray a, int b, int from, int to) {
    return a.get(NDArrayIndex.point(b), NDArrayIndex.interval(from, to), NDArrayIndex.all());
  }

  /** Matrix {@code b} of a {@code (M, n, c)} array cut into tiles of {@code tileSize} rows (views), the last shorter. */
  private INDArray[] tiles(INDArray a, int b, int n) {
    INDArray[] t = new INDArray[(n + tileSize - 1) / tileSize];
    for (int i = 0; i < t.length; i++) {
      t[i] = rows(a, b, i * tileSize, Math.min(n, (i + 1) * tileSize));
    }
    return t;
  }

  /** {@code a} in type {@code t}, c-ordered over its whole buffer from offset 0 (a copy only when it is not). */
  private static INDArray plain(INDArray a, DataType t) {
    return Layout.plain(a.dataType() == t ? a : a.castTo(t));
  }

  /** The sizes of one call: M matrices of L queries, S keys, E channels of q and k, Ev of v. */
  private static final class Dims {
    final int m;
    final int l;
    final int s;
    final int e;
    final int ev;
    final double scale;

    Dims(long[] qs, long[] ks, long[] vs) {
      int r = qs.length;
      long batch = 1;
      for (int i = 0; i < r - 2; i++) {
        batch *= qs[i];
      }
      m = Math.toIntExact(batch);
      l = Math.toIntExact(qs[r - 2]);
      s = Math.toIntExact(ks[r - 2]);
      e = Math.toIntExact(qs[r - 1]);
      ev = Math.toIntExact(vs[r - 1]);
      scale = 1 / Math.sqrt(e);
    }
  }

  /**
   * The working memory of one pass, allocated once per call and reused by every tile (the "SRAM" of the paper): a
   * native tile of up to {@code tileSize^2} scores, its values in double for the softmax bookkeeping, and a column of
   * per-row factors.
   */
  private static final class Tile {
    private final INDArray flat;
    final double[] values;
    final INDArray alpha;
    private final java.util.Map<Long, INDArray> views = new java.util.HashMap<>(); // (br, bc) -> view of flat

    Tile(DataType type, int tileSize) {
      flat = Nd4j.create(type, (long) tileSize * tileSize);
      values = new double[tileSize * tileSize];
      alpha = Nd4j.create(type, tileSize, 1);
    }

    /** The first {@code br * bc} elements of the tile as a {@code (br, bc)} matrix (a view, no copy). */
    INDArray scores(int br, int bc) {
      return views.computeIfAbsent((long) br << 32 | bc,
          key -> flat.get(NDArrayIndex.interval(0, (long) br * bc)).reshape(br, bc));
    }

    /** The first {@code br} factors as a {@code (br, 1)} column (a view). */
    INDArray column(int br) {
      return views.computeIfAbsent(-(long) br, key -> alpha.get(NDArrayIndex.interval(0, br), NDArrayIndex.all()));
    }

    /** Copies the first {@code n} elements of the tile (the matrix {@link #scores} returned) into {@link #values}. */
    void read(int n) {
      if (flat.dataType() == DataType.FLOAT) {
        java.nio.FloatBuffer f = flat.data().asNioFloat();
        for (int i = 0; i < n; i++) {
          values[i] = f.get(i);
        }
      } else {
        flat.data().asNioDouble().get(values, 0, n);
      }
    }

    /** Copies the first {@code n} of {@link #values} back into the tile. */
    void write(int n) {
      if (flat.dataType() == DataType.FLOAT) {
        java.nio.FloatBuffer f = flat.data().asNioFloat();
        for (int i = 0; i < n; i++) {
          f.put(i, (float) values[i]);
        }
      } else {
        flat.data().asNioDouble().put(values, 0, n);
      }
    }
  }
}
