package dev.jllm.train.model;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.train.nn.Parameter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a trained model as a Hugging Face folder: {@code model.safetensors} (float32, transformers' tensor names;
 * a tied {@code lm_head} is not stored, as transformers does) plus the config, tokenizer and generation files of the
 * folder it was loaded from. Every file goes to a temporary name first and is renamed into place.
 */
public final class HfFolderWriter {
    /** Files copied unchanged from the source folder when present. */
    public static final List<String> COPIED = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "chat_template.jinja");

    private HfFolderWriter() {}

    public static void save(CausalLm model, Path sourceFolder, Path outDir) {
        try {
            Files.createDirectories(outDir);
            var tensors = new ArrayList<SafeTensor>();
            for (Parameter p : model.parameters()) {
                long[] shape = new long[p.shape().length];
                for (int i = 0; i < shape.length; i++) shape[i] = p.shape()[i];
                tensors.add(SafeTensor.ofFloats(p.name(), shape, p.value()));
            }
            SafetensorsWriter.write(outDir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            if (sourceFolder != null && !sourceFolder.toAbsolutePath().normalize().equals(outDir.toAbsolutePath().normalize())) {
                for (String name : COPIED) {
                    Path src = sourceFolder.resolve(name);
                    if (!Files.isRegularFile(src)) continue;
                    Path tmp = outDir.resolve(name + ".tmp");
                    Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, outDir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (IOException e) {
            throw new JllmException(outDir + ": cannot save the model: " + e.getMessage(), e);
        }
    }
}
