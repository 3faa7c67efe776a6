package dev.jllm.cli;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.model.convert.GgufQuantizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code jllm quantize}: re-encode a GGUF model's matrices in a quantized type. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Quantize the F32/F16/BF16 matrices of a GGUF model (norms and rows that do not fill whole blocks "
                + "keep their type, as llama.cpp's quantizer leaves them); metadata is copied.")
public final class QuantizeCommand implements Callable<Integer> {
    /** Types the quantizer writes and the kernels run. */
    private static final Set<GgmlType> TYPES = Set.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q4_K,
            GgmlType.Q5_K, GgmlType.Q6_K);

    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, description = "The .gguf model to read.")
    Path input;

    @Option(names = "--output", required = true, description = "The .gguf file to write.")
    Path output;

    @Option(names = "--type", required = true, description = "Target type: Q8_0, Q4_0, Q4_1, Q4_K, Q5_K or Q6_K.")
    String type;

    @Override
    public Integer call() {
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
}
