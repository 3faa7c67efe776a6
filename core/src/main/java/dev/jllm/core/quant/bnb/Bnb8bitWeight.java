package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * A linear weight in bitsandbytes' LLM.int8 format ({@code Int8Params} with {@code has_fp16_weights=False}): the
 * {@code [out, in]} matrix cast to float16 and quantized row-wise to int8 ({@code CB}), with each output row's absmax
 * ({@code SCB}, float32). The products follow {@code MatMul8bitLt}:
 * <ul>
 * <li>forward {@code y = x·Wᵀ}: the input (cast to float16) is quantized row-wise to int8 as well, the codes are
 * multiplied with int32 accumulation and the sums dequantized by {@code SCA·SCB/127²}; with a threshold above zero
 * the input columns holding a value with {@code |x| >= threshold} are left out of the int8 product and computed in
 * the input's own precision against the dequantized weight columns ({@code CB·SCB/127}), LLM.int8's mixed-precision
 * decomposition;</li>
 * <li>input gradient {@code dx = dy·W'} with {@code W' = CB·(SCB/127)}: bitsandbytes differentiates through the
 * dequantized weight, not through the int8 product; the weight itself is frozen.</li>
 * </ul>
 * Floating-point steps are float32 in bitsandbytes' order (its reference {@code default} kernels), so results are
 * reproducible bit for bit on every machine.
 *
 * @param shape PyTorch shape {@code [out, in]}
 * @param cb    row-major int8 codes
 * @param scb   the absmax of each output row
 */
public record Bnb8bitWeight(long[] shape, byte[] cb, float[] scb) {
    /** {@code 1/127²} as bitsandbytes writes it in {@code int8_mm_dequant}. */
    static final float MM_DEQUANT = 6.200124e-05f;
    /** {@code 1/127} in float32, the factor of {@code int8_vectorwise_dequant} and of the backward's dequantization. */
    static final float INV_127 = (float) (1.0 / 127.0);

    public Bnb8bitWeight {
        if (shape.length != 2 || shape[0] <= 0 || shape[1] <= 0) throw new JllmException("8-bit weight: shape " + Arrays.toString(shape) + " is not [out, in]");
        if (cb.length != shape[0] * shape[1]) throw new JllmException("8-bit weight of shape " + Arrays.toString(shape) + ": " + cb.length + " codes, expected " + shape[0] * shape[1]);
        if (scb.length != shape[0]) throw new JllmException("8-bit weight of shape " + Arrays.toString(shape) + ": " + scb.length + " SCB values, expected " + shape[0]);
    }

    /** Quantizes a row-major {@code [out, in]} weight as {@code Int8Params} does when moved to the device. */
    public static Bnb8bitWeight quantize(float[] values, int out, int in) {
        if (values.length != (long) out * in) throw new JllmException("8-bit quantization: " + values.length + " values for a [" + out + ", " + in + "] weight");
        Int8Rows q = Int8Rows.quantize(values, out, in, 0);
        return new Bnb8bitWeight(new long[]{out, in}, q.codes(), q.stats());
    }

    public int rows() {
        return (int) shape[0];
    }

    public int cols() {
        return (int) shape[1];
    }

    /** {@code CB·(SCB/127)}: the weight the backward pass multiplies with (and what merging an adapter starts from). */
    public float[] dequantize() {
        int out = rows(), in = cols();
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) {
            float s = scb[o] * INV_127;
            for (int c = 0; c < in; c++) w[o * in + c] = cb[o * in + c] * s;
        }
        return w;
    }

    /**
     * {@code y[rows, out] = x[rows, in]·Wᵀ} as {@code MatMul8bitLt.forward}: int8 product of the non-outlier columns,
     * plus the outlier columns (when {@code threshold > 0}) in float32. {@code y} is overwritten.
     */
    public void forward(float[] y, float[] x, int rows, double threshold) {
        int out = rows(), in = cols();
        if (x.length < (long) rows * in || y.length < (long) rows * out) throw new JllmException("8-bit matmul: buffers too small for " + rows + " rows");
        Int8Rows a = Int8Rows.quantize(x, rows, in, threshold);
        byte[] ca = a.codes();
        float[] sca = a.stats();
        int[] outliers = a.outlierCols();
        IntStream.range(0, out).parallel().forEach(o -> {
            int wo = o * in;
            float sb = scb[o];
            // int8_vectorwise_dequant of this weight row's outlier columns: (CB·SCB)·(1/127) in float32
            float[] subB = new float[outliers.length];
            for (int k = 0; k < outliers.length; k++) subB[k] = cb[wo + outliers[k]] * sb * INV_127;
            for (int r = 0; r < rows; r++) {
                int xo = r * in;
                int acc = 0;
                for (int c = 0; c < in; c++) acc += ca[xo + c] * cb[wo + c];
                float v = (float) acc * (sca[r] * sb) * MM_DEQUANT;
                if (outliers.length > 0) {
                    float s = 0;
                    for (int k = 0; k < outliers.length; k++) s += x[xo + outliers[k]] * subB[k];
                    v += s;
                }
                y[r * out + o] = v;
            }
        });
    }

    /** {@code dx[rows, in] += dy[rows, out]·W'}, W' the dequantized weight (the frozen base's input gradient). */
    public void inputGradient(float[] dx, float[] dy, int rows) {
        int out = rows(), in = cols();
        float[] w = dequantize();
        int chunks = Math.max(1, Math.min(rows, Runtime.getRuntime().availableProcessors()));
        IntStream.range(0, chunks).parallel().forEach(chunk -> {
            int r0 = (int) ((long) rows * chunk / chunks), r1 = (int) ((long) rows * (chunk + 1) / chunks);
            for (int r = r0; r < r1; r++) {
                int xo = r * in;
                for (int o = 0; o < out; o++) {
                    float g = dy[r * out + o];
                    if (g == 0) continue;
                    int wo = o * in;
                    for (int c = 0; c < in; c++) dx[xo + c] += g * w[wo + c];
                }
            }
        });
    }
}
