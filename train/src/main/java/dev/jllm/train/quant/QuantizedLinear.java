package dev.jllm.train.quant;

import dev.jllm.core.quant.bnb.Bnb4bitWeight;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.train.nn.FrozenWeight;
import dev.jllm.train.nn.Matmul;

/**
 * A frozen 4-bit base weight. Few rows (generation) use the kernels that read the packed codes in place; a training
 * batch dequantizes the weight into a transient buffer and runs the engine's GEMM, as bitsandbytes' own 4-bit matmul
 * does for batches (dequantize to the compute dtype, then a dense product). The buffer lives for one product only,
 * so the resident model stays 4-bit.
 */
public record QuantizedLinear(Bnb4bitWeight weight, ComputeDtype computeDtype) implements FrozenWeight {
    /** Below this many rows the in-place kernels win over dequantize + GEMM. */
    static final int GEMM_ROWS = 16;

    @Override
    public void forward(double[] y, double[] x, int rows) {
        if (rows < GEMM_ROWS) {
            weight.matmulTransposed(y, x, rows, false, computeDtype);
            return;
        }
        Matmul.nt(y, rounded(x, rows * weight.cols()), dequantized(), rows, weight.rows(), weight.cols(), false);
    }

    @Override
    public void inputGradient(double[] dx, double[] dy, int rows) {
        if (rows < GEMM_ROWS) {
            weight.matmulAccumulate(dx, dy, rows, computeDtype);
            return;
        }
        Matmul.nn(dx, rounded(dy, rows * weight.rows()), dequantized(), rows, weight.cols(), weight.rows(), true);
    }

    private double[] rounded(double[] v, int n) {
        if (computeDtype == ComputeDtype.FLOAT32_EXACT) return v;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = computeDtype.round(v[i]);
        return out;
    }

    @Override
    public double[] dequantized() {
        float[] f = weight.dequantize();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = computeDtype.round(f[i]);
        return d;
    }
}
