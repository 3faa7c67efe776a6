package dev.jllm.train.quant;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.quant.bnb.Bnb4bitWeight;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.train.nn.FrozenWeight;

/**
 * A frozen 4-bit base weight. Both products run on core's {@link Gemm} with the weight as a panel source: each
 * panel is dequantized (to the compute dtype, as bitsandbytes does before its dense product) while it is packed, so
 * only one cache-sized panel per core ever exists in float and the resident weight stays 4-bit. The layer input is
 * rounded to the compute dtype too, as bitsandbytes casts it.
 */
public record QuantizedLinear(Bnb4bitWeight weight, ComputeDtype computeDtype) implements FrozenWeight {
    /**
     * The rounded input block of a 16-bit compute dtype, kept per thread between products: {@link Gemm#MC} rows at
     * most, the rows Gemm packs and multiplies together anyway, so rounding them a block at a time repacks no panel
     * of the weight and never copies the whole input.
     */
    private static final ThreadLocal<float[]> ROUNDED = new ThreadLocal<>();

    @Override
    public void forward(float[] y, float[] x, int rows) {
        product(y, x, rows, weight.cols(), weight.panels(false, computeDtype), false);
    }

    @Override
    public void inputGradient(float[] dx, float[] dy, int rows, boolean accumulate) {
        product(dx, dy, rows, weight.rows(), weight.panels(true, computeDtype), accumulate);
    }

    /** {@code c (+)= round(a)·Bᵀ} for {@code a [rows, depth]}. */
    private void product(float[] c, float[] a, int rows, int depth, Gemm.PanelSource b, boolean accumulate) {
        if (computeDtype == ComputeDtype.FLOAT32_EXACT) {
            Gemm.gemm(false, rows, a, 0, b, c, 0, accumulate);
            return;
        }
        int block = Math.min(rows, Gemm.MC);
        float[] rounded = ROUNDED.get();
        if (rounded == null || rounded.length < block * depth) ROUNDED.set(rounded = new float[block * depth]);
        for (int r0 = 0; r0 < rows; r0 += block) {
            int n = Math.min(block, rows - r0);
            float[] dst = rounded;
            int from = r0 * depth;
            dev.jllm.core.kernel.Parallel.forRange(n * depth, 1 << 14, (w, i0, i1) -> {
                for (int i = i0; i < i1; i++) dst[i] = computeDtype.round(a[from + i]);
            });
            Gemm.gemm(false, n, rounded, 0, b, c, r0 * b.n(), accumulate);
        }
    }

    @Override
    public float[] dequantized() {
        float[] f = weight.dequantize();
        if (computeDtype != ComputeDtype.FLOAT32_EXACT) for (int i = 0; i < f.length; i++) f[i] = (float) computeDtype.round(f[i]);
        return f;
    }
}
