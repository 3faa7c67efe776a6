package dev.jllm.train.nn;

import java.util.stream.IntStream;

/**
 * Causal grouped-query attention, optionally limited to a sliding window, with right-padding key masks.
 *
 * <p>Layout: {@code q [B·T, H·d]}, {@code k, v [B·T, KV·d]}, query head h reads key/value head {@code h / (H/KV)}
 * (transformers' {@code repeat_kv}). Query t of a row sees key s when {@code s ≤ t}, {@code t − s < window}
 * (window 0: unlimited; the window counts the query's own position) and {@code keyMask[s] = 1}, or, in a
 * padding-free batch of packed sequences, {@code keyMask[s] = keyMask[t]} (the sequence number).
 *
 * <p>Memory: forward keeps only the output and one log-sum-exp per query and head; backward recomputes each
 * probability from q, k and that log-sum-exp (FlashAttention's scheme), so no T×T matrix is ever stored, only one
 * T-long row of scores per worker. A query with no visible key (only possible for an all-padding row) outputs
 * zeros; transformers outputs a uniform average there instead, but such positions carry no loss and no later
 * position can attend to them, so gradients are identical. Scores are computed {@value #QT} queries at a time with
 * the blocked {@link Matmul}, so a worker holds at most a {@value #QT}×T tile.
 */
public final class Attention {
    private Attention() {}

    /** Static shape of one attention call. */
    public record Shape(int batch, int seqLen, int heads, int kvHeads, int headDim, int window) {
        public Shape {
            if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kvHeads);
        }

        double scale() {
            return 1.0 / Math.sqrt(headDim);
        }

        int firstVisible(int t) {
            return window > 0 ? Math.max(0, t - window + 1) : 0;
        }
    }

    /** Queries per tile: one tile's scores ({@value #QT} × T) are the only score storage a worker holds. */
    static final int QT = 64;

    /** Fills {@code out} and {@code lse [B·H·T]} (NEGATIVE_INFINITY marks a query that saw no key). */
    public static void forward(double[] out, double[] lse, double[] q, double[] k, double[] v, int[] keyMask, Shape s) {
        int groups = s.batch() * s.kvHeads();
        IntStream.range(0, groups).parallel().forEach(g -> forwardGroup(out, lse, q, k, v, keyMask, s, g / s.kvHeads(), g % s.kvHeads()));
    }

    /** Copies head {@code h} of row {@code b} out of a {@code [B·T, heads·d]} matrix into a dense {@code [T, d]} one. */
    private static double[] gather(double[] x, int b, int h, int heads, Shape s) {
        int T = s.seqLen(), d = s.headDim();
        double[] dst = new double[T * d];
        for (int t = 0; t < T; t++) System.arraycopy(x, (b * T + t) * heads * d + h * d, dst, t * d, d);
        return dst;
    }

    private static void scatterAdd(double[] x, double[] src, int b, int h, int heads, Shape s) {
        int T = s.seqLen(), d = s.headDim();
        for (int t = 0; t < T; t++) {
            int o = (b * T + t) * heads * d + h * d;
            for (int i = 0; i < d; i++) x[o + i] += src[t * d + i];
        }
    }

    /**
     * Whether query t of row b may see key j. A mask value above 1 numbers a packed sequence (padding-free batches):
     * then only keys of the query's own sequence are visible.
     */
    private static boolean visible(int[] keyMask, Shape s, int b, int t, int j) {
        if (j > t || j < s.firstVisible(t)) return false;
        if (keyMask == null) return true;
        int key = keyMask[b * s.seqLen() + j], query = keyMask[b * s.seqLen() + t];
        return key != 0 && (query == 0 || key == query);
    }

    /**
     * Scaled scores of queries {@code [t0, t0+qt)} against keys {@code [0, kt)}, masked entries set to −∞;
     * {@code kt = t0 + qt} because causality hides every later key.
     */
    private static double[] scores(double[] qh, double[] kh, int[] keyMask, Shape s, int b, int t0, int qt) {
        int d = s.headDim(), kt = t0 + qt;
        double[] sc = new double[qt * kt];
        Matmul.nt(sc, java.util.Arrays.copyOfRange(qh, t0 * d, kt * d), kh, qt, kt, d, false);
        double scale = s.scale();
        for (int r = 0; r < qt; r++) {
            int t = t0 + r;
            for (int j = 0; j < kt; j++) {
                sc[r * kt + j] = visible(keyMask, s, b, t, j) ? sc[r * kt + j] * scale : Double.NEGATIVE_INFINITY;
            }
        }
        return sc;
    }

    private static void forwardGroup(double[] out, double[] lse, double[] q, double[] k, double[] v, int[] keyMask,
                                     Shape s, int b, int kvh) {
        int T = s.seqLen(), d = s.headDim(), H = s.heads(), rep = H / s.kvHeads();
        double[] kh = gather(k, b, kvh, s.kvHeads(), s);
        double[] vh = gather(v, b, kvh, s.kvHeads(), s);
        for (int h = kvh * rep; h < (kvh + 1) * rep; h++) {
            double[] qh = gather(q, b, h, H, s);
            double[] oh = new double[T * d];
            for (int t0 = 0; t0 < T; t0 += QT) {
                int qt = Math.min(QT, T - t0), kt = t0 + qt;
                double[] p = scores(qh, kh, keyMask, s, b, t0, qt);
                for (int r = 0; r < qt; r++) {
                    int o = r * kt;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < kt; j++) max = Math.max(max, p[o + j]);
                    int li = (b * H + h) * T + t0 + r;
                    if (max == Double.NEGATIVE_INFINITY) {
                        lse[li] = Double.NEGATIVE_INFINITY;
                        java.util.Arrays.fill(p, o, o + kt, 0.0);
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < kt; j++) {
                        double e = Math.exp(p[o + j] - max);
                        p[o + j] = e;
                        sum += e;
                    }
                    double inv = 1.0 / sum;
                    for (int j = 0; j < kt; j++) p[o + j] *= inv;
                    lse[li] = max + Math.log(sum);
                }
                double[] ot = new double[qt * d];
                Matmul.nn(ot, p, vh, qt, d, kt, false);
                System.arraycopy(ot, 0, oh, t0 * d, qt * d);
            }
            for (int t = 0; t < T; t++) System.arraycopy(oh, t * d, out, (b * T + t) * H * d + h * d, d);
        }
    }

    /**
     * Accumulates dq, dk, dv. With {@code P = softmax(S)} recomputed from the saved log-sum-exp and
     * {@code D_t = dO_t·O_t}: {@code dV += Pᵀ·dO}, {@code dS = P∘(dO·Vᵀ − D)}, {@code dQ += scale·dS·K},
     * {@code dK += scale·dSᵀ·Q}.
     */
    public static void backward(double[] dq, double[] dk, double[] dv, double[] dout, double[] out, double[] lse,
                                double[] q, double[] k, double[] v, int[] keyMask, Shape s) {
        int groups = s.batch() * s.kvHeads();
        // Each (row, kv head) group owns its slices of dq, dk and dv, so groups run in parallel without races.
        IntStream.range(0, groups).parallel().forEach(g ->
                backwardGroup(dq, dk, dv, dout, out, lse, q, k, v, keyMask, s, g / s.kvHeads(), g % s.kvHeads()));
    }

    private static void backwardGroup(double[] dq, double[] dk, double[] dv, double[] dout, double[] out, double[] lse,
                                      double[] q, double[] k, double[] v, int[] keyMask, Shape s, int b, int kvh) {
        int T = s.seqLen(), d = s.headDim(), H = s.heads(), rep = H / s.kvHeads();
        double scale = s.scale();
        double[] kh = gather(k, b, kvh, s.kvHeads(), s);
        double[] vh = gather(v, b, kvh, s.kvHeads(), s);
        double[] dkh = new double[T * d];
        double[] dvh = new double[T * d];
        for (int h = kvh * rep; h < (kvh + 1) * rep; h++) {
            double[] qh = gather(q, b, h, H, s);
            double[] doh = gather(dout, b, h, H, s);
            double[] oh = gather(out, b, h, H, s);
            double[] dqh = new double[T * d];
            for (int t0 = 0; t0 < T; t0 += QT) {
                int qt = Math.min(QT, T - t0), kt = t0 + qt;
                double[] p = scores(qh, kh, keyMask, s, b, t0, qt);
                for (int r = 0; r < qt; r++) {
                    double l = lse[(b * H + h) * T + t0 + r];
                    int o = r * kt;
                    for (int j = 0; j < kt; j++) p[o + j] = l == Double.NEGATIVE_INFINITY ? 0.0 : Math.exp(p[o + j] - l);
                }
                double[] doTile = java.util.Arrays.copyOfRange(doh, t0 * d, kt * d);
                Matmul.tn(dvh, p, doTile, kt, d, qt, true);
                double[] dp = new double[qt * kt];
                Matmul.nt(dp, doTile, vh, qt, kt, d, false);
                for (int r = 0; r < qt; r++) {
                    int t = t0 + r;
                    double D = 0;
                    for (int i = 0; i < d; i++) D += doh[t * d + i] * oh[t * d + i];
                    int o = r * kt;
                    for (int j = 0; j < kt; j++) dp[o + j] = p[o + j] * (dp[o + j] - D) * scale;
                }
                double[] dqTile = new double[qt * d];
                Matmul.nn(dqTile, dp, kh, qt, d, kt, false);
                System.arraycopy(dqTile, 0, dqh, t0 * d, qt * d);
                Matmul.tn(dkh, dp, java.util.Arrays.copyOfRange(qh, t0 * d, kt * d), kt, d, qt, true);
            }
            scatterAdd(dq, dqh, b, h, H, s);
        }
        scatterAdd(dk, dkh, b, kvh, s.kvHeads(), s);
        scatterAdd(dv, dvh, b, kvh, s.kvHeads(), s);
    }
}
