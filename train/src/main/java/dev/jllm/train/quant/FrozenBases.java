package dev.jllm.train.quant;

import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.FrozenWeight;
import dev.jllm.train.nn.Parameter;

import java.nio.file.Path;
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
        CausalLm model = QuantizedModels.build(folder, ModelConfig.fromJson(folder), half, (ckpt, name, shape) -> null,
                (module, t) -> {
                    FrozenWeight f = frozen.apply(module, t);
                    return f == null ? null : new QuantizedModels.Frozen(f, f::dequantized);
                });
        for (Parameter p : model.parameters()) p.setTrainable(false);
        return model;
    }
}
