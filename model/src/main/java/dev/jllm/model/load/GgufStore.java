package dev.jllm.model.load;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgufFile;
import dev.jllm.core.gguf.GgufTensor;
import dev.jllm.core.memory.ModelMemory;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Weights of a GGUF file by Hugging Face name. Quantized tensors are used in place. For the Llama family the
 * q/k rows are moved back from llama.cpp's adjacent-pair RoPE layout to rotate-half at load time (a copy of just
 * those two matrices), so the forward pass and its results are identical for both formats.
 */
public final class GgufStore implements TensorStore {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final GgufFile file;
    private final boolean permuteQk;
    private final int heads;
    private final int kvHeads;
    private final Arena arena = Arena.ofShared();
    /** Huge-page region holding the permuted q/k copies, and how much of it is handed out. */
    private MemorySegment copies;
    private long copiesUsed;

    /**
     * @param permuteQk whether q/k rows are in llama.cpp's adjacent-pair order (GGUF architecture "llama")
     */
    public GgufStore(GgufFile file, boolean permuteQk, int heads, int kvHeads) {
        this.file = file;
        this.permuteQk = permuteQk;
        this.heads = heads;
        this.kvHeads = kvHeads;
    }

    public GgufFile file() {
        return file;
    }

    @Override
    public String source() {
        return file.path().toString();
    }

    @Override
    public boolean has(String name) {
        return TensorNames.toGguf(name).map(g -> file.hasTensor(g.name())).orElse(false);
    }

    private TensorNames.GgufName ggufName(String name) {
        return TensorNames.toGguf(name).orElseThrow(() -> new JllmException(source()
                + ": no GGUF tensor corresponds to '" + name + "'"));
    }

    private GgufTensor tensor(TensorNames.GgufName g, String hfName) {
        if (!file.hasTensor(g.name())) {
            throw new JllmException(source() + ": tensor '" + g.name() + "' (" + hfName + ") is missing");
        }
        return file.tensor(g.name());
    }

    @Override
    public WeightMatrix matrix(String name, int rows, int cols) {
        TensorNames.GgufName g = ggufName(name);
        GgufTensor t = tensor(g, name);
        MemorySegment data;
        if (g.expert() >= 0) {
            if (t.shape().length != 3 || t.shape()[0] != cols || t.shape()[1] != rows || g.expert() >= t.shape()[2]) {
                throw new JllmException(source() + ": tensor '" + g.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", expected [" + cols + ", " + rows + ", experts > " + g.expert() + "] (GGUF order)");
            }
            long bytes = t.type().byteSize((long) rows * cols);
            data = t.data().asSlice(bytes * g.expert(), bytes);
        } else {
            checkShape(t, cols, rows);
            data = t.data();
        }
        if (permuteQk && isQk(g.name())) {
            int h = g.name().endsWith("attn_q.weight") ? heads : kvHeads;
            data = permuteRows(data, t.type().byteSize(cols), rows, h);
        }
        try {
            return WeightMatrix.of(t.type(), data, rows, cols);
        } catch (JllmException e) {
            throw new JllmException(source() + ": tensor '" + g.name() + "': " + e.getMessage(), e);
        }
    }

    private void checkShape(GgufTensor t, long... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new JllmException(source() + ": tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape) + " (GGUF order, columns first)");
        }
    }

    private static boolean isQk(String ggufName) {
        return ggufName.endsWith("attn_q.weight") || ggufName.endsWith("attn_k.weight");
    }

    private MemorySegment permuteRows(MemorySegment src, long rowBytes, int rows, int h) {
        int[] from = RopePermutation.hfFromGguf(rows, h);
        MemorySegment out = copySpace(rowBytes * rows);
        for (int r = 0; r < rows; r++) MemorySegment.copy(src, from[r] * rowBytes, out, r * rowBytes, rowBytes);
        return out.asReadOnly();
    }

    /**
     * Room for one permuted q/k copy. Decode streams these copies every token like the rest of the weights, and
     * one {@code arena.allocate} per tensor had given them ordinary 4 KiB pages: on this project's KVM machine the
     * sixteen q matrices of a 1B Q8_0 model (71 MB) then took 24 to 46 ms per token, against 4 to 6 ms for the
     * same bytes in 2 MiB pages. All copies therefore share one huge-page region ({@link ModelMemory#allocateHuge}),
     * sized on the first call from the file's q/k tensors.
     */
    private synchronized MemorySegment copySpace(long bytes) {
        long padded = (bytes + 63) & ~63L;
        if (copies == null) {
            long total = 0;
            for (GgufTensor t : file.tensors()) if (isQk(t.name())) total += (t.data().byteSize() + 63) & ~63L;
            copies = ModelMemory.allocateHuge(Math.max(total, padded), arena);
        }
        if (copiesUsed + padded > copies.byteSize()) return ModelMemory.allocateHuge(bytes, arena); // a tensor read twice
        MemorySegment out = copies.asSlice(copiesUsed, bytes);
        copiesUsed += padded;
        return out;
    }

    @Override
    public float[] vector(String name, int length) {
        TensorNames.GgufName g = ggufName(name);
        GgufTensor t = tensor(g, name);
        checkShape(t, length);
        float[] v = readFloats(t);
        if (permuteQk && (g.name().endsWith("attn_q.bias") || g.name().endsWith("attn_k.bias"))) {
            int[] from = RopePermutation.hfFromGguf(length, g.name().endsWith("attn_q.bias") ? heads : kvHeads);
            float[] p = new float[length];
            for (int i = 0; i < length; i++) p[i] = v[from[i]];
            v = p;
        }
        return v;
    }

    /** The values of an F32, F16 or BF16 tensor. */
    public static float[] readFloats(GgufTensor t) {
        int n = Math.toIntExact(t.elementCount());
        float[] out = new float[n];
        MemorySegment d = t.data();
        switch (t.type()) {
            case F32 -> MemorySegment.copy(d, F32, 0, out, 0, n);
            case F16 -> { for (int i = 0; i < n; i++) out[i] = DType.f16ToFloat(d.get(I16, 2L * i)); }
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = DType.bf16ToFloat(d.get(I16, 2L * i)); }
            default -> throw new JllmException("tensor '" + t.name() + "' has type " + t.type()
                    + "; 1-D tensors must be F32, F16 or BF16");
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
        file.close();
    }
}
