package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;

/**
 * A matrix quantized row-wise ("vector-wise") to int8 as bitsandbytes' {@code int8_vectorwise_quant} does: each row's
 * values are cast to float16, the row's absmax (float32 of that float16 value) is its statistic, and each value becomes
 * {@code round_half_even(x · (127 / absmax))}.
 *
 * <p>With a threshold above zero (LLM.int8's outlier decomposition, for activations), the values with
 * {@code |x| >= threshold} do not count toward their row's absmax, and every column holding one is an outlier column:
 * its codes are zero in every row, so the int8 product skips it and the caller computes it in floating point.
 *
 * @param codes       row-major int8 codes, {@code rows × cols}
 * @param stats       the absmax of each row (SCA / SCB in bitsandbytes' names)
 * @param outlierCols the outlier columns, ascending (empty without a threshold or without outliers)
 */
public record Int8Rows(int rows, int cols, byte[] codes, float[] stats, int[] outlierCols) {
    public Int8Rows {
        if (codes.length != (long) rows * cols) throw new JllmException("int8 matrix " + rows + "x" + cols + ": " + codes.length + " codes");
        if (stats.length != rows) throw new JllmException("int8 matrix " + rows + "x" + cols + ": " + stats.length + " row statistics, expected " + rows);
    }

    /**
     * Quantizes {@code rows × cols} row-major values. {@code threshold <= 0} means no outlier decomposition (how
     * weights are always quantized). The threshold is compared in float16, as PyTorch compares a float16 tensor with a
     * Python number.
     */
    public static Int8Rows quantize(float[] values, int rows, int cols, double threshold) {
        if (values.length < (long) rows * cols) throw new JllmException("int8 quantization: " + values.length + " values for a " + rows + "x" + cols + " matrix");
        float[] half = new float[rows * cols];
        for (int i = 0; i < half.length; i++) half[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
        boolean[] outlierCol = new boolean[cols];
        boolean[] outlier = null;
        if (threshold > 0) {
            float t = Float.float16ToFloat(Float.floatToFloat16((float) threshold));
            outlier = new boolean[half.length];
            for (int i = 0; i < half.length; i++) {
                if (Math.abs(half[i]) >= t) {
                    outlier[i] = true;
                    outlierCol[i % cols] = true;
                }
            }
        }
        float[] stats = new float[rows];
        byte[] codes = new byte[rows * cols];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            float max = 0;
            for (int c = 0; c < cols; c++) if (outlier == null || !outlier[base + c]) max = Math.max(max, Math.abs(half[base + c]));
            stats[r] = max;
            // an all-zero row has no scale; its codes stay 0 and its statistic 0 makes every product with it 0
            if (max == 0) continue;
            float scale = 127.0f / max;
            for (int c = 0; c < cols; c++) {
                if (outlierCol[c]) continue;
                codes[base + c] = (byte) Math.rint(half[base + c] * scale);
            }
        }
        int n = 0;
        for (boolean b : outlierCol) if (b) n++;
        int[] cols2 = new int[n];
        for (int c = 0, k = 0; c < cols; c++) if (outlierCol[c]) cols2[k++] = c;
        return new Int8Rows(rows, cols, codes, stats, cols2);
    }
}
