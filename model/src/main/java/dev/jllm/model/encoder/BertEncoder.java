package dev.jllm.model.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.tensor.WeightMatrix;
import dev.jllm.model.arch.VectorOps;
import dev.jllm.model.load.SafetensorsStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A BERT encoder ({@code BertModel}) as transformers computes it: embeddings {@code LN(word + position +
 * token_type)}, post-LN blocks of bidirectional attention (padding keys masked out) and a GELU MLP, and the
 * {@code tanh(dense(h[0]))} pooler. It is a different network from the decoder-only {@code Transformer}
 * (post-norm, LayerNorm with biases, learned positions), so it is its own small class.
 */
public final class BertEncoder implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The config.json fields BertModel reads. */
    public record Config(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                         int maxPositionEmbeddings, int typeVocabSize, double layerNormEps, boolean tanhGelu) {}

    private record Linear(WeightMatrix w, float[] b) {}

    private record LayerNorm(float[] w, float[] b) {}

    private record Layer(Linear q, Linear k, Linear v, Linear attnOut, LayerNorm attnNorm, Linear inter, Linear out,
                         LayerNorm outNorm) {}

    /**
     * {@code lastHiddenState} is {@code [tokens][hidden]}; {@code pooled} is null when the checkpoint has no pooler;
     * {@code hiddenStates} are transformers' {@code output_hidden_states}: the embeddings' output, then each layer's
     * (so {@code hiddenStates.get(numLayers)} is {@code lastHiddenState}).
     */
    public record Output(float[] lastHiddenState, float[] pooled, int tokens, java.util.List<float[]> hiddenStates) {}

    private final Config config;
    private final SafetensorsStore store;
    private final WeightMatrix words, positions, types;
    private final LayerNorm embNorm;
    private final Layer[] layers;
    private final Linear pooler;

    private BertEncoder(Config config, SafetensorsStore store, String prefix) {
        this.config = config;
        this.store = store;
        int h = config.hiddenSize();
        String e = prefix + "embeddings.";
        words = store.matrix(e + "word_embeddings.weight", config.vocabSize(), h);
        positions = store.matrix(e + "position_embeddings.weight", config.maxPositionEmbeddings(), h);
        types = store.matrix(e + "token_type_embeddings.weight", config.typeVocabSize(), h);
        embNorm = norm(e + "LayerNorm.", h);
        layers = new Layer[config.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            String p = prefix + "encoder.layer." + l + ".";
            layers[l] = new Layer(linear(p + "attention.self.query.", h, h), linear(p + "attention.self.key.", h, h),
                    linear(p + "attention.self.value.", h, h), linear(p + "attention.output.dense.", h, h),
                    norm(p + "attention.output.LayerNorm.", h), linear(p + "intermediate.dense.", config.intermediateSize(), h),
                    linear(p + "output.dense.", h, config.intermediateSize()), norm(p + "output.LayerNorm.", h));
        }
        pooler = store.has(prefix + "pooler.dense.weight") ? linear(prefix + "pooler.dense.", h, h) : null;
    }

    private Linear linear(String p, int rows, int cols) {
        return new Linear(store.matrix(p + "weight", rows, cols), store.vector(p + "bias", rows));
    }

    private LayerNorm norm(String p, int n) {
        return new LayerNorm(store.vector(p + "weight", n), store.vector(p + "bias", n));
    }

    /** Whether the folder's config.json declares a BERT model. */
    public static boolean isBert(Path folder) {
        Path file = folder.resolve("config.json");
        if (!Files.isRegularFile(file)) return false;
        try {
            JsonNode root = JSON.readTree(file.toFile());
            return root != null && "bert".equals(root.path("model_type").asText());
        } catch (IOException e) {
            return false;
        }
    }

    public static BertEncoder load(Path folder) {
        Path file = folder.resolve("config.json");
        JsonNode c;
        try {
            c = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read: " + e.getMessage(), e);
        }
        String act = c.path("hidden_act").asText("gelu");
        if (!act.equals("gelu") && !act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new JllmException(file + ": field 'hidden_act' is '" + act + "'; supported: gelu, gelu_new, gelu_pytorch_tanh");
        }
        String posType = c.path("position_embedding_type").asText("absolute");
        if (!posType.equals("absolute")) {
            throw new JllmException(file + ": field 'position_embedding_type' is '" + posType + "'; only absolute is supported");
        }
        Config config = new Config(req(c, file, "vocab_size"), req(c, file, "hidden_size"), req(c, file, "num_hidden_layers"),
                req(c, file, "num_attention_heads"), req(c, file, "intermediate_size"),
                c.path("max_position_embeddings").asInt(512), c.path("type_vocab_size").asInt(2),
                c.path("layer_norm_eps").asDouble(1e-12), !act.equals("gelu"));
        if (config.hiddenSize() % config.numHeads() != 0) {
            throw new JllmException(file + ": hidden_size is not divisible by num_attention_heads");
        }
        SafetensorsStore store = new SafetensorsStore(folder);
        try {
            String prefix = store.has("embeddings.word_embeddings.weight") ? "" : "bert.";
            return new BertEncoder(config, store, prefix);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static int req(JsonNode c, Path file, String field) {
        JsonNode n = c.get(field);
        if (n == null || !n.canConvertToInt()) throw new JllmException(file + ": required integer field '" + field + "' is missing");
        return n.asInt();
    }

    public Config config() {
        return config;
    }

    /**
     * @param typeIds null for all zeros
     * @param mask    null for all ones; keys with mask 0 are not attended to (queries at padding still get outputs)
     */
    public Output encode(int[] ids, int[] typeIds, int[] mask) {
        int n = ids.length;
        int h = config.hiddenSize();
        if (n > config.maxPositionEmbeddings()) {
            throw new JllmException(n + " tokens exceed max_position_embeddings " + config.maxPositionEmbeddings());
        }
        float[] x = new float[n * h];
        float[] row = new float[h];
        for (int t = 0; t < n; t++) {
            check(ids[t], config.vocabSize(), "token id", t);
            int type = typeIds == null ? 0 : typeIds[t];
            check(type, config.typeVocabSize(), "token type id", t);
            words.dequantizeRow(ids[t], x, t * h);
            positions.dequantizeRow(t, row, 0);
            for (int i = 0; i < h; i++) x[t * h + i] += row[i];
            types.dequantizeRow(type, row, 0);
            for (int i = 0; i < h; i++) x[t * h + i] += row[i];
        }
        layerNorm(x, n, embNorm);
        java.util.List<float[]> hidden = new java.util.ArrayList<>(layers.length + 1);
        hidden.add(x);
        for (Layer layer : layers) {
            float[] ctx = attention(layer, x, n, mask);
            float[] a = apply(layer.attnOut(), ctx, n);
            VectorOps.add(a, x, a.length);
            layerNorm(a, n, layer.attnNorm());
            float[] inter = apply(layer.inter(), a, n);
            for (int i = 0; i < inter.length; i++) inter[i] = gelu(inter[i], config.tanhGelu());
            float[] o = apply(layer.out(), inter, n);
            VectorOps.add(o, a, o.length);
            layerNorm(o, n, layer.outNorm());
            x = o;
            hidden.add(x);
        }
        float[] pooled = null;
        if (pooler != null) {
            pooled = apply(pooler, java.util.Arrays.copyOf(x, h), 1);
            for (int i = 0; i < h; i++) pooled[i] = (float) Math.tanh(pooled[i]);
        }
        return new Output(x, pooled, n, java.util.List.copyOf(hidden));
    }

    private static void check(int id, int limit, String what, int t) {
        if (id < 0 || id >= limit) throw new JllmException(what + " " + id + " at index " + t + " is outside [0, " + limit + ")");
    }

    private float[] attention(Layer layer, float[] x, int n, int[] mask) {
        int h = config.hiddenSize();
        int heads = config.numHeads();
        int hd = h / heads;
        float[] q = apply(layer.q(), x, n);
        float[] k = apply(layer.k(), x, n);
        float[] v = apply(layer.v(), x, n);
        float[] out = new float[n * h];
        float scale = (float) (1 / Math.sqrt(hd));
        Parallel.forRange(n * heads, n * heads < 64 ? n * heads : 1, (w, from, to) -> {
            float[] scores = new float[n];
            for (int task = from; task < to; task++) {
                int t = task / heads, head = task % heads;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    if (mask != null && mask[j] == 0) {
                        scores[j] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    scores[j] = VectorOps.dot(q, t * h + head * hd, k, j * h + head * hd, hd) * scale;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    float p = scores[j] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(scores[j] - max);
                    scores[j] = p;
                    sum += p;
                }
                for (int j = 0; j < n; j++) {
                    if (scores[j] != 0) VectorOps.axpy((float) (scores[j] / sum), v, j * h + head * hd, out, t * h + head * hd, hd);
                }
            }
        });
        return out;
    }

    private static float[] apply(Linear l, float[] x, int n) {
        int rows = l.w().rows();
        float[] y = new float[n * rows];
        if (n == 1) l.w().matvec(x, y);
        else l.w().matmul(x, n, y);
        for (int t = 0; t < n; t++) VectorOps.axpy(1f, l.b(), 0, y, t * rows, rows);
        return y;
    }

    private void layerNorm(float[] x, int n, LayerNorm norm) {
        int h = config.hiddenSize();
        for (int t = 0; t < n; t++) {
            double mean = 0;
            for (int i = 0; i < h; i++) mean += x[t * h + i];
            mean /= h;
            double var = 0;
            for (int i = 0; i < h; i++) {
                double d = x[t * h + i] - mean;
                var += d * d;
            }
            var /= h;
            double inv = 1 / Math.sqrt(var + config.layerNormEps());
            for (int i = 0; i < h; i++) x[t * h + i] = (float) ((x[t * h + i] - mean) * inv) * norm.w()[i] + norm.b()[i];
        }
    }

    static float gelu(float x, boolean tanhApproximation) {
        if (tanhApproximation) {
            double c = Math.sqrt(2 / Math.PI);
            return (float) (0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x))));
        }
        return (float) (0.5 * x * (1 + erf(x / Math.sqrt(2))));
    }

    /** erf via the Chebyshev fit of erfc (Numerical Recipes' erfcc), fractional error below 1.2e-7. */
    static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc : erfc - 1;
    }

    @Override
    public void close() {
        store.close();
    }
}
