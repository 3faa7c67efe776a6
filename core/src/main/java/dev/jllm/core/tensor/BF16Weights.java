package dev.jllm.core.tensor;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/** bfloat16 weights. */
public final class BF16Weights extends AbstractWeights {
    private static final VectorSpecies<Float> S = Simd.F;
    private static final int L = S.length();

    BF16Weights(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    void dequantizeRange(int row, int k0, int count, float[] dst, int dstOff) {
        long base = row * rowBytes + 2L * k0;
        int c = 0;
        if (Simd.enabled()) {
            for (; c <= count - L; c += L) Widen.bf16(data, base + 2L * c).intoArray(dst, dstOff + c);
        }
        for (; c < count; c++) {
            long o = base + 2L * c;
            dst[dstOff + c] = DType.bf16ToFloat(data.get(Layouts.I16, o));
        }
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
        for (int c = 0; c < cols; c++) {
            long o = base + 2L * c;
            sum += DType.bf16ToFloat(data.get(Layouts.I16, o)) * x[xOff + c];
        }
        return sum;
    }

    private float dotVector(long base, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int c = 0;
        for (; c <= cols - 4 * L; c += 4 * L) {
            long o = base + 2L * c;
            a0 = Widen.bf16(data, o).fma(FloatVector.fromArray(S, x, xOff + c), a0);
            a1 = Widen.bf16(data, o + 2L * L).fma(FloatVector.fromArray(S, x, xOff + c + L), a1);
            a2 = Widen.bf16(data, o + 4L * L).fma(FloatVector.fromArray(S, x, xOff + c + 2 * L), a2);
            a3 = Widen.bf16(data, o + 6L * L).fma(FloatVector.fromArray(S, x, xOff + c + 3 * L), a3);
        }
        for (; c <= cols - L; c += L) a0 = Widen.bf16(data, base + 2L * c).fma(FloatVector.fromArray(S, x, xOff + c), a0);
        float sum = Simd.sum(a0.add(a1).add(a2.add(a3)));  // one row: the odd rows out and dot(); see Simd.SWAP8
        for (; c < cols; c++) {
            long o = base + 2L * c;
            sum += DType.bf16ToFloat(data.get(Layouts.I16, o)) * x[xOff + c];
        }
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
            long o = 2L * c;
            a0 = Widen.bf16(data, base + o).fma(xv, a0);
            a1 = Widen.bf16(data, b1 + o).fma(xv, a1);
            a2 = Widen.bf16(data, b2 + o).fma(xv, a2);
            a3 = Widen.bf16(data, b3 + o).fma(xv, a3);
        }
        // fixed-order lane sums of the four rows (see Simd.PAIR_LO)
        FloatVector b01 = a0.rearrange(Simd.PAIR_LO, a1).add(a0.rearrange(Simd.PAIR_HI, a1));
        FloatVector b23 = a2.rearrange(Simd.PAIR_LO, a3).add(a2.rearrange(Simd.PAIR_HI, a3));
        FloatVector q = b01.rearrange(Simd.QUAD_LO, b23).add(b01.rearrange(Simd.QUAD_HI, b23));
        if (Simd.QUARTER > 2) q = q.add(q.rearrange(Simd.SWAP2));
        if (Simd.QUARTER > 1) q = q.add(q.rearrange(Simd.SWAP1));
        float s0 = q.lane(0), s1 = q.lane(Simd.QUARTER), s2 = q.lane(2 * Simd.QUARTER), s3 = q.lane(3 * Simd.QUARTER);
        for (; c < cols; c++) {
            long o = 2L * c;
            float xc = x[xOff + c];
            s0 += DType.bf16ToFloat(data.get(Layouts.I16, base + o)) * xc;
            s1 += DType.bf16ToFloat(data.get(Layouts.I16, b1 + o)) * xc;
            s2 += DType.bf16ToFloat(data.get(Layouts.I16, b2 + o)) * xc;
            s3 += DType.bf16ToFloat(data.get(Layouts.I16, b3 + o)) * xc;
        }
        y[yOff] = s0;
        y[yOff + yStride] = s1;
        y[yOff + 2 * yStride] = s2;
        y[yOff + 3 * yStride] = s3;
    }
}
