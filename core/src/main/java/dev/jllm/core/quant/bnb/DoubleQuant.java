package dev.jllm.core.quant.bnb;

/**
 * Double-quantized block statistics: {@code absmax = map[absmaxQ] * nestedAbsmax[block / 256] + offset}, where map is
 * the signed 8-bit {@link DynamicMap} (a checkpoint's own copy when read from one, as bitsandbytes' quant state keeps
 * it) and offset the float32 mean of the original absmax values.
 */
public record DoubleQuant(byte[] absmaxQ, float[] nestedAbsmax, float offset, float[] map) {
    public static final int NESTED_BLOCK = 256;

    public DoubleQuant {
        if (map.length != 256) throw new dev.jllm.core.JllmException("double quantization map has " + map.length + " values, expected 256");
    }

    /** The restored per-block absmax values. */
    public float[] restore() {
        float[] out = new float[absmaxQ.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = map[absmaxQ[i] & 0xFF] * nestedAbsmax[i / NESTED_BLOCK] + offset;
        }
        return out;
    }

    /** Quantizes absmax values as bitsandbytes' {@code compress_statistics} does. */
    public static DoubleQuant of(float[] absmax) {
        double sum = 0;
        for (float a : absmax) sum += a;
        float offset = (float) (sum / absmax.length);
        byte[] q = new byte[absmax.length];
        int blocks = (absmax.length + NESTED_BLOCK - 1) / NESTED_BLOCK;
        float[] nested = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * NESTED_BLOCK, to = Math.min(absmax.length, from + NESTED_BLOCK);
            float max = 0;
            for (int i = from; i < to; i++) max = Math.max(max, Math.abs(absmax[i] - offset));
            nested[b] = max;
            float inv = 1.0f / max;
            for (int i = from; i < to; i++) q[i] = (byte) DynamicMap.nearest((absmax[i] - offset) * inv);
        }
        return new DoubleQuant(q, nested, offset, DynamicMap.signed8bit());
    }
}
