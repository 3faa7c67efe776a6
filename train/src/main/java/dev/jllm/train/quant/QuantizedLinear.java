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

    @Override
    public void forward(float[] y, float[] x, int rows) {
        Gemm.gemm(false, rows, rounded(x, rows * weight.cols()), 0, weight.panels(false, computeDtype), y, 0, false);
    }

    @Override
    public void inputGradient(float[] dx, float[] dy, int rows, boolean accumulate) {
        Gemm.gemm(false, rows, rounded(dy, rows * weight.rows()), 0, weight.panels(true, computeDtype), dx, 0, accumulate);
    }

    private float[] rounded(float[] v, int n) {
        if (computeDtype == ComputeDtype.FLOAT32_EXACT) return v;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) computeDtype.round(v[i]);
        return out;
    }

    @Override
    public float[] dequantized() {
        float[] f = weight.dequantize();
        if (computeDtype != ComputeDtype.FLOAT32_EXACT) for (int i = 0; i < f.length; i++) f[i] = (float) computeDtype.round(f[i]);
        return f;
    }
}
