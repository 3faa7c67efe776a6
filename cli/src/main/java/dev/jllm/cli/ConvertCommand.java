package dev.jllm.cli;

import dev.jllm.model.convert.ModelConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jllm convert}: GGUF file ↔ Hugging Face folder. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a GGUF file to a Hugging Face folder (config.json, generation_config.json, model.safetensors) "
                + "or a Hugging Face folder to a GGUF file; F32, F16 and BF16 weights.")
public final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, description = "A .gguf file or a Hugging Face model folder.")
    Path input;

    @Option(names = "--output", required = true, description = "The folder to create (from GGUF) or the .gguf file to write (from a folder).")
    Path output;

    @Override
    public Integer call() {
        var notes = ModelConverter.convert(input, output);
        spec.commandLine().getOut().println("wrote " + output);
        for (String note : notes) spec.commandLine().getOut().println("note: " + note);
        return 0;
    }
}
