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
    public void forward(float[] y, float[] x, int rows) {
        weight.forward(y, x, rows, threshold);
    }

    @Override
    public void inputGradient(float[] dx, float[] dy, int rows, boolean accumulate) {
        if (!accumulate) java.util.Arrays.fill(dx, 0, rows * weight.cols(), 0f);
        weight.inputGradient(dx, dy, rows);
    }

    @Override
    public float[] dequantized() {
        return weight.dequantize();
    }
}
