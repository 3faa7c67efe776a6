package dev.jllm.train.quant;

import dev.jllm.core.quant.bnb.Bnb8bitWeight;
import dev.jllm.train.nn.FrozenWeight;

/**
 * A frozen LLM.int8 base weight ({@code Linear8bitLt} with {@code has_fp16_weights=False}): the forward pass is
 * bitsandbytes' {@code MatMul8bitLt} (int8 product with the outlier columns above {@code threshold} in floating point;
 * threshold 0 = no decomposition), the input gradient multiplies with the dequantized weight as bitsandbytes does.
 * The engine's activations are float32 values, bitsandbytes' "input dtype".
 */
public record Int8Linear(Bnb8bitWeight weight, double threshold) implements FrozenWeight {
    @Override
    public void forward(double[] y, double[] x, int rows) {
        float[] yf = new float[rows * weight.rows()];
        weight.forward(yf, toFloats(x, rows * weight.cols()), rows, threshold);
        for (int i = 0; i < yf.length; i++) y[i] = yf[i];
    }

    @Override
    public void inputGradient(double[] dx, double[] dy, int rows) {
        int in = weight.cols();
        float[] dxf = new float[rows * in];
        weight.inputGradient(dxf, toFloats(dy, rows * weight.rows()), rows);
        for (int i = 0; i < dxf.length; i++) dx[i] += dxf[i];
    }

    @Override
    public double[] dequantized() {
        float[] f = weight.dequantize();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static float[] toFloats(double[] v, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) v[i];
        return f;
    }
}
