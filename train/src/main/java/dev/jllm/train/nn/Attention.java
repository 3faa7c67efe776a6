package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.kernel.Parallel;

/**
 * Causal grouped-query attention, optionally limited to a sliding window, with right-padding key masks.
 *
 * <p>Layout: {@code q [B·T, H·d]}, {@code k, v [B·T, KV·d]}, query head h reads key/value head {@code h / (H/KV)}
 * (transformers' {@code repeat_kv}). Query t of a row sees key s when {@code s ≤ t}, {@code t − s < window}
 * (window 0: unlimited; the window counts the query's own position) and {@code keyMask[s] = 1}, or, in a
 * padding-free batch of packed sequences, {@code keyMask[s] = keyMask[t]} (the mask numbers the sequences 1, 2, ...).
 *
 * <p>Memory: forward keeps only the output and one log-sum-exp per query and head; backward recomputes each
 * probability from q, k and that log-sum-exp (FlashAttention's scheme), so no T×T matrix is ever stored, only one
 * {@value #QT}×T tile of scores per worker. A query with no visible key (only possible for an all-padding row)
 * outputs zeros; transformers outputs a uniform average there instead, but such positions carry no loss and no
 * later position can attend to them, so gradients are identical.
 *
 * <p>Work is split over (row, kv head) groups: a group owns its slices of every output and gradient, so groups
 * run on different cores without synchronisation, and the products inside a group run serially on core's
 * {@link Gemm} (a nested parallel call runs inline). Softmax sums and {@code D = dO·O} accumulate in double.
 */
public final class Attention {
    private Attention() {}

    /** Static shape of one attention call. */
    public record Shape(int batch, int seqLen, int heads, int kvHeads, int headDim, int window) {
        public Shape {
            if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kvHeads);
        }

        float scale() {
            return (float) (1.0 / Math.sqrt(headDim));
        }

        int firstVisible(int t) {
            return window > 0 ? Math.max(0, t - window + 1) : 0;
        }
    }

    /** Queries per tile: one tile's scores ({@value #QT} × T) are the only score storage a worker holds. */
    static final int QT = 64;

    /** One worker's buffers, allocated once per call and reused for every group the worker handles. */
    private static final class Scratch {
        final float[] kh, vh, qh, oh, dkh, dvh, dqh, scores, dscores;

        Scratch(Shape s, boolean backward) {
            int td = s.seqLen() * s.headDim(), tile = Math.min(QT, s.seqLen()) * s.seqLen();
            kh = new float[td];
            vh = new float[td];
            qh = new float[td];
            oh = new float[td];
            scores = new float[tile];
            dkh = backward ? new float[td] : null;
            dvh = backward ? new float[td] : null;
            dqh = backward ? new float[td] : null;
            dscores = backward ? new float[tile] : null;
        }
    }

    /** Fills {@code out} and {@code lse [B·H·T]} (NEGATIVE_INFINITY marks a query that saw no key). */
    public static void forward(float[] out, float[] lse, float[] q, float[] k, float[] v, int[] keyMask, Shape s) {
        // Groups are handed out one at a time (a core that loses its time slice to another process does fewer), each
        // worker keeping its own scratch.
        Scratch[] scratch = new Scratch[Parallel.threads()];
        Parallel.forChunks(s.batch() * s.kvHeads(), 1, (w, g0, g1) -> {
            Scratch sc = scratch[w] != null ? scratch[w] : (scratch[w] = new Scratch(s, false));
            for (int g = g0; g < g1; g++) forwardGroup(out, lse, q, k, v, keyMask, s, g / s.kvHeads(), g % s.kvHeads(), sc);
        });
    }

    /** Copies head {@code h} of row {@code b} out of a {@code [B·T, heads·d]} matrix into a dense {@code [T, d]} one. */
    private static void gather(float[] x, int b, int h, int heads, Shape s, float[] dst) {
        int T = s.seqLen(), d = s.headDim();
        for (int t = 0; t < T; t++) System.arraycopy(x, (b * T + t) * heads * d + h * d, dst, t * d, d);
    }

    /** Copies a dense {@code [T, d]} head back into its slice of a {@code [B·T, heads·d]} matrix. */
    private static void scatter(float[] x, float[] src, int b, int h, int heads, Shape s) {
        int T = s.seqLen(), d = s.headDim();
        for (int t = 0; t < T; t++) System.arraycopy(src, t * d, x, (b * T + t) * heads * d + h * d, d);
    }

    /**
     * Scaled scores of queries {@code [t0, t0+qt)} against keys {@code [k0, kt)} into {@code sc [qt, kt − k0]}, masked
     * entries set to −∞; {@code kt = t0 + qt} because causality hides every later key, and {@code k0} from
     * {@link #firstKey} because every earlier one is hidden from the whole tile.
     */
    private static void scores(float[] qh, float[] kh, int[] keyMask, Shape s, int b, int t0, int qt, int k0, float[] sc) {
        int d = s.headDim(), kt = t0 + qt, kw = kt - k0, T = s.seqLen();
        Gemm.gemm(false, true, qt, kw, d, qh, t0 * d, kh, k0 * d, sc, 0, false);
        float scale = s.scale();
        for (int r = 0; r < qt; r++) {
            int t = t0 + r, o = r * kw - k0, first = Math.max(k0, s.firstVisible(t));
            // visible keys form the range [first, t] (less the padded ones and, in a packed row, other sequences' keys);
            // everything else is −∞. Key j sits at sc[o + j].
            java.util.Arrays.fill(sc, o + k0, o + first, Float.NEGATIVE_INFINITY);
            VectorMath.scale(sc, o + first, o + t + 1, scale);
            java.util.Arrays.fill(sc, o + t + 1, o + kt, Float.NEGATIVE_INFINITY);
            if (keyMask != null) {
                // a mask value above 1 numbers a packed sequence: a query sees only keys of its own sequence
                int own = keyMask[b * T + t];
                for (int j = first; j <= t; j++) {
                    int m = keyMask[b * T + j];
                    if (m == 0 || (own != 0 && m != own)) sc[o + j] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }

    /**
     * For each position of row b, the first key its own mask run allows: the start of its packed sequence (the run of
     * equal mask values it belongs to), or 0 for a padding query (which sees every real key) and without a mask.
     */
    private static int[] runStarts(int[] keyMask, Shape s, int b) {
        int T = s.seqLen();
        int[] start = new int[T];
        if (keyMask == null) return start;
        for (int t = 0; t < T; t++) {
            int m = keyMask[b * T + t];
            start[t] = m == 0 ? 0 : t > 0 && keyMask[b * T + t - 1] == m ? start[t - 1] : t;
        }
        return start;
    }

    /**
     * The first key any query of the tile {@code [t0, t0+qt)} can see: every earlier key is hidden from the whole
     * tile (by the sliding window, or because it belongs to earlier packed sequences), so the tile's products start
     * there. In a padding-free row of packed sequences this makes the work the sum of the sequences' own triangles
     * instead of one triangle over the whole row.
     */
    private static int firstKey(int[] runStart, Shape s, int t0, int qt) {
        int first = Integer.MAX_VALUE;
        for (int t = t0; t < t0 + qt; t++) first = Math.min(first, Math.max(s.firstVisible(t), runStart[t]));
        return first;
    }

    private static void forwardGroup(float[] out, float[] lse, float[] q, float[] k, float[] v, int[] keyMask,
                                     Shape s, int b, int kvh, Scratch w) {
        int T = s.seqLen(), d = s.headDim(), H = s.heads(), rep = H / s.kvHeads();
        gather(k, b, kvh, s.kvHeads(), s, w.kh);
        gather(v, b, kvh, s.kvHeads(), s, w.vh);
        float[] p = w.scores;
        int[] runStart = runStarts(keyMask, s, b);
        for (int h = kvh * rep; h < (kvh + 1) * rep; h++) {
            gather(q, b, h, H, s, w.qh);
            for (int t0 = 0; t0 < T; t0 += QT) {
                int qt = Math.min(QT, T - t0), kt = t0 + qt, k0 = firstKey(runStart, s, t0, qt), kw = kt - k0;
                scores(w.qh, w.kh, keyMask, s, b, t0, qt, k0, p);
                for (int r = 0; r < qt; r++) {
                    int o = r * kw;
                    float max = VectorMath.max(p, o, o + kw);
                    int li = (b * H + h) * T + t0 + r;
                    if (max == Float.NEGATIVE_INFINITY) {
                        lse[li] = Float.NEGATIVE_INFINITY;
                        java.util.Arrays.fill(p, o, o + kw, 0f);
                        continue;
                    }
                    double sum = VectorMath.expSum(p, o, o + kw, max, true);
                    VectorMath.scale(p, o, o + kw, (float) (1.0 / sum));
                    lse[li] = (float) (max + Math.log(sum));
                }
                Gemm.gemm(false, false, qt, d, kw, p, 0, w.vh, k0 * d, w.oh, t0 * d, false);    // O = P·V
            }
            scatter(out, w.oh, b, h, H, s);
        }
    }

    /**
     * Writes dq, dk, dv (every element belongs to exactly one group, so nothing needs clearing first). With {@code P = softmax(S)} recomputed from the saved log-sum-exp and
     * {@code D_t = dO_t·O_t}: {@code dV += Pᵀ·dO}, {@code dS = P∘(dO·Vᵀ − D)}, {@code dQ += scale·dS·K},
     * {@code dK += scale·dSᵀ·Q}.
     */
    public static void backward(float[] dq, float[] dk, float[] dv, float[] dout, float[] out, float[] lse,
                                float[] q, float[] k, float[] v, int[] keyMask, Shape s) {
        Scratch[] scratch = new Scratch[Parallel.threads()];
        Parallel.forChunks(s.batch() * s.kvHeads(), 1, (w, g0, g1) -> {
            Scratch sc = scratch[w] != null ? scratch[w] : (scratch[w] = new Scratch(s, true));
            for (int g = g0; g < g1; g++) {
                backwardGroup(dq, dk, dv, dout, out, lse, q, k, v, keyMask, s, g / s.kvHeads(), g % s.kvHeads(), sc);
            }
        });
    }

    private static void backwardGroup(float[] dq, float[] dk, float[] dv, float[] dout, float[] out, float[] lse,
                                      float[] q, float[] k, float[] v, int[] keyMask, Shape s, int b, int kvh, Scratch w) {
        int T = s.seqLen(), d = s.headDim(), H = s.heads(), rep = H / s.kvHeads();
        float scale = s.scale();
        gather(k, b, kvh, s.kvHeads(), s, w.kh);
        gather(v, b, kvh, s.kvHeads(), s, w.vh);
        java.util.Arrays.fill(w.dkh, 0f);
        java.util.Arrays.fill(w.dvh, 0f);
        float[] p = w.scores, dp = w.dscores, doh = w.oh;
        float[] dsum = new float[T];
        int[] runStart = runStarts(keyMask, s, b);
        for (int h = kvh * rep; h < (kvh + 1) * rep; h++) {
            gather(q, b, h, H, s, w.qh);
            gather(dout, b, h, H, s, doh);
            // D_t = dO_t·O_t, read from O in place (its head slice of row t).
            for (int t = 0; t < T; t++) {
                int o = (b * T + t) * H * d + h * d;
                double D = 0;
                for (int i = 0; i < d; i++) D += (double) doh[t * d + i] * out[o + i];
                dsum[t] = (float) D;
            }
            for (int t0 = 0; t0 < T; t0 += QT) {
                int qt = Math.min(QT, T - t0), kt = t0 + qt, k0 = firstKey(runStart, s, t0, qt), kw = kt - k0;
                scores(w.qh, w.kh, keyMask, s, b, t0, qt, k0, p);
                for (int r = 0; r < qt; r++) {
                    float l = lse[(b * H + h) * T + t0 + r];
                    int o = r * kw;
                    if (l == Float.NEGATIVE_INFINITY) java.util.Arrays.fill(p, o, o + kw, 0f);
                    else VectorMath.expInPlace(p, o, o + kw, l);
                }
                Gemm.gemm(true, false, kw, d, qt, p, 0, doh, t0 * d, w.dvh, k0 * d, true);      // dV += Pᵀ·dO
                Gemm.gemm(false, true, qt, kw, d, doh, t0 * d, w.vh, k0 * d, dp, 0, false);     // dP = dO·Vᵀ
                for (int r = 0; r < qt; r++) {
                    float D = dsum[t0 + r];
                    int o = r * kw;
                    VectorMath.softmaxGradient(dp, p, o, o + kw, D, scale);
                }
                Gemm.gemm(false, false, qt, d, kw, dp, 0, w.kh, k0 * d, w.dqh, t0 * d, false);  // dQ = dS·K
                Gemm.gemm(true, false, kw, d, qt, dp, 0, w.qh, t0 * d, w.dkh, k0 * d, true);    // dK += dSᵀ·Q
            }
            scatter(dq, w.dqh, b, h, H, s);
        }
        scatter(dk, w.dkh, b, kvh, s.kvHeads(), s);
        scatter(dv, w.dvh, b, kvh, s.kvHeads(), s);
    }
}
