package dev.jllm.cli;

import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.core.quant.bnb.QuantType;
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
import java.util.concurrent.Callable;

/** {@code jllm quantize}: a Hugging Face folder to a bitsandbytes 4-bit ({@code *-bnb-4bit}) folder. */
@Command(name = "quantize",
        description = "Quantize every linear layer of a Hugging Face model folder (not the embeddings, norms or output head) "
                + "to bitsandbytes 4-bit NF4 or FP4, blocks of 64, and write it in bitsandbytes' safetensors layout with a "
                + "quantization_config, as transformers saves a model loaded with load_in_4bit.")
public final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Full-precision Hugging Face model folder.")
    Path model;
    @Option(names = "--quant-type", defaultValue = "nf4", description = "nf4 or fp4.")
    String quantType;
    @Option(names = "--double-quant", description = "Quantize the per-block absmax values again (8-bit, blocks of 256).")
    boolean doubleQuant;
    @Option(names = "--compute-dtype", defaultValue = "float32", description = "bnb_4bit_compute_dtype recorded in the config: float32, bfloat16, float16.")
    String computeDtype;
    @Option(names = "--output", required = true, description = "Folder to write.")
    Path output;

    @Override
    public Integer call() {
        QuantizedModels.Loaded loaded = QuantizedModels.load(model);
        if (loaded.quantization() != null) throw new JllmException(model + ": the model is already quantized (" + loaded.quantization().quantType().bnbName() + ")");
        CausalLm lm = loaded.model();
        var config = new BitsAndBytesConfig(QuantType.parse(quantType), ComputeDtype.parse(computeDtype), doubleQuant, null);
        int n = QuantizedModels.quantize(lm, config);
        QuantizedModels.save(lm, config, model, output);
        long before = size(model.resolve("model.safetensors")), after = size(output.resolve("model.safetensors"));
        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "quantized %d linear layers to %s%s; model.safetensors %,d -> %,d bytes; wrote %s%n", n,
                config.quantType().bnbName(), doubleQuant ? " with double quantization" : "", before, after, output);
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
