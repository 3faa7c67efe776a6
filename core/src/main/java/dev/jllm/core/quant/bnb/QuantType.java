package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;

/**
 * bitsandbytes' two 4-bit data types. The index of a scaled value {@code s = x / absmax} follows the CUDA kernel's
 * decision trees ({@code dQuantizeNF4}, {@code dQuantizeFP4}), not a nearest-value search: the trees' float
 * thresholds decide exact ties (a value equal to a threshold takes the lower code), and the FP4 sign comes from the
 * sign of {@code s}, so tiny negatives become −0 (code 8).
 */
public enum QuantType {
    NF4("nf4", 7, new float[]{
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
            -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
            0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
            0.7229568362236023f, 1.0f}),
    /** FP4 e2m1 with bias 3, values divided by its absmax 12; index order is the bit pattern (sign in bit 3). */
    FP4("fp4", 0, fp4Codes());

    /**
     * The NF4 tree's midpoints, ascending; the index is the count of thresholds strictly below s. They are rounded
     * to float through double, as the reference does, which puts -0.8480964 one ulp away from a direct parse.
     */
    private static final float[] NF4_THRESHOLDS = {
            (float) -0.8480964004993439, (float) -0.6106329262256622, (float) -0.4599952697753906, (float) -0.33967943489551544,
            (float) -0.23460740596055984, (float) -0.13791173323988914, (float) -0.045525018125772476, (float) 0.03979014977812767,
            (float) 0.1202552504837513, (float) 0.2035212516784668, (float) 0.2920137718319893, (float) 0.3893125355243683,
            (float) 0.5016634166240692, (float) 0.6427869200706482, (float) 0.8614784181118011};

    private final String bnbName;
    private final int zeroCode;
    private final float[] codes;

    QuantType(String bnbName, int zeroCode, float[] codes) {
        this.bnbName = bnbName;
        this.zeroCode = zeroCode;
        this.codes = codes;
    }

    private static float[] fp4Codes() {
        // magnitude of each 3-bit pattern in units of the FP4 absmax (12): subnormal 0.0625, then 2^e * (1 + m/2)
        double[] magnitude = {0, 0.0625, 8, 12, 4, 6, 2, 3};
        float[] c = new float[16];
        for (int i = 0; i < 8; i++) {
            c[i] = (float) (magnitude[i] / 12.0);
            c[i + 8] = -c[i];
        }
        return c;
    }

    /** The name bitsandbytes uses ({@code bnb_4bit_quant_type}, quant-state key suffix). */
    public String bnbName() {
        return bnbName;
    }

    /** The code whose value is 0.0: the pad nibble of an odd element count. */
    public int zeroCode() {
        return zeroCode;
    }

    /** The 16 values, indexed by code; a copy. */
    public float[] codes() {
        return codes.clone();
    }

    float code(int index) {
        return codes[index];
    }

    /** The 4-bit code of a value already scaled into [-1, 1]. */
    public int index(float s) {
        if (this == NF4) {
            int n = 0;
            while (n < 15 && s > NF4_THRESHOLDS[n]) n++;
            return n;
        }
        int sign = s < 0 ? 8 : 0;
        float a = Math.abs(s);
        int bits;
        if (a > 0.29166667f) {
            if (a > 0.583333f) bits = a > 0.8333333f ? 0b011 : 0b010;
            else bits = a > 0.4166667f ? 0b101 : 0b100;
        } else {
            if (a > 0.0859375f) bits = a > 0.20833333f ? 0b111 : 0b110;
            else bits = a > 0.00260417f ? 0b001 : 0b000;
        }
        return bits + sign;
    }

    public static QuantType parse(String name) {
        for (QuantType t : values()) if (t.bnbName.equalsIgnoreCase(name)) return t;
        throw new JllmException("bnb_4bit_quant_type '" + name + "': expected nf4 or fp4");
    }
}
