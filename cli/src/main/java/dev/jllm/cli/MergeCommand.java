package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.model.HfFolderWriter;
import dev.jllm.train.quant.QuantizedModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;

/** {@code jllm merge}: PEFT's {@code merge_and_unload} into a standalone float32 Hugging Face folder. */
@Command(name = "merge",
        description = "Merge a PEFT LoRA adapter into its base model (W += scaling * B A, PEFT's merge_and_unload) and write a "
                + "standalone float32 Hugging Face folder. A 4-bit base is dequantized first, so the result is full precision.")
public final class MergeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

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
        QuantizedModels.Loaded loaded = QuantizedModels.load(model);
        LoraConfig config = LoraAdapters.attach(loaded.model(), adapter);
        LoraAdapters.merge(loaded.model());
        HfFolderWriter.save(loaded.model(), model, output);
        if (loaded.quantization() != null) {
            // the merged weights are float32 now, so the folder must not claim bitsandbytes storage
            Path cfg = output.resolve("config.json");
            if (!Files.isRegularFile(cfg)) throw new JllmException(output + ": no config.json was written");
            ObjectNode root = (ObjectNode) JSON.readTree(Files.readString(cfg));
            root.remove("quantization_config");
            Path tmp = output.resolve("config.json.tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            Files.move(tmp, cfg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        var out = spec.commandLine().getOut();
        out.println("merged adapter " + adapter + " (r=" + config.r() + ", scaling " + config.scaling() + ") into " + model + "; wrote " + output);
        out.flush();
        return 0;
    }
}
