package dev.jllm.train.quant;

import dev.jllm.core.quant.bnb.Bnb4bitWeight;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.train.nn.FrozenWeight;

/** A frozen 4-bit base weight: both products read the packed codes in place ({@link Bnb4bitWeight}). */
public record QuantizedLinear(Bnb4bitWeight weight, ComputeDtype computeDtype) implements FrozenWeight {
    @Override
    public void forward(double[] y, double[] x, int rows) {
        weight.matmulTransposed(y, x, rows, false, computeDtype);
    }

    @Override
    public void inputGradient(double[] dx, double[] dy, int rows) {
        weight.matmulAccumulate(dx, dy, rows, computeDtype);
    }

    @Override
    public double[] dequantized() {
        float[] f = weight.dequantize();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
