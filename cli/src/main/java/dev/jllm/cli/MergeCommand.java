package dev.jllm.cli;

import dev.jllm.train.lora.LoraConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jllm merge}: PEFT's {@code merge_and_unload} into a standalone float32 Hugging Face folder. */
@Command(name = "merge",
        description = "Merge a PEFT LoRA adapter into its base model (W += scaling * B A, PEFT's merge_and_unload) and write a "
                + "standalone float32 Hugging Face folder. A 4-bit base is dequantized first, so the result is full precision.")
public final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Base model folder (full precision or bitsandbytes 4-bit).")
    Path model;
    @Option(names = "--adapter", required = true, description = "PEFT adapter folder (adapter_config.json + adapter_model.safetensors).")
    Path adapter;
    @Option(names = "--output", required = true, description = "Folder to write.")
    Path output;

    @Override
    public Integer call() throws IOException {
        LoraConfig config = LoraConfig.read(adapter);
        AdapterMerge.write(model, adapter, output);
        var out = spec.commandLine().getOut();
        out.println("merged adapter " + adapter + " (r=" + config.r() + ", scaling " + config.scaling() + ") into " + model + "; wrote " + output);
        out.flush();
        return 0;
    }
}
