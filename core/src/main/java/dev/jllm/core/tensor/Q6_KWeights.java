package dev.jllm.core.tensor;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.quant.Q6_K;

import java.lang.foreign.MemorySegment;

/** GGML Q6_K weights (256-value super-blocks of sixteen 6-bit sub-blocks with int8 scales). */
public final class Q6_KWeights extends AbstractWeights {
    private static final int BLOCK = Q6_K.BLOCK;
    private static final int BYTES = Q6_K.BYTES;

    Q6_KWeights(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    void dequantizeRange(int row, int k0, int count, float[] dst, int dstOff) {
        long base = row * rowBytes + (long) (k0 / BLOCK) * BYTES;
        int blocks = (count + BLOCK - 1) / BLOCK;
        if (QuantDots.enabled()) {
            QuantRows.q6_K(data, base, blocks, dst, dstOff);
            return;
        }
        dequantizeBlocksScalar(Q6_K::dequantizeBlock, base, blocks, dst, dstOff);
    }

    @Override
    void dotRows(int r0, int r1, float[] x, int xOff, float[] y, int yOff) {
        if (QuantDots.enabled()) {
            int blocks = cols / BLOCK;
            float[] acc = new float[32];
            for (int r = r0; r < r1; r++) y[yOff + r] = QuantDots.q6_K(data, r * rowBytes, blocks, x, xOff, acc);
        } else {
            for (int r = r0; r < r1; r++) y[yOff + r] = dotBlocksScalar(Q6_K::dequantizeBlock, r * rowBytes, x, xOff);
        }
    }
}
