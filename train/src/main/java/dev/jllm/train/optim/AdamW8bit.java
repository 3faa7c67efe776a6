package dev.jllm.train.optim;

import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.CodeSearch;
import dev.jllm.core.quant.bnb.DynamicMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * bitsandbytes' {@code AdamW8bit} / {@code PagedAdamW8bit} (block-wise, the defaults): each moment of a parameter
 * with at least {@link #MIN_8BIT_SIZE} elements is stored as one byte per element, an index into the dynamic map
 * (signed for the first moment, unsigned for the second), scaled per block of {@link #BLOCK_SIZE} by the block's
 * absolute maximum. A step dequantizes a block, updates the moments and the parameter in float32 as the blockwise
 * kernel does (Adam step, then decoupled decay; an element with a non-finite gradient has its state reset and its
 * weight kept), then requantizes against the block's new absmax, keeping each first moment's sign. Smaller parameters keep full-precision state and take
 * exactly {@link AdamW}'s update, as bitsandbytes falls back to its 32-bit kernel below {@code min_8bit_size}.
 *
 * <p>The paged variant keeps the 8-bit state in memory-mapped files: on the CPU the OS pages it to disk under memory
 * pressure, the counterpart of bitsandbytes' unified memory that moves state between GPU and host.
 */
public final class AdamW8bit implements Optimizer {
    public static final int BLOCK_SIZE = 256;
    /** bitsandbytes' {@code min_8bit_size}: smaller tensors keep 32-bit state. */
    public static final int MIN_8BIT_SIZE = 4096;

    private static final float[] SIGNED = DynamicMap.signed8bit();
    private static final float[] UNSIGNED = DynamicMap.unsigned8bit();
    /** First moments requantize to the nearest signed code keeping their sign, second moments to the nearest unsigned one. */
    private static final CodeSearch SIGNED_CODES = CodeSearch.signed();
    private static final CodeSearch UNSIGNED_CODES = CodeSearch.unsigned();
    private static final CodeSearch SIGNED_NEAREST = CodeSearch.of(SIGNED, false);
    private static final byte SIGNED_ZERO = (byte) nearest(SIGNED, 0f);
    private static final byte UNSIGNED_ZERO = (byte) nearest(UNSIGNED, 0f);

    private final List<ParamGroup> quantized = new ArrayList<>();
    private final List<QuantState> states = new ArrayList<>();
    private final AdamW fullPrecision;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final boolean paged;
    private long t;

    /**
     * @param pageDirectory where the paged variant creates its state files (unlinked at once, so they vanish with
     *                      the process); {@code null} keeps the state on the Java heap
     */
    private AdamW8bit(List<ParamGroup> groups, double beta1, double beta2, double eps, Path pageDirectory) {
        var small = new ArrayList<ParamGroup>();
        for (ParamGroup g : groups) {
            if (g.parameter().size() < MIN_8BIT_SIZE) small.add(g);
            else quantized.add(g);
        }
        this.fullPrecision = new AdamW(small, beta1, beta2, eps);
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.eps = (float) eps;
        this.paged = pageDirectory != null;
        Arena arena = Arena.ofAuto();
        for (ParamGroup g : quantized) states.add(QuantState.allocate(g.parameter().size(), pageDirectory, arena));
    }

    /** {@code adamw_8bit}: state on the heap. */
    public static AdamW8bit inMemory(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        return new AdamW8bit(groups, beta1, beta2, eps, null);
    }

    /** {@code paged_adamw_8bit}: state in memory-mapped files under {@code directory}. */
    public static AdamW8bit paged(List<ParamGroup> groups, double beta1, double beta2, double eps, Path directory) {
        return new AdamW8bit(groups, beta1, beta2, eps, directory);
    }

    /** {@code paged_adamw_8bit} with its files in the system temporary directory. */
    public static AdamW8bit paged(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        return paged(groups, beta1, beta2, eps, Path.of(System.getProperty("java.io.tmpdir")));
    }

    public boolean isPaged() {
        return paged;
    }

    /** Parameters whose state is stored in 8 bits (the rest, below {@link #MIN_8BIT_SIZE}, keep full precision). */
    public int quantizedParameters() {
        return quantized.size();
    }

    @Override
    public void step(double lr) {
        t++;
        fullPrecision.step(lr);
        float correction1 = 1f - (float) Math.pow(beta1, t);
        float correction2 = (float) Math.sqrt(1 - Math.pow(beta2, t));
        float stepSize = (float) (-lr * correction2 / correction1);
        // blocks are independent, so every block of every 8-bit parameter is one unit of parallel work
        int[] firstBlock = new int[states.size() + 1];
        for (int i = 0; i < states.size(); i++) firstBlock[i + 1] = firstBlock[i] + states.get(i).blocks();
        Parallel.forChunks(firstBlock[states.size()], 64, (w, b0, b1) -> {
            int gi = 0;
            for (int b = b0; b < b1; b++) {
                while (firstBlock[gi + 1] <= b) gi++;
                updateBlock(gi, b - firstBlock[gi], lr, stepSize, correction2);
            }
        });
    }

    private void updateBlock(int gi, int block, double lr, float stepSize, float correction2) {
        ParamGroup group = quantized.get(gi);
        QuantState st = states.get(gi);
        float[] p = group.parameter().value();
        float[] g = group.parameter().grad();
        int from = block * BLOCK_SIZE, to = Math.min(p.length, from + BLOCK_SIZE);
        int len = to - from;
        float[] s1 = new float[len], s2 = new float[len];
        // one bulk copy each way instead of a bounds-checked segment access per element
        byte[] c1 = new byte[len], c2 = new byte[len];
        MemorySegment.copy(st.segment(), ValueLayout.JAVA_BYTE, from, c1, 0, len);
        MemorySegment.copy(st.segment(), ValueLayout.JAVA_BYTE, (long) st.size() + from, c2, 0, len);
        float absmax1 = st.absmax1(block), absmax2 = st.absmax2(block);
        float max1 = 0f, max2 = 0f;
        double decay = 1 - lr * group.weightDecay();
        for (int i = from; i < to; i++) {
            int k = i - from;
            float m = SIGNED[c1[k] & 0xff] * absmax1;
            float v = UNSIGNED[c2[k] & 0xff] * absmax2;
            float gr = (float) g[i];
            boolean finite = Float.isFinite(gr);
            if (finite) {
                m = m * beta1 + (1f - beta1) * gr;
                v = v * beta2 + (1f - beta2) * gr * gr;
            } else {
                // the kernel resets the state of an element whose gradient overflowed and leaves its weight alone
                m = 0f;
                v = 0f;
            }
            s1[k] = m;
            s2[k] = v;
            max1 = Math.max(max1, Math.abs(m));
            max2 = Math.max(max2, Math.abs(v));
            if (finite) {
                p[i] += stepSize * (m / ((float) Math.sqrt(v) + eps * correction2));
                // unlike torch's AdamW, the blockwise kernel decays after the Adam step
                if (group.weightDecay() > 0) p[i] *= decay;
            }
        }
        st.setAbsmax1(block, max1);
        st.setAbsmax2(block, max2);
        // the search runs 16 values at a time (vector gathers): the requantization was most of the step's time
        if (max1 == 0f) java.util.Arrays.fill(c1, SIGNED_ZERO);
        else SIGNED_CODES.codes(s1, len, max1, c1);
        if (max2 == 0f) java.util.Arrays.fill(c2, UNSIGNED_ZERO);
        else UNSIGNED_CODES.codes(s2, len, max2, c2);
        MemorySegment.copy(c1, 0, st.segment(), ValueLayout.JAVA_BYTE, from, len);
        MemorySegment.copy(c2, 0, st.segment(), ValueLayout.JAVA_BYTE, (long) st.size() + from, len);
    }

    /**
     * The nearest signed code, moved one step outwards when rounding flipped the sign: a tiny negative moment
     * would otherwise come back as +0, and bitsandbytes keeps every first moment's sign.
     */
    static int signedCode(float x) {
        return SIGNED_CODES.code(x);
    }

    /** Index of the map value nearest {@code x} (the lower one on a tie). */
    static int nearest(float[] map, float x) {
        if (map == SIGNED || java.util.Arrays.equals(map, SIGNED)) return SIGNED_NEAREST.code(x);
        if (map == UNSIGNED || java.util.Arrays.equals(map, UNSIGNED)) return UNSIGNED_CODES.code(x);
        throw new IllegalArgumentException("not one of the optimizer's maps");
    }

    /** Block-wise 8-bit quantization of {@code values} with {@code map} (tests and the state round trip). */
    static Quantized quantize(float[] values, boolean signed) {
        float[] map = signed ? SIGNED : UNSIGNED;
        int blocks = (values.length + BLOCK_SIZE - 1) / BLOCK_SIZE;
        byte[] codes = new byte[values.length];
        float[] absmax = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * BLOCK_SIZE, to = Math.min(values.length, from + BLOCK_SIZE);
            float max = 0f;
            for (int i = from; i < to; i++) max = Math.max(max, Math.abs(values[i]));
            absmax[b] = max;
            for (int i = from; i < to; i++) {
                float x = max == 0f ? 0f : values[i] / max;
                codes[i] = (byte) (signed ? signedCode(x) : nearest(map, x));
            }
        }
        return new Quantized(codes, absmax, signed);
    }

    /** Codes and per-block absmax of a quantized tensor. */
    record Quantized(byte[] codes, float[] absmax, boolean signed) {
        float[] dequantize() {
            float[] map = signed ? SIGNED : UNSIGNED;
            float[] out = new float[codes.length];
            for (int i = 0; i < out.length; i++) out[i] = map[codes[i] & 0xff] * absmax[i / BLOCK_SIZE];
            return out;
        }
    }

    /** The dequantized first and second moment of the i-th 8-bit parameter (for tests). */
    float[][] moments(int i) {
        QuantState st = states.get(i);
        int n = st.size();
        float[] m = new float[n], v = new float[n];
        for (int k = 0; k < n; k++) {
            m[k] = SIGNED[st.code1(k) & 0xff] * st.absmax1(k / BLOCK_SIZE);
            v[k] = UNSIGNED[st.code2(k) & 0xff] * st.absmax2(k / BLOCK_SIZE);
        }
        return new float[][]{m, v};
    }

    @Override
    public long steps() {
        return t;
    }

    /**
     * The full-precision moments under AdamW's names, and for each 8-bit parameter bitsandbytes' names
     * {@code state1}, {@code absmax1}, {@code state2}, {@code absmax2}: copies, codes and float32 scales as floats,
     * which a float32 checkpoint holds exactly (codes below 256, scales already float32).
     */
    @Override
    public Map<String, float[]> state() {
        var out = new LinkedHashMap<>(fullPrecision.state());
        for (int gi = 0; gi < quantized.size(); gi++) {
            String name = quantized.get(gi).parameter().name();
            QuantState st = states.get(gi);
            float[] c1 = new float[st.size()], c2 = new float[st.size()];
            float[] a1 = new float[st.blocks()], a2 = new float[st.blocks()];
            for (int i = 0; i < c1.length; i++) {
                c1[i] = st.code1(i) & 0xff;
                c2[i] = st.code2(i) & 0xff;
            }
            for (int b = 0; b < a1.length; b++) {
                a1[b] = st.absmax1(b);
                a2[b] = st.absmax2(b);
            }
            out.put("state1/" + name, c1);
            out.put("absmax1/" + name, a1);
            out.put("state2/" + name, c2);
            out.put("absmax2/" + name, a2);
        }
        return out;
    }

    @Override
    public void restore(Map<String, float[]> state, long steps) {
        fullPrecision.restore(state, steps);
        for (int gi = 0; gi < quantized.size(); gi++) {
            String name = quantized.get(gi).parameter().name();
            QuantState st = states.get(gi);
            float[] c1 = new float[st.size()], c2 = new float[st.size()];
            float[] a1 = new float[st.blocks()], a2 = new float[st.blocks()];
            Optimizer.copyInto(state, "state1/" + name, c1);
            Optimizer.copyInto(state, "state2/" + name, c2);
            Optimizer.copyInto(state, "absmax1/" + name, a1);
            Optimizer.copyInto(state, "absmax2/" + name, a2);
            for (int i = 0; i < c1.length; i++) {
                st.setCode1(i, code(c1[i], "state1/" + name, i));
                st.setCode2(i, code(c2[i], "state2/" + name, i));
            }
            for (int b = 0; b < a1.length; b++) {
                st.setAbsmax1(b, scale(a1[b], "absmax1/" + name, b));
                st.setAbsmax2(b, scale(a2[b], "absmax2/" + name, b));
            }
        }
        this.t = steps;
    }

    private static byte code(double value, String key, int index) {
        if (!(value >= 0 && value <= 255 && value == Math.rint(value))) {
            throw new JllmException("optimizer state '" + key + "'[" + index + "] is " + value + ", expected an 8-bit code 0..255");
        }
        return (byte) (int) value;
    }

    private static float scale(double value, String key, int index) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new JllmException("optimizer state '" + key + "'[" + index + "] is " + value + ", expected a finite absmax >= 0");
        }
        return (float) value;
    }

    /**
     * One parameter's 8-bit state in a single segment: both code arrays, then both absmax arrays. Either a heap array
     * or a shared mapping of a file that has been unlinked, so the OS can write it back and drop it from memory.
     */
    private record QuantState(MemorySegment segment, int size, int blocks) {
        static QuantState allocate(int size, Path pageDirectory, Arena arena) {
            int blocks = (size + BLOCK_SIZE - 1) / BLOCK_SIZE;
            long bytes = 2L * size + 8L * blocks;
            MemorySegment segment;
            if (pageDirectory == null) {
                segment = MemorySegment.ofArray(new byte[Math.toIntExact(bytes)]);
            } else {
                segment = PagedMemory.allocate(bytes, pageDirectory, "jllm-paged-adamw8bit-", arena);
            }
            // codes start at index 0 of both maps, which is not zero: set every code to the map's zero
            for (long i = 0; i < size; i++) {
                segment.set(ValueLayout.JAVA_BYTE, i, SIGNED_ZERO);
                segment.set(ValueLayout.JAVA_BYTE, size + i, UNSIGNED_ZERO);
            }
            return new QuantState(segment, size, blocks);
        }

        byte code1(int i) {
            return segment.get(ValueLayout.JAVA_BYTE, i);
        }

        byte code2(int i) {
            return segment.get(ValueLayout.JAVA_BYTE, (long) size + i);
        }

        void setCode1(int i, byte c) {
            segment.set(ValueLayout.JAVA_BYTE, i, c);
        }

        void setCode2(int i, byte c) {
            segment.set(ValueLayout.JAVA_BYTE, (long) size + i, c);
        }

        float absmax1(int b) {
            return segment.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 2L * size + 4L * b);
        }

        float absmax2(int b) {
            return segment.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 2L * size + 4L * blocks + 4L * b);
        }

        void setAbsmax1(int b, float x) {
            segment.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 2L * size + 4L * b, x);
        }

        void setAbsmax2(int b, float x) {
            segment.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 2L * size + 4L * blocks + 4L * b, x);
        }
    }
}
