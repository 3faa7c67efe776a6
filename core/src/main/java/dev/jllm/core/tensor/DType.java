package dev.jllm.core.tensor;

import java.util.Optional;

/** Element types of dense tensors, named as safetensors names them. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2),
    I64(8), I32(4), I16(2), I8(1),
    U64(8), U32(4), U16(2), U8(1),
    BOOL(1), F8_E4M3(1), F8_E5M2(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16 || this == F8_E4M3 || this == F8_E5M2;
    }

    /** The safetensors spelling of this type ({@code "F32"}, {@code "BF16"}, ...). */
    public String safetensorsName() {
        return name();
    }

    public static Optional<DType> fromSafetensors(String name) {
        for (DType t : values()) if (t.name().equals(name)) return Optional.of(t);
        return Optional.empty();
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round-to-nearest-even, as PyTorch converts; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
