package dev.jllm.train.quant;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.FrozenWeight;
import dev.jllm.train.nn.Parameter;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.function.Supplier;
import java.util.function.BiFunction;

/**
 * Models whose base is frozen for adapter training, loaded tensor by tensor from the memory-mapped checkpoint so the
 * model never exists in float32 as a whole: each projection goes straight from the file into its frozen form (4-bit
 * for QLoRA, quantized block by block; or its bf16 bits for LoRA on a bf16 base) and the file pages read are given
 * back at once. Embeddings, norms and the output head are float32, as bitsandbytes leaves them (for a 16-bit compute
 * dtype the embedding, head and hidden states are 16-bit: {@link #load4bit}). Every parameter comes
 * back frozen ({@code prepare_model_for_kbit_training}'s state; adapters attached afterwards train).
 */
public final class FrozenBases {
    private FrozenBases() {}

    /**
     * transformers' {@code from_pretrained(quantization_config=BitsAndBytesConfig(load_in_4bit=True, ...))} followed
     * by {@code prepare_model_for_kbit_training}: {@link QuantizedModels#load(Path, BitsAndBytesConfig)} quantizes each
     * projection straight from the mapped file.
     */
    public static CausalLm load4bit(Path folder, BitsAndBytesConfig bnb) {
        if (bnb.loadIn8bit()) throw new JllmException("streaming load: load_in_8bit is not a 4-bit configuration");
        CausalLm model = QuantizedModels.load(folder, bnb, halfOf(bnb.computeDtype())).model();
        QuantizedModels.prepareForKbitTraining(model);
        return model;
    }

    /**
     * The 16-bit dtype of the rest of the model for a compute dtype: with {@code bnb_4bit_compute_dtype=bfloat16} the
     * model runs in bf16 around its 4-bit projections ({@code torch_dtype=bfloat16}: embedding, head and hidden states
     * bf16, as the course and Unsloth load it, and as TRL's {@code peft_module_casting_to_bf16} keeps embedding and
     * head); float16 likewise; float32 compute keeps them float32 (null).
     */
    static DType halfOf(ComputeDtype compute) {
        return switch (compute) {
            case FLOAT32_EXACT -> null;
            case BFLOAT16 -> DType.BF16;
            case FLOAT16 -> DType.F16;
        };
    }

    /** Every projection kept as the bf16 matrix the checkpoint stores (refused for another dtype: no silent rounding). */
    public static CausalLm loadBf16(Path folder) {
        return loadBf16(folder, false);
    }

    /**
     * {@link #loadBf16(Path)}; with {@code wholeModel} the embedding, output head and hidden states between blocks are
     * bf16 too (frozen), the whole model as {@code torch_dtype=bfloat16} holds it: the LoRA counterpart of a QLoRA
     * model with a bf16 compute dtype.
     */
    public static CausalLm loadBf16(Path folder, boolean wholeModel) {
        return load(folder, (module, t) -> HalfLinear.of(t), wholeModel ? DType.BF16 : null);
    }

    /** @param frozen the frozen form of a projection (module name, tensor), or null to keep it float32 */
    private static CausalLm load(Path folder, BiFunction<String, SafeTensor, FrozenWeight> frozen, DType half) {
        ModelConfig config = ModelConfig.fromJson(folder);
        var weights = new LinkedHashMap<String, float[]>();
        var frozenLinears = new LinkedHashMap<String, FrozenWeight>();
        DiskEmbedding onDisk = null;
        try (Checkpoint ckpt = Checkpoint.open(folder)) {
            for (var e : CausalLm.expectedShapes(config).entrySet()) {
                String name = e.getKey();
                SafeTensor t = QuantizedModels.checkedTensor(ckpt, folder, name, e.getValue());
                String module = name.substring(0, name.length() - ".weight".length());
                if (half != null && name.equals("model.embed_tokens.weight") && !config.tieWordEmbeddings()) {
                    onDisk = DiskEmbedding.of(ckpt, name, half);
                    continue;
                }
                FrozenWeight f = name.endsWith("_proj.weight") ? frozen.apply(module, t)
                        : half != null && (name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight")) ? HalfLinear.of(t, half) : null;
                if (f != null) frozenLinears.put(name, f);
                else weights.put(name, t.toFloatArray());
                // a mapped tensor's pages would otherwise stay in this process's resident set until the file closes
                if (t.data().isMapped()) t.data().unload();
            }
        }
        // the frozen tensors hold no float32 values: their parameters compute them only if asked (a dense save)
        var deferred = new HashMap<String, Supplier<float[]>>();
        frozenLinears.forEach((name, f) -> deferred.put(name, f::dequantized));
        if (onDisk != null) deferred.put("model.embed_tokens.weight", onDisk::dequantized);
        CausalLm model = CausalLm.of(config, weights, deferred);
        for (var e : model.linearsByName().entrySet()) {
            FrozenWeight f = frozenLinears.get(e.getKey() + ".weight");
            if (f != null) e.getValue().freezeAs(f);
        }
        for (Parameter p : model.parameters()) p.setTrainable(false);
        if (half != null) {
            QuantizedModels.freezeSixteenBitRest(model, onDisk, (HalfLinear) frozenLinears.get("model.embed_tokens.weight"),
                    frozenLinears.get("lm_head.weight"), half);
        }
        return model;
    }
}
