package dev.jllm.model.arch;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Activations;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.tensor.WeightMatrix;
import dev.jllm.model.config.ModelConfig;

import java.util.List;

/**
 * The one decoder-only transformer definition: token embedding, pre-norm blocks of (RMSNorm, GQA attention with
 * RoPE, optional q/k/v/o biases and q/k norms, optional sliding window) and (RMSNorm, SwiGLU MLP or sparse MoE),
 * final RMSNorm and the output projection (tied or not). Every family is this code with a different config.
 *
 * <p>A call over several tokens (prefill) multiplies whole {@code [tokens, dim]} activations through
 * {@link WeightMatrix#matmul} (the blocked GEMM); a one-token call (decode) goes through
 * {@link WeightMatrix#matvec}.
 */
public final class Transformer {
    private final ModelConfig config;
    private final WeightMatrix embedding;
    private final List<DecoderLayer> layers;
    private final float[] finalNorm;
    private final WeightMatrix output;
    private final Rope rope;
    private final float eps;

    public Transformer(ModelConfig config, WeightMatrix embedding, List<DecoderLayer> layers, float[] finalNorm,
                       WeightMatrix output) {
        this.config = config;
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
        this.output = output;
        this.rope = new Rope(config.headDim(), config.ropeTheta(), config.ropeScaling(), config.maxPositionEmbeddings());
        this.eps = (float) config.rmsNormEps();
    }

    public ModelConfig config() {
        return config;
    }

    public Rope rope() {
        return rope;
    }

    public WeightMatrix embedding() {
        return embedding;
    }

    public List<DecoderLayer> layers() {
        return layers;
    }

    public float[] finalNorm() {
        return finalNorm;
    }

    public WeightMatrix output() {
        return output;
    }

    /**
     * Receives intermediate results of a forward call (for conformance checks and debugging); a prompt prefilled
     * in chunks reports once per chunk.
     */
    public interface Observer {
        /** Router logits {@code [tokens][experts]} of a sparse layer, before the softmax. */
        default void routerLogits(int layer, float[] logits, int tokens, int experts) {}

        /** The residual stream {@code [tokens][hidden]} after layer {@code layer} (-1: the embeddings). */
        default void hiddenState(int layer, float[] hidden, int tokens) {}

        Observer NONE = new Observer() {};
    }

    /**
     * Runs {@code tokens} at positions {@code start..start+n-1}, appending their keys and values to the cache.
     *
     * @param allLogits true: logits for every position {@code [n][vocab]}; false: only the last position's
     * @return the logits
     */
    public float[] forward(int[] tokens, int start, KvCache cache, boolean allLogits, Observer observer) {
        int n = tokens.length;
        int hidden = config.hiddenSize();
        cache.ensure(start + n);
        float[] x = new float[n * hidden];
        for (int t = 0; t < n; t++) {
            int id = tokens[t];
            if (id < 0 || id >= config.vocabSize()) {
                throw new JllmException("token id " + id + " at index " + t + " is outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
            embedding.dequantizeRow(id, x, t * hidden);
        }
        observer.hiddenState(-1, x, n);
        Rope.Table table = rope.table(start, n);
        float[] xb = new float[n * hidden];
        for (int l = 0; l < layers.size(); l++) {
            DecoderLayer layer = layers.get(l);
            rmsNormRows(x, layer.attentionNorm(), xb, n, hidden);
            attention(l, layer, xb, n, start, cache, table, x);
            rmsNormRows(x, layer.ffnNorm(), xb, n, hidden);
            float[] y = switch (layer.ffn()) {
                case FeedForward.Dense d -> dense(d, xb, n);
                case FeedForward.Sparse s -> sparse(l, s, xb, n, observer);
            };
            VectorOps.add(x, y, n * hidden);
            observer.hiddenState(l, x, n);
        }
        int rows = allLogits ? n : 1;
        float[] last = new float[rows * hidden];
        for (int r = 0; r < rows; r++) {
            int t = allLogits ? r : n - 1;
            VectorOps.rmsNorm(x, t * hidden, finalNorm, eps, last, r * hidden, hidden);
        }
        return linear(output, last, rows, null);
    }

    private void attention(int l, DecoderLayer layer, float[] xb, int n, int start, KvCache cache, Rope.Table table,
                           float[] residual) {
        int hd = config.headDim();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        float[] q = linear(layer.q(), xb, n, layer.qBias());
        float[] k = linear(layer.k(), xb, n, layer.kBias());
        float[] v = linear(layer.v(), xb, n, layer.vBias());
        for (int t = 0; t < n; t++) {
            if (layer.qNorm() != null) {
                for (int h = 0; h < heads; h++) VectorOps.rmsNorm(q, (t * heads + h) * hd, layer.qNorm(), eps, q, (t * heads + h) * hd, hd);
                for (int h = 0; h < kvHeads; h++) VectorOps.rmsNorm(k, (t * kvHeads + h) * hd, layer.kNorm(), eps, k, (t * kvHeads + h) * hd, hd);
            }
            table.rotate(q, t * heads * hd, heads, t);
            table.rotate(k, t * kvHeads * hd, kvHeads, t);
        }
        cache.put(l, start, n, k, v);
        float[] attended = new float[n * heads * hd];
        Attention.attend(q, n, start, cache.keys(l), cache.values(l), cache.layout(), heads, kvHeads, hd, layer.slidingWindow(),
                attended);
        float[] o = linear(layer.o(), attended, n, layer.oBias());
        VectorOps.add(residual, o, o.length);
    }

    private static float[] dense(FeedForward.Dense d, float[] xb, int n) {
        float[] gate = linear(d.gate(), xb, n, d.gateBias());
        float[] up = linear(d.up(), xb, n, d.upBias());
        int len = gate.length;
        Parallel.forRange(len, 4096, (w, from, to) -> Activations.swiglu(gate, up, gate, from, to));
        return linear(d.down(), gate, n, d.downBias());
    }

    private float[] sparse(int l, FeedForward.Sparse s, float[] xb, int n, Observer observer) {
        int hidden = config.hiddenSize();
        int experts = s.experts().length;
        float[] routerLogits = linear(s.router(), xb, n, null);
        observer.routerLogits(l, routerLogits, n, experts);
        Routing routing = route(routerLogits, n, experts, s.topK(), s.normalizeTopK());
        // Group the tokens by expert so each expert runs one batched product over its tokens.
        int[][] tokensOf = new int[experts][n];
        float[][] weightsOf = new float[experts][n];
        int[] counts = new int[experts];
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < s.topK(); r++) {
                int e = routing.experts()[t * s.topK() + r];
                tokensOf[e][counts[e]] = t;
                weightsOf[e][counts[e]] = routing.weights()[t * s.topK() + r];
                counts[e]++;
            }
        }
        float[] y = new float[n * hidden];
        for (int e = 0; e < experts; e++) {
            int m = counts[e];
            if (m == 0) continue;
            float[] xe = new float[m * hidden];
            for (int i = 0; i < m; i++) System.arraycopy(xb, tokensOf[e][i] * hidden, xe, i * hidden, hidden);
            float[] ye = dense(s.experts()[e], xe, m);
            for (int i = 0; i < m; i++) VectorOps.axpy(weightsOf[e][i], ye, i * hidden, y, tokensOf[e][i] * hidden, hidden);
        }
        return y;
    }

    /** Per token ({@code [tokens][topK]}, row-major): the chosen experts, largest probability first, and their weights. */
    record Routing(int[] experts, float[] weights) {}

    /**
     * transformers' MoE routing: {@code p = softmax(logits)} in float32, the {@code topK} largest, and (when
     * {@code normalize}) the chosen probabilities divided by their sum; otherwise they stay full-softmax values.
     */
    static Routing route(float[] routerLogits, int tokens, int experts, int topK, boolean normalize) {
        int[] chosenAll = new int[tokens * topK];
        float[] weights = new float[tokens * topK];
        float[] probs = new float[experts];
        int[] chosen = new int[topK];
        for (int t = 0; t < tokens; t++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < experts; e++) max = Math.max(max, routerLogits[t * experts + e]);
            double sum = 0;
            for (int e = 0; e < experts; e++) {
                probs[e] = (float) Math.exp(routerLogits[t * experts + e] - max);
                sum += probs[e];
            }
            for (int e = 0; e < experts; e++) probs[e] = (float) (probs[e] / sum);
            topK(probs, chosen);
            float chosenSum = 0;
            for (int c : chosen) chosenSum += probs[c];
            for (int r = 0; r < topK; r++) {
                chosenAll[t * topK + r] = chosen[r];
                weights[t * topK + r] = normalize ? probs[chosen[r]] / chosenSum : probs[chosen[r]];
            }
        }
        return new Routing(chosenAll, weights);
    }

    /** Indices of the k largest values, largest first; among equal values the lower index wins. */
    static void topK(float[] values, int[] out) {
        int k = out.length;
        boolean[] taken = new boolean[values.length];
        for (int r = 0; r < k; r++) {
            int best = -1;
            for (int i = 0; i < values.length; i++) {
                if (!taken[i] && (best < 0 || values[i] > values[best])) best = i;
            }
            taken[best] = true;
            out[r] = best;
        }
    }

    private void rmsNormRows(float[] x, float[] weight, float[] out, int n, int dim) {
        for (int t = 0; t < n; t++) VectorOps.rmsNorm(x, t * dim, weight, eps, out, t * dim, dim);
    }

    /** {@code y = x W^T (+ bias)} for {@code n} rows of x: matvec for one row, the blocked GEMM for more. */
    static float[] linear(WeightMatrix w, float[] x, int n, float[] bias) {
        int rows = w.rows();
        float[] y = new float[n * rows];
        if (n == 1) w.matvec(x, y);
        else w.matmul(x, n, y);
        if (bias != null) for (int t = 0; t < n; t++) VectorOps.axpy(1f, bias, 0, y, t * rows, rows);
        return y;
    }
}
