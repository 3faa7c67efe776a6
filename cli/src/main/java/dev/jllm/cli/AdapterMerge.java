package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.model.HfFolderWriter;
import dev.jllm.train.quant.QuantizedModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;

/**
 * A base model with a PEFT adapter merged in (PEFT's {@code merge_and_unload}: same outputs as the unmerged adapter
 * to float rounding), as a float32 Hugging Face folder. {@code --adapter} of generate/chat runs the inference runtime
 * on it; a temporary folder is deleted on {@link #close}.
 */
record AdapterMerge(Path folder, boolean temporary) implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code model} itself when there is no adapter, else a temporary merged copy. */
    static AdapterMerge of(Path model, Path adapter) throws IOException {
        if (adapter == null) return new AdapterMerge(model, false);
        if (!Files.isDirectory(model)) throw new JllmException(model + ": --adapter needs a Hugging Face model folder, not a single file");
        Path tmp = Files.createTempDirectory("jllm-adapter-merge");
        try {
            write(model, adapter, tmp);
        } catch (RuntimeException | IOException e) {
            delete(tmp);
            throw e;
        }
        return new AdapterMerge(tmp, true);
    }

    /** Merges {@code adapter} into {@code model} and writes the float32 result into {@code out}. */
    static void write(Path model, Path adapter, Path out) throws IOException {
        QuantizedModels.Loaded loaded = QuantizedModels.load(model);
        LoraAdapters.attach(loaded.model(), adapter);
        LoraAdapters.merge(loaded.model());
        HfFolderWriter.save(loaded.model(), model, out);
        if (loaded.quantization() != null) {
            // the merged weights are float32 now, so the folder must not claim bitsandbytes storage
            Path cfg = out.resolve("config.json");
            ObjectNode root = (ObjectNode) JSON.readTree(Files.readString(cfg));
            root.remove("quantization_config");
            Path tmp = out.resolve("config.json.tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            Files.move(tmp, cfg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    @Override
    public void close() throws IOException {
        if (temporary) delete(folder);
    }

    private static void delete(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
