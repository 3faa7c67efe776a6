package dev.jllm.model.convert;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.gguf.GgufFile;
import dev.jllm.core.gguf.GgufTensor;
import dev.jllm.core.gguf.GgufWriter;
import dev.jllm.core.quant.GgmlQuants;
import dev.jllm.model.load.GgufStore;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Re-encodes the 2-D weights of a GGUF model in a quantized type, as llama.cpp's quantizer does: 1-D tensors
 * (norms, biases, rope_freqs) stay as they are, and a matrix whose row length is not a multiple of the type's
 * block size keeps its original type. Metadata is copied unchanged.
 */
public final class GgufQuantizer {
    private GgufQuantizer() {}

    public static void quantize(Path input, Path output, GgmlType type) {
        if (!GgmlQuants.canQuantize(type)) throw new JllmException("cannot quantize to " + type + " (no quantizer)");
        try (GgufFile src = GgufFile.open(input)) {
            GgufWriter w = new GgufWriter().copyAll(src);
            for (GgufTensor t : src.tensors()) {
                boolean matrix = t.shape().length >= 2;
                boolean fits = t.shape()[0] % type.blockSize() == 0;
                boolean floatSource = t.type() == GgmlType.F32 || t.type() == GgmlType.F16 || t.type() == GgmlType.BF16;
                if (!matrix || !fits || !floatSource) {
                    w.addTensor(t.name(), t.type(), t.shape(), t.data());
                    continue;
                }
                float[] values = GgufStore.readFloats(t);
                MemorySegment q = GgmlQuants.quantize(type, values);
                w.addTensor(t.name(), type, t.shape(), q);
            }
            w.write(output);
        }
    }
}
