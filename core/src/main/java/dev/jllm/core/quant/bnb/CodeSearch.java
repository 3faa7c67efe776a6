package dev.jllm.core.quant.bnb;

import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The nearest code of a sorted 256-value map (bitsandbytes' dynamic maps), as its 8-bit optimizers requantize their
 * state: the nearest value, the lower code on a tie, and for a signed state the sign kept (a tiny negative value that
 * rounds to +0 moves one code outwards). A binary search mispredicts a branch per level on values that look random;
 * instead the top 16 bits of a float pick a precomputed code at or below it, and a few steps up reach the answer.
 * {@link #codes} does that for 16 values at a time with vector gathers, giving the same codes as {@link #code}.
 */
public final class CodeSearch {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = F.length() == 16 ? IntVector.SPECIES_512
            : F.length() == 8 ? IntVector.SPECIES_256 : F.length() == 4 ? IntVector.SPECIES_128 : IntVector.SPECIES_64;
    private static final int LAST = 255;

    private final float[] map;
    private final boolean keepSign;
    /** For each 16-bit float prefix, the largest code at or below every float with that prefix (0 if none). */
    private final int[] start;
    /** The most steps up from {@link #start} any finite float needs. */
    private final int probes;

    private CodeSearch(float[] map, boolean keepSign) {
        if (map.length != LAST + 1) throw new IllegalArgumentException("a code map has 256 values, got " + map.length);
        for (int i = 0; i < LAST; i++) {
            if (!(map[i] <= map[i + 1])) throw new IllegalArgumentException("a code map must ascend: map[" + i + "] = " + map[i] + ", map[" + (i + 1) + "] = " + map[i + 1]);
        }
        this.map = map.clone();
        this.keepSign = keepSign;
        this.start = new int[1 << 16];
        int most = 0;
        for (int key = 0; key < start.length; key++) {
            boolean negative = (key & 0x8000) != 0;
            float lowest = Float.intBitsToFloat((key << 16) | (negative ? 0xFFFF : 0));
            float highest = Float.intBitsToFloat((key << 16) | (negative ? 0 : 0xFFFF));
            start[key] = climb(0, lowest);
            if (Float.isFinite(highest)) most = Math.max(most, climb(start[key], highest) - start[key]);
        }
        this.probes = most;
    }

    /** The search of an 8-bit optimizer's first moment (signed map, sign kept). */
    public static CodeSearch signed() {
        return new CodeSearch(DynamicMap.signed8bit(), true);
    }

    /** The search of an 8-bit optimizer's second moment (unsigned map). */
    public static CodeSearch unsigned() {
        return new CodeSearch(DynamicMap.unsigned8bit(), false);
    }

    /** A search in any ascending 256-value map. */
    public static CodeSearch of(float[] map, boolean keepSign) {
        return new CodeSearch(map, keepSign);
    }

    /** The map value of a code. */
    public float value(int code) {
        return map[code];
    }

    private int climb(int lo, float x) {
        while (lo < LAST && map[lo + 1] <= x) lo++;
        return lo;
    }

    /** The code of {@code x}. */
    public int code(float x) {
        int lo = climb(start[Float.floatToRawIntBits(x) >>> 16], x);
        int c = lo == LAST || x <= map[lo] ? lo : x - map[lo] <= map[lo + 1] - x ? lo : lo + 1;
        if (keepSign && (Float.floatToRawIntBits(map[c]) ^ Float.floatToRawIntBits(x)) < 0) c += x > 0f ? 1 : -1;
        return c;
    }

    /** {@code out[i] = code(values[i] / divisor)} for {@code i < n}, the quotient rounded as float division rounds it. */
    public void codes(float[] values, int n, float divisor, byte[] out) {
        int i = 0;
        if (Simd.enabled()) {
            int lanes = F.length();
            int[] index = new int[lanes];
            int[] result = new int[lanes];
            for (; i + lanes <= n; i += lanes) {
                FloatVector x = FloatVector.fromArray(F, values, i).div(divisor);
                if (!x.test(VectorOperators.IS_FINITE).allTrue()) {
                    for (int j = 0; j < lanes; j++) out[i + j] = (byte) code(values[i + j] / divisor);
                    continue;
                }
                IntVector bits = (IntVector) x.reinterpretAsInts();
                bits.lanewise(VectorOperators.LSHR, 16).intoArray(index, 0);
                IntVector lo = IntVector.fromArray(I, start, 0, index, 0);
                for (int p = 0; p < probes; p++) {
                    IntVector next = lo.add(1).min(LAST);
                    next.intoArray(index, 0);
                    FloatVector above = FloatVector.fromArray(F, map, 0, index, 0);
                    VectorMask<Integer> up = lo.compare(VectorOperators.LT, LAST).and(above.compare(VectorOperators.LE, x).cast(I));
                    lo = lo.add(1, up);
                }
                lo.intoArray(index, 0);
                FloatVector low = FloatVector.fromArray(F, map, 0, index, 0);
                lo.add(1).min(LAST).intoArray(index, 0);
                FloatVector high = FloatVector.fromArray(F, map, 0, index, 0);
                VectorMask<Float> takeHigh = x.compare(VectorOperators.GT, low).and(x.sub(low).compare(VectorOperators.GT, high.sub(x)));
                VectorMask<Integer> hi = lo.compare(VectorOperators.LT, LAST).and(takeHigh.cast(I));
                IntVector c = lo.add(1, hi);
                if (keepSign) {
                    FloatVector chosen = low.blend(high, hi.cast(F));
                    IntVector signs = ((IntVector) chosen.reinterpretAsInts()).lanewise(VectorOperators.XOR, bits);
                    VectorMask<Integer> flipped = signs.compare(VectorOperators.LT, 0);
                    IntVector outwards = IntVector.broadcast(I, -1).blend(1, x.compare(VectorOperators.GT, 0f).cast(I));
                    c = c.add(outwards, flipped);
                }
                c.intoArray(result, 0);
                for (int j = 0; j < lanes; j++) out[i + j] = (byte) result[j];
            }
        }
        for (; i < n; i++) out[i] = (byte) code(values[i] / divisor);
    }
}
