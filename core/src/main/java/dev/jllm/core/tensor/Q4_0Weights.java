package dev.jllm.core.tensor;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.quant.Q4_0;

import java.lang.foreign.MemorySegment;

/** GGML Q4_0 weights (blocks of 32 4-bit values with an fp16 scale, offset 8). */
public final class Q4_0Weights extends AbstractWeights {
    private static final int BLOCK = Q4_0.BLOCK;
    private static final int BYTES = Q4_0.BYTES;

    Q4_0Weights(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    void dequantizeRange(int row, int k0, int count, float[] dst, int dstOff) {
        long base = row * rowBytes + (long) (k0 / BLOCK) * BYTES;
        int blocks = (count + BLOCK - 1) / BLOCK;
        if (QuantDots.enabled()) {
            QuantRows.q4_0(data, base, blocks, dst, dstOff);
            return;
        }
        dequantizeBlocksScalar(Q4_0::dequantizeBlock, base, blocks, dst, dstOff);
    }

    @Override
    void dotRows(int r0, int r1, float[] x, int xOff, float[] y, int yOff) {
        if (QuantDots.enabled()) {
            int blocks = cols / BLOCK;
            float[] xsum = QuantDots.groupSums(x, xOff, cols, 32);
            int part = QuantDots.part(r0, r1, 4);
            for (int i = 0; i < part; i++) {
                QuantDots.q4_0Rows4(data, (r0 + i) * rowBytes, part * rowBytes, blocks, x, xOff, xsum, y, yOff + r0 + i, part);
            }
            for (int r = r0 + 4 * part; r < r1; r++) y[yOff + r] = QuantDots.q4_0(data, r * rowBytes, blocks, x, xOff, xsum);
        } else {
            for (int r = r0; r < r1; r++) y[yOff + r] = dotBlocksScalar(Q4_0::dequantizeBlock, r * rowBytes, x, xOff);
        }
    }
}
