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
 * Re-encodes the weight matrices of a GGUF model in one quantized type, as {@code llama-quantize --pure} does
 * (llama-quant.cpp): only tensors named "*weight" with two or more dimensions, never norms, the MoE router
 * ({@code ffn_gate_inp}) or position/token-type embeddings; token_embd and output get the same type as the rest
 * (for Q8_0 that is also what llama-quantize does without --pure; for other types it would raise output to Q6_K).
 * Blocks are ggml's reference quantizers (see {@code GgmlQuants}). One deliberate difference: a matrix whose row
 * length is not a multiple of the block size keeps its original type, where llama-quantize refuses Q8_0/Q4_0/Q4_1
 * ("Unsupported tensor size") and switches K-quants to a fallback type. Metadata is copied unchanged.
 */
public final class GgufQuantizer {
    private GgufQuantizer() {}

    public static void quantize(Path input, Path output, GgmlType type) {
        if (!GgmlQuants.canQuantize(type)) throw new JllmException("cannot quantize to " + type + " (no quantizer)");
        try (GgufFile src = GgufFile.open(input)) {
            GgufWriter w = new GgufWriter().copyAll(src);
            for (GgufTensor t : src.tensors()) {
                boolean matrix = t.shape().length >= 2 && quantizable(t.name());
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

    /** llama-quant.cpp's name rules for the tensors of the architectures we load. */
    static boolean quantizable(String name) {
        return name.endsWith("weight") && !name.contains("_norm.weight") && !name.contains("ffn_gate_inp.weight")
                && !name.equals("position_embd.weight") && !name.equals("token_types.weight");
    }
}
