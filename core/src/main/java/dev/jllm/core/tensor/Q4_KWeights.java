package dev.jllm.core.tensor;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.quant.Q4_K;

import java.lang.foreign.MemorySegment;

/** GGML Q4_K weights (256-value super-blocks of eight 4-bit sub-blocks with 6-bit scales and mins). */
public final class Q4_KWeights extends AbstractWeights {
    private static final int BLOCK = Q4_K.BLOCK;
    private static final int BYTES = Q4_K.BYTES;
    /** {@code -Djllm.int8=true} selects {@link Int8Dots} for decode; off by default: measured slower in-cache than the float kernel (0.41x vs 1.0x Q8_0 rows/s, `KernelReport kernels`) because the Vector API has no 8/16-bit multiply-add (vpmaddubsw, vpmaddwd, VNNI), so each 16-bit product vector must be widened to ints before its scale. */
    private static volatile boolean INT8_ACTIVATIONS = !"false".equalsIgnoreCase(System.getProperty("jllm.int8", "false").trim());

    /** Whether decode uses the int8-activation kernel (true) or the float reference kernel (false). */
    public static void setInt8Activations(boolean on) {
        INT8_ACTIVATIONS = on;
    }

    public static boolean int8Activations() {
        return INT8_ACTIVATIONS;
    }

    Q4_KWeights(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    void dequantizeRange(int row, int k0, int count, float[] dst, int dstOff) {
        long base = row * rowBytes + (long) (k0 / BLOCK) * BYTES;
        int blocks = (count + BLOCK - 1) / BLOCK;
        if (QuantDots.enabled()) {
            QuantRows.q4_K(data, base, blocks, dst, dstOff);
            return;
        }
        dequantizeBlocksScalar(Q4_K::dequantizeBlock, base, blocks, dst, dstOff);
    }

    /** x for {@link QuantDots#q4_KPair}: reordered to the code layout, and its sub-block sums. */
    private record NibbleActivations(float[] xp, float[] xsumTwice) {}

    @Override
    Object prepare(float[] x, int xOff) {
        if (!QuantDots.enabled()) return null;
        if (INT8_ACTIVATIONS) return Int8Dots.quantize(x, xOff, cols);
        float[] xsum = QuantDots.groupSums(x, xOff, cols, 32);
        return new NibbleActivations(QuantDots.nibbleOrder(x, xOff, cols), QuantDots.xsumTwice(xsum));
    }

    @Override
    void dotRows(int r0, int r1, float[] x, int xOff, float[] y, int yOff) {
        dotRows(r0, r1, x, xOff, prepare(x, xOff), y, yOff);
    }

    @Override
    void dotRows(int r0, int r1, float[] x, int xOff, Object prepared, float[] y, int yOff) {
        int blocks = cols / BLOCK;
        switch (prepared) {
            case NibbleActivations a -> {
                float[] pair = new float[2];
                int half = QuantDots.part(r0, r1, 2);
                for (int r = r0; r < r0 + half; r++) {
                    QuantDots.q4_KPair(data, r * rowBytes, (r + half) * rowBytes, blocks, a.xp(), a.xsumTwice(), pair);
                    y[yOff + r] = pair[0];
                    y[yOff + r + half] = pair[1];
                }
                if (r0 + 2 * half < r1) {
                    y[yOff + r1 - 1] = QuantDots.q4_K(data, (r1 - 1) * rowBytes, blocks, a.xp(), a.xsumTwice());
                }
            }
            case Int8Dots.Activation a -> {
                for (int r = r0; r < r1; r++) y[yOff + r] = Int8Dots.q4_K(data, r * rowBytes, blocks, a);
            }
            case null, default -> {
                for (int r = r0; r < r1; r++) y[yOff + r] = dotBlocksScalar(Q4_K::dequantizeBlock, r * rowBytes, x, xOff);
            }
        }
    }
}
