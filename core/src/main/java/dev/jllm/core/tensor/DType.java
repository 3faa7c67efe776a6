package dev.jllm.core.tensor;

import dev.jllm.core.JllmException;

/** Element types of safetensors checkpoints, with the scalar conversions every reader of F16/BF16 data needs. */
public enum DType {
    F64(8, "F64"), F32(4, "F32"), F16(2, "F16"), BF16(2, "BF16"),
    I64(8, "I64"), I32(4, "I32"), I16(2, "I16"), I8(1, "I8"),
    U64(8, "U64"), U32(4, "U32"), U16(2, "U16"), U8(1, "U8"), BOOL(1, "BOOL"),
    F8_E4M3(1, "F8_E4M3"), F8_E5M2(1, "F8_E5M2");

    private final int byteSize;
    private final String safetensorsName;

    DType(int byteSize, String safetensorsName) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
    }

    public int byteSize() {
        return byteSize;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    public static DType fromSafetensors(String name) {
        for (DType t : values()) if (t.safetensorsName.equals(name)) return t;
        throw new JllmException("unknown safetensors dtype '" + name + "'");
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** IEEE binary16, round-to-nearest-even (what numpy's astype(float16) and torch do). */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** bfloat16, round-to-nearest-even; NaN stays a (quiet) NaN instead of rounding into infinity. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
