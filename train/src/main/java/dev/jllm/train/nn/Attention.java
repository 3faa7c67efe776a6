package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.kernel.Parallel;

/**
 * Causal grouped-query attention, optionally limited to a sliding window, with right-padding key masks.
 *
 * <p>Layout: {@code q [B·T, H·d]}, {@code k, v [B·T, KV·d]}, query head h reads key/value head {@code h / (H/KV)}
 * (transformers' {@code repeat_kv}). Query t of a row sees key s when {@code s ≤ t}, {@code t − s < window}
 * (window 0: unlimited; the window counts the query's own position) and {@code keyMask[s] = 1}.
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
        Parallel.forRange(s.batch() * s.kvHeads(), 1, (w, g0, g1) -> {
            Scratch sc = new Scratch(s, false);
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
     * Scaled scores of queries {@code [t0, t0+qt)} against keys {@code [0, kt)} into {@code sc [qt, kt]}, masked
     * entries set to −∞; {@code kt = t0 + qt} because causality hides every later key.
     */
    private static void scores(float[] qh, float[] kh, int[] keyMask, Shape s, int b, int t0, int qt, float[] sc) {
        int d = s.headDim(), kt = t0 + qt, T = s.seqLen();
        Gemm.gemm(false, true, qt, kt, d, qh, t0 * d, kh, 0, sc, 0, false);
        float scale = s.scale();
        for (int r = 0; r < qt; r++) {
            int t = t0 + r, o = r * kt, first = s.firstVisible(t);
            // visible keys form the range [first, t] (less the padded ones); everything else is −∞
            java.util.Arrays.fill(sc, o, o + first, Float.NEGATIVE_INFINITY);
            VectorMath.scale(sc, o + first, o + t + 1, scale);
            java.util.Arrays.fill(sc, o + t + 1, o + kt, Float.NEGATIVE_INFINITY);
            if (keyMask != null) {
                for (int j = first; j <= t; j++) if (keyMask[b * T + j] == 0) sc[o + j] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    private static void forwardGroup(float[] out, float[] lse, float[] q, float[] k, float[] v, int[] keyMask,
                                     Shape s, int b, int kvh, Scratch w) {
        int T = s.seqLen(), d = s.headDim(), H = s.heads(), rep = H / s.kvHeads();
        gather(k, b, kvh, s.kvHeads(), s, w.kh);
        gather(v, b, kvh, s.kvHeads(), s, w.vh);
        float[] p = w.scores;
        for (int h = kvh * rep; h < (kvh + 1) * rep; h++) {
            gather(q, b, h, H, s, w.qh);
            for (int t0 = 0; t0 < T; t0 += QT) {
                int qt = Math.min(QT, T - t0), kt = t0 + qt;
                scores(w.qh, w.kh, keyMask, s, b, t0, qt, p);
                for (int r = 0; r < qt; r++) {
                    int o = r * kt;
                    float max = VectorMath.max(p, o, o + kt);
                    int li = (b * H + h) * T + t0 + r;
                    if (max == Float.NEGATIVE_INFINITY) {
                        lse[li] = Float.NEGATIVE_INFINITY;
                        java.util.Arrays.fill(p, o, o + kt, 0f);
                        continue;
                    }
                    double sum = VectorMath.expSum(p, o, o + kt, max, true);
                    VectorMath.scale(p, o, o + kt, (float) (1.0 / sum));
                    lse[li] = (float) (max + Math.log(sum));
                }
                Gemm.gemm(false, false, qt, d, kt, p, 0, w.vh, 0, w.oh, t0 * d, false);    // O = P·V
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
        Parallel.forRange(s.batch() * s.kvHeads(), 1, (w, g0, g1) -> {
            Scratch sc = new Scratch(s, true);
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
                int qt = Math.min(QT, T - t0), kt = t0 + qt;
                scores(w.qh, w.kh, keyMask, s, b, t0, qt, p);
                for (int r = 0; r < qt; r++) {
                    float l = lse[(b * H + h) * T + t0 + r];
                    int o = r * kt;
                    if (l == Float.NEGATIVE_INFINITY) java.util.Arrays.fill(p, o, o + kt, 0f);
                    else VectorMath.expInPlace(p, o, o + kt, l);
                }
                Gemm.gemm(true, false, kt, d, qt, p, 0, doh, t0 * d, w.dvh, 0, true);      // dV += Pᵀ·dO
                Gemm.gemm(false, true, qt, kt, d, doh, t0 * d, w.vh, 0, dp, 0, false);     // dP = dO·Vᵀ
                for (int r = 0; r < qt; r++) {
                    float D = dsum[t0 + r];
                    int o = r * kt;
                    VectorMath.softmaxGradient(dp, p, o, o + kt, D, scale);
                }
                Gemm.gemm(false, false, qt, d, kt, dp, 0, w.kh, 0, w.dqh, t0 * d, false);  // dQ = dS·K
                Gemm.gemm(true, false, kt, d, qt, dp, 0, w.qh, t0 * d, w.dkh, 0, true);    // dK += dSᵀ·Q
            }
            scatter(dq, w.dqh, b, h, H, s);
        }
        scatter(dk, w.dkh, b, kvh, s.kvHeads(), s);
        scatter(dv, w.dvh, b, kvh, s.kvHeads(), s);
    }
}
