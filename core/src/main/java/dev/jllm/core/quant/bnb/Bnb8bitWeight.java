package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.kernel.Parallel;

import java.util.Arrays;

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

    /**
     * {@code (CB·SCB)·(1/127)}, bitsandbytes' {@code int8_vectorwise_dequant}: what PEFT dequantizes an 8-bit layer to
     * (merging an adapter, DoRA's weight norm) and what the outlier columns are multiplied with.
     */
    public float[] dequantize() {
        int out = rows(), in = cols();
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) {
            float s = scb[o];
            for (int c = 0; c < in; c++) w[o * in + c] = cb[o * in + c] * s * INV_127;
        }
        return w;
    }

    /**
     * {@code CB·(SCB·(1/127))}: the weight {@code MatMul8bitLt.backward} multiplies the output gradient with. It rounds
     * differently from {@link #dequantize} (the scale is formed first), by at most one float32 ulp per element.
     */
    public float[] backwardWeight() {
        int out = rows(), in = cols();
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) {
            float s = scb[o] * INV_127;
            for (int c = 0; c < in; c++) w[o * in + c] = cb[o * in + c] * s;
        }
        return w;
    }

    /** From this many input rows on, the int32 sums come from the float GEMM (exactly: see {@link #int32Products}). */
    static final int GEMM_ROWS = 16;
    /**
     * Depth of one exact float GEMM: a sum of 1024 products of int8 codes is at most 1024·127² = 16,516,096 < 2²⁴, so
     * every partial sum, in any order, is an integer float32 represents exactly.
     */
    static final int EXACT_K = 1024;

    /**
     * {@code y[rows, out] = x[rows, in]·Wᵀ} as {@code MatMul8bitLt.forward}: int8 product of the non-outlier columns,
     * plus the outlier columns (when {@code threshold > 0}) in float32. {@code y} is overwritten.
     */
    public void forward(float[] y, float[] x, int rows, double threshold) {
        int out = rows(), in = cols();
        if (x.length < (long) rows * in || y.length < (long) rows * out) throw new JllmException("8-bit matmul: buffers too small for " + rows + " rows");
        Int8Rows a = Int8Rows.quantize(x, rows, in, threshold);
        float[] sca = a.stats();
        int[] outliers = a.outlierCols();
        int[] products = int32Products(a.codes(), rows);
        Parallel.forRange(out, 1, (worker, o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                int wo = o * in;
                float sb = scb[o];
                // int8_vectorwise_dequant of this weight row's outlier columns: (CB·SCB)·(1/127) in float32
                float[] subB = new float[outliers.length];
                for (int k = 0; k < outliers.length; k++) subB[k] = cb[wo + outliers[k]] * sb * INV_127;
                for (int r = 0; r < rows; r++) {
                    int xo = r * in;
                    int acc = products[r * out + o];
                    float v = (float) acc * (sca[r] * sb) * MM_DEQUANT;
                    if (outliers.length > 0) {
                        float s = 0;
                        for (int k = 0; k < outliers.length; k++) s += x[xo + outliers[k]] * subB[k];
                        v += s;
                    }
                    y[r * out + o] = v;
                }
            }
        });
    }

    /**
     * The int32 products {@code CA·CBᵀ} ({@code [rows, out]}), as {@code int8_linear_matmul} returns them. Few rows use
     * integer dot products; more rows run the codes through the float GEMM in depth chunks of {@value #EXACT_K},
     * whose results are exact integers, so both paths give the same numbers.
     */
    int[] int32Products(byte[] ca, int rows) {
        int out = rows(), in = cols();
        int[] acc = new int[rows * out];
        if (rows < GEMM_ROWS) {
            Parallel.forRange(out, 1, (worker, o0, o1) -> {
                for (int o = o0; o < o1; o++) {
                    int wo = o * in;
                    for (int r = 0; r < rows; r++) {
                        int xo = r * in, sum = 0;
                        for (int c = 0; c < in; c++) sum += ca[xo + c] * cb[wo + c];
                        acc[r * out + o] = sum;
                    }
                }
            });
            return acc;
        }
        float[] c = new float[rows * out];
        for (int k0 = 0; k0 < in; k0 += EXACT_K) {
            int kc = Math.min(EXACT_K, in - k0);
            float[] a = new float[rows * kc], b = new float[out * kc];
            for (int r = 0; r < rows; r++) for (int k = 0; k < kc; k++) a[r * kc + k] = ca[r * in + k0 + k];
            for (int o = 0; o < out; o++) for (int k = 0; k < kc; k++) b[o * kc + k] = cb[o * in + k0 + k];
            Gemm.sgemm(rows, out, kc, a, b, c);
            for (int i = 0; i < c.length; i++) acc[i] += (int) c[i];
        }
        return acc;
    }

    /** {@code dx[rows, in] += dy[rows, out]·W'}, W' the dequantized weight (the frozen base's input gradient). */
    public void inputGradient(float[] dx, float[] dy, int rows) {
        // bitsandbytes' torch.matmul(grad_output, CB·SCB/127), a dense float32 product: here the GEMM widens the codes
        // panel by panel while it packs them, so the dense matrix is never made
        int in = cols();
        Gemm.gemm(false, rows, dy, 0, new Gemm.ElementPanels(rows(), in, true) {
            @Override
            protected float value(int i) {
                return cb[i] * (scb[i / in] * INV_127);
            }
        }, dx, 0, true);
    }
}
