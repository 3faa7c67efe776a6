package dev.jllm.cli;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.core.quant.bnb.QuantType;
import dev.jllm.model.convert.GgufQuantizer;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.quant.BitsAndBytesConfig;
import dev.jllm.train.quant.QuantizedModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code jllm quantize}: a GGUF model's matrices re-encoded in a GGML type ({@code --input}), or a Hugging Face
 * folder's linear layers in bitsandbytes 4-bit ({@code --model}, a {@code *-bnb-4bit} folder).
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"GGUF (--input FILE.gguf --type Q4_K --output FILE.gguf): quantize the F32/F16/BF16 matrices of a GGUF "
                + "model (norms and rows that do not fill whole blocks keep their type, as llama.cpp's quantizer leaves them); "
                + "metadata is copied.",
                "bitsandbytes (--model DIR --quant-type nf4|fp4|int8 [--double-quant] --output DIR): quantize every linear layer of a "
                        + "Hugging Face folder (not the embeddings, norms or output head) to 4 bits in blocks of 64, or to int8 "
                        + "row-wise (LLM.int8), and write bitsandbytes' safetensors layout with a quantization_config, as "
                        + "transformers saves a model loaded with load_in_4bit / load_in_8bit."})
public final class QuantizeCommand implements Callable<Integer> {
    /** Types the quantizer writes and the kernels run. */
    private static final Set<GgmlType> TYPES = Set.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q4_K,
            GgmlType.Q5_K, GgmlType.Q6_K);

    @Spec
    CommandSpec spec;

    @Option(names = "--input", description = "GGUF mode: the .gguf model to read.")
    Path input;

    @Option(names = "--type", description = "GGUF mode: target type Q8_0, Q4_0, Q4_1, Q4_K, Q5_K or Q6_K.")
    String type;

    @Option(names = "--model", description = "bitsandbytes mode: full-precision Hugging Face model folder.")
    Path model;

    @Option(names = "--quant-type", description = "bitsandbytes mode: nf4 (default), fp4, or int8 (LLM.int8, load_in_8bit).")
    String quantType;

    @Option(names = "--llm-int8-threshold", description = "bitsandbytes int8 mode: llm_int8_threshold recorded in the config (default 6.0; 0 = no outlier decomposition).")
    Double llmInt8Threshold;

    @Option(names = "--double-quant", description = "bitsandbytes mode: quantize the per-block absmax values again (8-bit, blocks of 256).")
    boolean doubleQuant;

    @Option(names = "--compute-dtype", description = "bitsandbytes mode: bnb_4bit_compute_dtype recorded in the config: float32 (default), bfloat16, float16.")
    String computeDtype;

    @Option(names = "--output", required = true, description = "The .gguf file (GGUF mode) or folder (bitsandbytes mode) to write.")
    Path output;

    @Override
    public Integer call() {
        if ((input == null) == (model == null)) throw new JllmException("give either --input FILE.gguf (GGUF) or --model DIR (bitsandbytes 4-bit)");
        if (input != null) {
            if (quantType != null || doubleQuant || computeDtype != null || llmInt8Threshold != null) throw new JllmException("--quant-type, --double-quant and --compute-dtype apply to --model (bitsandbytes), not to GGUF input");
            if (type == null) throw new JllmException("GGUF mode needs --type (Q8_0, Q4_0, Q4_1, Q4_K, Q5_K or Q6_K)");
            return gguf();
        }
        if (type != null) throw new JllmException("--type applies to GGUF input; use --quant-type nf4|fp4|int8 with --model");
        return bitsandbytes();
    }

    private int gguf() {
        GgmlType t;
        try {
            t = GgmlType.valueOf(type.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            t = null;
        }
        if (t == null || !TYPES.contains(t)) {
            throw new JllmException("--type " + type + " is not one of Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K");
        }
        GgufQuantizer.quantize(input, output, t);
        spec.commandLine().getOut().println("wrote " + output);
        return 0;
    }

    private int bitsandbytes() {
        QuantizedModels.Loaded loaded = QuantizedModels.load(model);
        if (loaded.quantization() != null) throw new JllmException(model + ": the model is already quantized (" + loaded.quantization().describe() + ")");
        CausalLm lm = loaded.model();
        boolean int8 = quantType != null && quantType.trim().equalsIgnoreCase("int8");
        BitsAndBytesConfig config;
        if (int8) {
            if (doubleQuant || computeDtype != null) throw new JllmException("--double-quant and --compute-dtype are 4-bit settings; int8 takes --llm-int8-threshold");
            config = BitsAndBytesConfig.int8(llmInt8Threshold == null ? BitsAndBytesConfig.DEFAULT_INT8_THRESHOLD : llmInt8Threshold, null);
        } else {
            if (llmInt8Threshold != null) throw new JllmException("--llm-int8-threshold applies to --quant-type int8");
            config = new BitsAndBytesConfig(QuantType.parse(quantType == null ? "nf4" : quantType),
                    ComputeDtype.parse(computeDtype == null ? "float32" : computeDtype), doubleQuant, null);
        }
        int n = QuantizedModels.quantize(lm, config);
        QuantizedModels.save(lm, config, model, output);
        long before = size(model.resolve("model.safetensors")), after = size(output.resolve("model.safetensors"));
        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "quantized %d linear layers to %s%s; model.safetensors %,d -> %,d bytes; wrote %s%n", n,
                config.describe(), doubleQuant ? " with double quantization" : "", before, after, output);
        out.flush();
        return 0;
    }

    private static long size(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.size(p) : -1;
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
