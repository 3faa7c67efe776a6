package dev.jllm.core.quant.bnb;

import java.util.Arrays;

/**
 * bitsandbytes' {@code create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)}: the 256-value code used
 * to store double-quantized absmax values in 8 bits. For each decade {@code 10^(i-6)}, i in 0..6, the midpoints of
 * {@code linspace(0.1, 1, 2^i + 1)} with both signs, plus 0 and 1, sorted ascending.
 */
public final class DynamicMap {
    private static final float[] SIGNED_8BIT = build(true);
    private static final float[] UNSIGNED_8BIT = build(false);

    private DynamicMap() {}

    /** The 256 values, ascending; a copy. */
    public static float[] signed8bit() {
        return SIGNED_8BIT.clone();
    }

    /**
     * {@code create_dynamic_map(signed=False)}: the code bitsandbytes' 8-bit optimizers store non-negative state
     * (Adam's second moment) in: twice the fractions per decade of the signed map, no negative half; ascending, a copy.
     */
    public static float[] unsigned8bit() {
        return UNSIGNED_8BIT.clone();
    }

    static float value(int index) {
        return SIGNED_8BIT[index];
    }

    private static float[] build(boolean signed) {
        int maxExponentBits = 7;
        int nonSignBits = 7;
        float[] data = new float[256];
        int n = 0;
        for (int i = 0; i < maxExponentBits; i++) {
            int fractionItems = (1 << (i + nonSignBits - maxExponentBits + (signed ? 0 : 1))) + 1;
            float[] boundaries = linspace(0.1f, 1f, fractionItems);
            // torch multiplies the float32 means by the Python decade cast to float32
            float scale = (float) Math.pow(10, -(maxExponentBits - 1) + i);
            for (int k = 0; k + 1 < fractionItems; k++) {
                float mean = (boundaries[k] + boundaries[k + 1]) / 2.0f;
                data[n++] = scale * mean;
                if (signed) data[n++] = -scale * mean;
            }
        }
        data[n++] = 0f;
        data[n++] = 1f;
        // the map has 254 + 2 entries; pad zeros would fill any gap, as bitsandbytes does
        float[] out = Arrays.copyOf(data, 256);
        Arrays.sort(out);
        return out;
    }

    /** torch.linspace on float32: the first half steps up from start, the second half steps down from end. */
    private static float[] linspace(float start, float end, int steps) {
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = start;
            return out;
        }
        float step = (end - start) / (steps - 1);
        int half = steps / 2;
        for (int i = 0; i < steps; i++) out[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
        return out;
    }

    /** Index of the nearest map value to {@code s} (ties, which bitsandbytes' inputs avoid, take the lower index). */
    static int nearest(float s) {
        int lo = 0, hi = 255;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (SIGNED_8BIT[mid] <= s) lo = mid;
            else hi = mid;
        }
        if (s <= SIGNED_8BIT[lo]) return lo;
        if (s >= SIGNED_8BIT[hi]) return hi;
        return (s - SIGNED_8BIT[lo]) <= (SIGNED_8BIT[hi] - s) ? lo : hi;
    }
}
