package dev.jllm.core.tensor;

import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** Loads 16-bit floats and widens them to float32 vectors in registers (exactly, including subnormals). */
final class Widen {
    static final VectorSpecies<Float> S = Simd.F;
    static final int L = S.length();
    static final VectorSpecies<Short> HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> INT = VectorSpecies.of(int.class, S.vectorShape());

    private Widen() {}

    /** L bfloat16 values at byte offset {@code off}: the top half of a float, so a 16-bit shift widens exactly. */
    static FloatVector bf16(MemorySegment s, long off) {
        ShortVector h = ShortVector.fromMemorySegment(HALF, s, off, ByteOrder.LITTLE_ENDIAN);
        IntVector i = (IntVector) h.convertShape(VectorOperators.S2I, INT, 0);
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * L IEEE half values at byte offset {@code off}. Moving exponent and mantissa into float position and multiplying
     * by 2^112 rebiases normals and normalizes subnormals exactly; infinities and NaNs get the all-ones exponent.
     */
    static FloatVector f16(MemorySegment s, long off) {
        ShortVector h = ShortVector.fromMemorySegment(HALF, s, off, ByteOrder.LITTLE_ENDIAN);
        IntVector i = (IntVector) h.convertShape(VectorOperators.S2I, INT, 0);
        IntVector sign = i.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector mag = i.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        FloatVector f = mag.reinterpretAsFloats().mul(0x1p112f);
        VectorMask<Integer> special = i.and(0x7C00).compare(VectorOperators.EQ, 0x7C00);
        IntVector bits = f.reinterpretAsInts().blend(mag.or(0x7F800000), special);
        return bits.or(sign).reinterpretAsFloats();
    }
}
