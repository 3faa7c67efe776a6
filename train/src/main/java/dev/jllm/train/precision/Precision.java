package dev.jllm.train.precision;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The number format of a model's matrix products and of the activations kept for backward: transformers'
 * {@code TrainingArguments(bf16=True)} / {@code fp16=True}, which run the model under {@code torch.autocast}.
 *
 * <p>What autocast does, and so what the layers do when this is {@link #BF16} or {@link #FP16}:
 * <ul>
 * <li>every matrix product reads 16-bit operands (the weight as a 16-bit copy of its float32 master, made once per
 *     optimizer step; the input as the 16-bit tensor the previous op returned), accumulates in float32 and returns a
 *     16-bit tensor; element-wise ops between products (RoPE, SwiGLU) return 16-bit tensors too;</li>
 * <li>norms, softmax, the loss and every reduction stay float32 (autocast's float32 op list), and the residual
 *     stream stays float32 (a 16-bit branch output added to a float32 residual promotes to float32);</li>
 * <li>gradients of 16-bit tensors are 16-bit; master weights, their gradients and the optimizer state stay float32.
 *     (One deliberate difference: PyTorch rounds each micro-batch's weight gradient to 16 bits before adding it to
 *     the float32 {@code .grad}; here it goes straight from the float32 accumulator into {@code .grad}.)</li>
 * </ul>
 * Because every value a product reads is exactly 16-bit, the activations saved for backward can be STORED in 16
 * bits without losing anything: that halves their memory, which is what the option is for on a CPU (there is no
 * bf16 multiply-add here, so the products themselves still run on the float32 kernel).
 *
 * <p>{@link #FP32} changes nothing: every method is the identity or a plain copy, so the float32 path stays
 * bit-identical with or without this type.
 */
public enum Precision {
    /** PyTorch's default float32 training. */
    FP32("fp32"),
    /** bfloat16: float32's exponent range with 8 significant bits; needs no loss scaling. */
    BF16("bf16"),
    /** IEEE binary16: 11 significant bits but a range ending at 65504, so gradients need {@link GradScaler}. */
    FP16("fp16");

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** As many 16-bit lanes as {@link #I} has 32-bit ones. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(I.vectorBitSize() / 2));
    /** Elements per parallel grain of the array passes (memory-bound: large grains). */
    private static final int GRAIN = 1 << 15;

    private final String flag;

    Precision(String flag) {
        this.flag = flag;
    }

    /** The TrainingArguments field that selects it ({@code bf16}, {@code fp16}; {@code fp32} is neither). */
    public String flag() {
        return flag;
    }

    /** transformers' two booleans as one value; both at once is the error transformers raises too. */
    public static Precision of(boolean bf16, boolean fp16) {
        if (bf16 && fp16) throw new JllmException("bf16 and fp16 exclude each other (transformers: 'At most one of fp16 and bf16 can be True, but not both'); choose one");
        return bf16 ? BF16 : fp16 ? FP16 : FP32;
    }

    /** Whether values are rounded to and stored in 16 bits. */
    public boolean reduced() {
        return this != FP32;
    }

    /** Bytes one stored activation element takes. */
    public int bytesPerElement() {
        return reduced() ? 2 : 4;
    }

    /** The 16-bit pattern nearest to {@code v}, ties to even (fp16: subnormals kept, overflow to infinity). */
    public short encode(float v) {
        return switch (this) {
            case BF16 -> bf16(v);
            case FP16 -> Float.floatToFloat16(v);
            case FP32 -> throw new IllegalStateException("fp32 has no 16-bit encoding");
        };
    }

    /** The float32 value of a 16-bit pattern (exact). */
    public float decode(short bits) {
        return switch (this) {
            case BF16 -> Float.intBitsToFloat((bits & 0xFFFF) << 16);
            case FP16 -> Float.float16ToFloat(bits);
            case FP32 -> throw new IllegalStateException("fp32 has no 16-bit encoding");
        };
    }

    /** {@code v} rounded to this precision (the identity for FP32). */
    public float round(float v) {
        return switch (this) {
            case FP32 -> v;
            case BF16 -> Float.intBitsToFloat(bf16(v) << 16);
            case FP16 -> Float.float16ToFloat(Float.floatToFloat16(v));
        };
    }

    /**
     * bfloat16 round-to-nearest-even, as PyTorch's {@code c10::BFloat16}: add 0x7FFF plus the lowest kept bit, then
     * truncate; a carry out of the mantissa correctly bumps the exponent (and the largest finite values round to
     * infinity). NaN stays a quiet NaN rather than possibly rounding into infinity.
     */
    private static short bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (v != v) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Rounds {@code x[0, n)} in place (nothing for FP32), spread over the cores. */
    public void round(float[] x, int n) {
        if (this == FP32) return;
        Parallel.forRange(n, GRAIN, (w, i0, i1) -> roundRange(x, i0, i1));
    }

    private void roundRange(float[] x, int from, int to) {
        int i = from;
        if (this == BF16) {
            IntVector mantissaKeep = IntVector.broadcast(I, 0x7FFF), one = IntVector.broadcast(I, 1), high = IntVector.broadcast(I, 0xFFFF0000);
            IntVector quiet = IntVector.broadcast(I, 0x00400000);
            for (; i + I.length() <= to; i += I.length()) {
                FloatVector f = FloatVector.fromArray(F, x, i);
                IntVector bits = f.reinterpretAsInts();
                IntVector rounded = bits.add(mantissaKeep).add(bits.lanewise(VectorOperators.LSHR, 16).and(one)).and(high);
                VectorMask<Integer> nan = f.test(VectorOperators.IS_NAN).cast(I);
                rounded = rounded.blend(bits.or(quiet).and(high), nan);
                rounded.reinterpretAsFloats().intoArray(x, i);
            }
            for (; i < to; i++) x[i] = round(x[i]);
        } else {
            // a plain loop of the two intrinsics, which the JIT vectorizes (a call through round(float) it does not)
            for (; i < to; i++) x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        }
    }

    /** {@code dst[dstOff + i] = encode(src[srcOff + i])} for i &lt; n, spread over the cores. */
    public void encode(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        if (this == FP32) throw new IllegalStateException("fp32 has no 16-bit encoding");
        Parallel.forRange(n, GRAIN, (w, i0, i1) -> narrow(src, srcOff + i0, dst, dstOff + i0, i1 - i0));
    }

    /** {@code dst[dstOff + i] = decode(src[srcOff + i])} for i &lt; n, spread over the cores. */
    public void decode(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        if (this == FP32) throw new IllegalStateException("fp32 has no 16-bit encoding");
        Parallel.forRange(n, GRAIN, (w, i0, i1) -> widen(src, srcOff + i0, dst, dstOff + i0, i1 - i0));
    }

    /** {@code dst[dOff + i] = encode(src[off + i])} for i &lt; n, on the calling thread. */
    private void narrow(float[] src, int off, short[] dst, int dOff, int n) {
        int i = 0;
        if (this == BF16) {
            IntVector half = IntVector.broadcast(I, 0x7FFF), one = IntVector.broadcast(I, 1), quiet = IntVector.broadcast(I, 0x00400000);
            for (; i + I.length() <= n; i += I.length()) {
                FloatVector f = FloatVector.fromArray(F, src, off + i);
                IntVector bits = f.reinterpretAsInts();
                IntVector rounded = bits.add(half).add(bits.lanewise(VectorOperators.LSHR, 16).and(one));
                rounded = rounded.blend(bits.or(quiet), f.test(VectorOperators.IS_NAN).cast(I));
                // I2S keeps the low 16 bits of each lane: shift the kept half down first
                rounded.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, S, 0).reinterpretAsShorts().intoArray(dst, dOff + i);
            }
            for (; i < n; i++) dst[dOff + i] = bf16(src[off + i]);
        } else {
            for (; i < n; i++) dst[dOff + i] = Float.floatToFloat16(src[off + i]);
        }
    }

    /** {@code dst[dOff + i] = decode(src[off + i])} for i &lt; n, on the calling thread (weight packers call it per panel). */
    public void widen(short[] src, int off, float[] dst, int dOff, int n) {
        int i = 0;
        if (this == BF16) {
            for (; i + I.length() <= n; i += I.length()) {
                IntVector v = (IntVector) ShortVector.fromArray(S, src, off + i).convertShape(VectorOperators.S2I, I, 0);
                v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dOff + i);
            }
            for (; i < n; i++) dst[dOff + i] = Float.intBitsToFloat(src[off + i] << 16);
        } else if (this == FP16) {
            for (; i < n; i++) dst[dOff + i] = Float.float16ToFloat(src[off + i]);
        } else {
            throw new IllegalStateException("fp32 has no 16-bit encoding");
        }
    }
}
