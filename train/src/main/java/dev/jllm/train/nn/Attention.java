package dev.jllm.train.nn;

import java.util.stream.IntStream;

/**
 * Causal grouped-query attention, optionally limited to a sliding window, with right-padding key masks.
 *
 * <p>Layout: {@code q [B·T, H·d]}, {@code k, v [B·T, KV·d]}, query head h reads key/value head {@code h / (H/KV)}
 * (transformers' {@code repeat_kv}). Query t of a row sees key s when {@code s ≤ t}, {@code t − s < window}
 * (window 0: unlimited; the window counts the query's own position) and {@code keyMask[s] = 1}.
 *
 * <p>Memory: forward keeps only the output and one log-sum-exp per query and head; backward recomputes each
 * probability from q, k and that log-sum-exp (FlashAttention's scheme), so no T×T matrix is ever stored, only one
 * T-long row of scores per worker. A query with no visible key (only possible for an all-padding row) outputs
 * zeros; transformers outputs a uniform average there instead, but such positions carry no loss and no later
 * position can attend to them, so gradients are identical.
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

    /** Fills {@code out} and {@code lse [B·H·T]} (NEGATIVE_INFINITY marks a query that saw no key). */
    public static void forward(double[] out, double[] lse, double[] q, double[] k, double[] v, int[] keyMask, Shape s) {
        int groups = s.batch() * s.kvHeads();
        IntStream.range(0, groups).parallel().forEach(g -> forwardGroup(out, lse, q, k, v, keyMask, s, g / s.kvHeads(), g % s.kvHeads()));
    }

    private static void forwardGroup(double[] out, double[] lse, double[] q, double[] k, double[] v, int[] keyMask,
                                     Shape s, int b, int kvh) {
        int T = s.seqLen(), d = s.headDim(), H = s.heads(), rep = H / s.kvHeads();
        int qWidth = H * d, kvWidth = s.kvHeads() * d;
        double scale = s.scale();
        double[] scores = new double[T];
        for (int h = kvh * rep; h < (kvh + 1) * rep; h++) {
            for (int t = 0; t < T; t++) {
                int qo = (b * T + t) * qWidth + h * d;
                int lo = s.firstVisible(t);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = lo; j <= t; j++) {
                    if (keyMask != null && keyMask[b * T + j] == 0) continue;
                    int ko = (b * T + j) * kvWidth + kvh * d;
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += q[qo + i] * k[ko + i];
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                int oo = qo;
                java.util.Arrays.fill(out, oo, oo + d, 0.0);
                int li = (b * H + h) * T + t;
                if (max == Double.NEGATIVE_INFINITY) {
                    lse[li] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double sum = 0;
                for (int j = lo; j <= t; j++) {
                    if (keyMask != null && keyMask[b * T + j] == 0) continue;
                    double p = Math.exp(scores[j] - max);
                    scores[j] = p;
                    sum += p;
                }
                double inv = 1.0 / sum;
                for (int j = lo; j <= t; j++) {
                    if (keyMask != null && keyMask[b * T + j] == 0) continue;
                    double p = scores[j] * inv;
                    int vo = (b * T + j) * kvWidth + kvh * d;
                    for (int i = 0; i < d; i++) out[oo + i] += p * v[vo + i];
                }
                lse[li] = max + Math.log(sum);
            }
        }
    }

    /**
     * Accumulates dq, dk, dv. With {@code P = softmax(S)} and {@code D_t = dO_t·O_t}:
     * {@code dV_s += P_ts·dO_t}, {@code dS_ts = P_ts·(dO_t·V_s − D_t)}, {@code dQ_t += scale·dS_ts·K_s},
     * {@code dK_s += scale·dS_ts·Q_t}.
     */
    public static void backward(double[] dq, double[] dk, double[] dv, double[] dout, double[] out, double[] lse,
                                double[] q, double[] k, double[] v, int[] keyMask, Shape s) {
        int groups = s.batch() * s.kvHeads();
        // Each (row, kv head) group owns its slices of dk and dv, so groups run in parallel without races.
        IntStream.range(0, groups).parallel().forEach(g ->
                backwardGroup(dq, dk, dv, dout, out, lse, q, k, v, keyMask, s, g / s.kvHeads(), g % s.kvHeads()));
    }

    private static void backwardGroup(double[] dq, double[] dk, double[] dv, double[] dout, double[] out, double[] lse,
                                      double[] q, double[] k, double[] v, int[] keyMask, Shape s, int b, int kvh) {
        int T = s.seqLen(), d = s.headDim(), H = s.heads(), rep = H / s.kvHeads();
        int qWidth = H * d, kvWidth = s.kvHeads() * d;
        double scale = s.scale();
        for (int h = kvh * rep; h < (kvh + 1) * rep; h++) {
            for (int t = 0; t < T; t++) {
                double l = lse[(b * H + h) * T + t];
                if (l == Double.NEGATIVE_INFINITY) continue;
                int qo = (b * T + t) * qWidth + h * d;
                double D = 0;
                for (int i = 0; i < d; i++) D += dout[qo + i] * out[qo + i];
                for (int j = s.firstVisible(t); j <= t; j++) {
                    if (keyMask != null && keyMask[b * T + j] == 0) continue;
                    int ko = (b * T + j) * kvWidth + kvh * d;
                    double dot = 0, dp = 0;
                    for (int i = 0; i < d; i++) {
                        dot += q[qo + i] * k[ko + i];
                        dp += dout[qo + i] * v[ko + i];
                    }
                    double p = Math.exp(dot * scale - l);
                    double ds = p * (dp - D) * scale;
                    for (int i = 0; i < d; i++) {
                        dv[ko + i] += p * dout[qo + i];
                        dq[qo + i] += ds * k[ko + i];
                        dk[ko + i] += ds * q[qo + i];
                    }
                }
            }
        }
    }
}
