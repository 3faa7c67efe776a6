package dev.jllm.core.tensor;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.quant.Q5_K;

import java.lang.foreign.MemorySegment;

/** GGML Q5_K weights (as Q4_K with a fifth bit per value). */
public final class Q5_KWeights extends AbstractWeights {
    private static final int BLOCK = Q5_K.BLOCK;
    private static final int BYTES = Q5_K.BYTES;

    Q5_KWeights(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    void dequantizeRange(int row, int k0, int count, float[] dst, int dstOff) {
        long base = row * rowBytes + (long) (k0 / BLOCK) * BYTES;
        int blocks = (count + BLOCK - 1) / BLOCK;
        if (QuantDots.enabled()) {
            QuantRows.q5_K(data, base, blocks, dst, dstOff);
            return;
        }
        dequantizeBlocksScalar(Q5_K::dequantizeBlock, base, blocks, dst, dstOff);
    }

    @Override
    void dotRows(int r0, int r1, float[] x, int xOff, float[] y, int yOff) {
        if (QuantDots.enabled()) {
            int blocks = cols / BLOCK;
            float[] xsum = QuantDots.groupSums(x, xOff, cols, 32);
            float[] acc = new float[32];
            for (int r = r0; r < r1; r++) y[yOff + r] = QuantDots.q5_K(data, r * rowBytes, blocks, x, xOff, xsum, acc);
        } else {
            for (int r = r0; r < r1; r++) y[yOff + r] = dotBlocksScalar(Q5_K::dequantizeBlock, r * rowBytes, x, xOff);
        }
    }
}
