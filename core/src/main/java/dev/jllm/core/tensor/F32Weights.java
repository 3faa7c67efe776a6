package dev.jllm.core.tensor;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * float32 weights. The first {@link #matmul} packs the matrix into GEMM panels once and keeps them (the packed copy
 * costs as much memory as the weights; {@code -Djllm.prepack=false} packs per call instead).
 */
public final class F32Weights extends AbstractWeights {
    private static final VectorSpecies<Float> S = Simd.F;
    private static final int L = S.length();
    private static final boolean PREPACK = !"false".equalsIgnoreCase(System.getProperty("jllm.prepack", "true").trim());

    private volatile Gemm.PackedB packed;

    F32Weights(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    int matvecMaxTokens() {
        return PREPACK ? 1 : 3;
    }

    @Override
    public void matmul(float[] x, int xOff, int n, float[] y, int yOff) {
        if (!PREPACK || n <= matvecMaxTokens()) {
            super.matmul(x, xOff, n, y, yOff);
            return;
        }
        checkVector(x, xOff, (long) n * cols, "X");
        checkVector(y, yOff, (long) n * rows, "Y");
        Gemm.PackedB p = packed;
        if (p == null) {
            synchronized (this) {
                p = packed;
                if (p == null) packed = p = Gemm.pack(this);
            }
        }
        Gemm.sgemm(n, x, xOff, p, y, yOff);
    }

    @Override
    void dequantizeRange(int row, int k0, int count, float[] dst, int dstOff) {
        MemorySegment.copy(data, Layouts.F32, row * rowBytes + 4L * k0, dst, dstOff, count);
    }

    @Override
    void dotRows(int r0, int r1, float[] x, int xOff, float[] y, int yOff) {
        if (Simd.enabled()) {
            // four rows a quarter of the range apart (see QuantDots.part): measured 10-15% faster from memory than
            // four consecutive rows on the 1B benchmark model (4 KiB-page mapping)
            int part = QuantDots.part(r0, r1, 4);
            for (int i = 0; i < part; i++) dot4Vector((r0 + i) * rowBytes, part * rowBytes, x, xOff, y, yOff + r0 + i, part);
            for (int r = r0 + 4 * part; r < r1; r++) y[yOff + r] = dotVector(r * rowBytes, x, xOff);
        } else {
            for (int r = r0; r < r1; r++) y[yOff + r] = dotScalar(r * rowBytes, x, xOff);
        }
    }

    private float dotScalar(long base, float[] x, int xOff) {
        float sum = 0;
        for (int c = 0; c < cols; c++) sum += data.get(Layouts.F32, base + 4L * c) * x[xOff + c];
        return sum;
    }

    private float dotVector(long base, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int c = 0;
        int bound = cols - 4 * L;
        for (; c <= bound; c += 4 * L) {
            long o = base + 4L * c;
            a0 = FloatVector.fromMemorySegment(S, data, o, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(S, x, xOff + c), a0);
            a1 = FloatVector.fromMemorySegment(S, data, o + 4L * L, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(S, x, xOff + c + L), a1);
            a2 = FloatVector.fromMemorySegment(S, data, o + 8L * L, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(S, x, xOff + c + 2 * L), a2);
            a3 = FloatVector.fromMemorySegment(S, data, o + 12L * L, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(S, x, xOff + c + 3 * L), a3);
        }
        for (; c <= cols - L; c += L) {
            a0 = FloatVector.fromMemorySegment(S, data, base + 4L * c, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(S, x, xOff + c), a0);
        }
        float sum = Simd.sum(a0.add(a1).add(a2.add(a3)));  // one row: the odd rows out and dot(); see Simd.SWAP8
        for (; c < cols; c++) sum += data.get(Layouts.F32, base + 4L * c) * x[xOff + c];
        return sum;
    }

    /**
     * Rows at {@code base}, {@code base + stride}, ... (four), written to {@code y[yOff + k·yStride]}: each x vector
     * load serves four rows, and four interleaved weight streams keep more cache misses in flight than one row at a
     * time.
     */
    private void dot4Vector(long base, long stride, float[] x, int xOff, float[] y, int yOff, int yStride) {
        long b1 = base + stride, b2 = b1 + stride, b3 = b2 + stride;
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int c = 0;
        for (; c <= cols - L; c += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + c);
            long o = 4L * c;
            a0 = FloatVector.fromMemorySegment(S, data, base + o, ByteOrder.LITTLE_ENDIAN).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(S, data, b1 + o, ByteOrder.LITTLE_ENDIAN).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(S, data, b2 + o, ByteOrder.LITTLE_ENDIAN).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(S, data, b3 + o, ByteOrder.LITTLE_ENDIAN).fma(xv, a3);
        }
        // fixed-order lane sums of the four rows (see Simd.PAIR_LO)
        FloatVector b01 = a0.rearrange(Simd.PAIR_LO, a1).add(a0.rearrange(Simd.PAIR_HI, a1));
        FloatVector b23 = a2.rearrange(Simd.PAIR_LO, a3).add(a2.rearrange(Simd.PAIR_HI, a3));
        FloatVector q = b01.rearrange(Simd.QUAD_LO, b23).add(b01.rearrange(Simd.QUAD_HI, b23));
        if (Simd.QUARTER > 2) q = q.add(q.rearrange(Simd.SWAP2));
        if (Simd.QUARTER > 1) q = q.add(q.rearrange(Simd.SWAP1));
        float s0 = q.lane(0), s1 = q.lane(Simd.QUARTER), s2 = q.lane(2 * Simd.QUARTER), s3 = q.lane(3 * Simd.QUARTER);
        for (; c < cols; c++) {
            long o = 4L * c;
            float xc = x[xOff + c];
            s0 += data.get(Layouts.F32, base + o) * xc;
            s1 += data.get(Layouts.F32, b1 + o) * xc;
            s2 += data.get(Layouts.F32, b2 + o) * xc;
            s3 += data.get(Layouts.F32, b3 + o) * xc;
        }
        y[yOff] = s0;
        y[yOff + yStride] = s1;
        y[yOff + 2 * yStride] = s2;
        y[yOff + 3 * yStride] = s3;
    }
}
