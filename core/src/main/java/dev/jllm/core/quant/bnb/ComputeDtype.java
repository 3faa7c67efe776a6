package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;
import dev.jllm.core.tensor.DType;

/**
 * {@code bnb_4bit_compute_dtype}: the type the 4-bit weight is dequantized into, and the layer input cast to, before
 * the matrix product. Sums stay in float64 (the training engine's accumulator). FLOAT32_EXACT is float32: dequantized
 * values are float32 already and the engine's float64 activations are kept, as its float32 reference runs expect.
 */
public enum ComputeDtype {
    FLOAT32_EXACT("float32"), BFLOAT16("bfloat16"), FLOAT16("float16");

    private final String pythonName;

    ComputeDtype(String pythonName) {
        this.pythonName = pythonName;
    }

    public String pythonName() {
        return pythonName;
    }

    public double round(double v) {
        return switch (this) {
            case FLOAT32_EXACT -> v;
            case BFLOAT16 -> DType.bf16ToFloat(DType.floatToBf16((float) v));
            case FLOAT16 -> DType.f16ToFloat(DType.floatToF16((float) v));
        };
    }

    /**
     * {@link #round} for a float, without the trip through double: the rounding to nearest even done on the bits
     * (bf16), or the JDK's two float16 intrinsics; the same result for every value (a NaN stays a NaN).
     */
    public float round(float v) {
        return switch (this) {
            case FLOAT32_EXACT -> v;
            case BFLOAT16 -> {
                int bits = Float.floatToRawIntBits(v);
                yield v != v ? v : Float.intBitsToFloat(((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16) << 16);
            }
            case FLOAT16 -> Float.float16ToFloat(Float.floatToFloat16(v));
        };
    }

    public static ComputeDtype parse(String name) {
        String n = name.startsWith("torch.") ? name.substring(6) : name;
        return switch (n) {
            case "float32", "fp32" -> FLOAT32_EXACT;
            case "bfloat16", "bf16" -> BFLOAT16;
            case "float16", "fp16", "half" -> FLOAT16;
            default -> throw new JllmException("bnb_4bit_compute_dtype '" + name + "': expected float32, bfloat16 or float16");
        };
    }
}
