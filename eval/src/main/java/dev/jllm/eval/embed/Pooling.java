package dev.jllm.eval.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * sentence-transformers' Pooling module (the mode its {@code 1_Pooling/config.json} selects) and whether a
 * Normalize module follows it ({@code modules.json}).
 */
public record Pooling(Mode mode, boolean normalize) {

    public enum Mode { MEAN, CLS, MAX, MEAN_SQRT_LEN }

    /**
     * Reads a sentence-transformers folder; a plain transformers folder (no {@code modules.json}) gets mean pooling
     * without normalization, sentence-transformers' default when it wraps a bare model.
     */
    public static Pooling read(Path folder) {
        Path modules = folder.resolve("modules.json");
        if (!Files.isRegularFile(modules)) return new Pooling(Mode.MEAN, false);
        ObjectMapper json = new ObjectMapper();
        try {
            JsonNode list = json.readTree(modules.toFile());
            Mode mode = Mode.MEAN;
            boolean normalize = false;
            for (JsonNode m : list) {
                String type = m.path("type").asText();
                if (type.endsWith(".Pooling")) {
                    Path cfg = folder.resolve(m.path("path").asText()).resolve("config.json");
                    mode = mode(json.readTree(cfg.toFile()), cfg);
                } else if (type.endsWith(".Normalize")) {
                    normalize = true;
                }
            }
            return new Pooling(mode, normalize);
        } catch (IOException e) {
            throw new JllmException(modules + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Mode mode(JsonNode c, Path file) {
        int set = 0;
        Mode mode = null;
        if (c.path("pooling_mode_mean_tokens").asBoolean(false)) { mode = Mode.MEAN; set++; }
        if (c.path("pooling_mode_cls_token").asBoolean(false)) { mode = Mode.CLS; set++; }
        if (c.path("pooling_mode_max_tokens").asBoolean(false)) { mode = Mode.MAX; set++; }
        if (c.path("pooling_mode_mean_sqrt_len_tokens").asBoolean(false)) { mode = Mode.MEAN_SQRT_LEN; set++; }
        if (set != 1) {
            throw new JllmException(file + ": exactly one of pooling_mode_mean_tokens, pooling_mode_cls_token, "
                    + "pooling_mode_max_tokens, pooling_mode_mean_sqrt_len_tokens must be true (concatenated modes are not supported)");
        }
        return mode;
    }

    /** Pools {@code [tokens][hidden]} (row-major) over the tokens whose mask is 1. */
    public float[] pool(float[] hidden, int tokens, int width, int[] mask) {
        float[] out = new float[width];
        switch (mode) {
            case CLS -> System.arraycopy(hidden, 0, out, 0, width);
            case MAX -> {
                java.util.Arrays.fill(out, Float.NEGATIVE_INFINITY);
                for (int t = 0; t < tokens; t++) {
                    if (mask != null && mask[t] == 0) continue;
                    for (int i = 0; i < width; i++) out[i] = Math.max(out[i], hidden[t * width + i]);
                }
            }
            case MEAN, MEAN_SQRT_LEN -> {
                double[] sum = new double[width];
                int count = 0;
                for (int t = 0; t < tokens; t++) {
                    if (mask != null && mask[t] == 0) continue;
                    count++;
                    for (int i = 0; i < width; i++) sum[i] += hidden[t * width + i];
                }
                // sentence-transformers clamps the token count at 1e-9 to avoid dividing by zero.
                double div = mode == Mode.MEAN ? Math.max(count, 1e-9) : Math.sqrt(Math.max(count, 1e-9));
                for (int i = 0; i < width; i++) out[i] = (float) (sum[i] / div);
            }
        }
        if (normalize) normalizeInPlace(out);
        return out;
    }

    /** torch.nn.functional.normalize: divides by max(‖v‖₂, 1e-12). */
    public static void normalizeInPlace(float[] v) {
        double n = 0;
        for (float x : v) n += (double) x * x;
        double div = Math.max(Math.sqrt(n), 1e-12);
        for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] / div);
    }

    /** Cosine similarity in float64, each norm clamped at 1e-12 as sentence-transformers' {@code cos_sim} does. */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) throw new JllmException("cosine of vectors of different sizes " + a.length + " and " + b.length);
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / (Math.max(Math.sqrt(na), 1e-12) * Math.max(Math.sqrt(nb), 1e-12));
    }
}
