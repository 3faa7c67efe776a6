package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.model.generate.GenerationOptions;
import dev.jllm.model.generate.GenerationResult;
import dev.jllm.model.generate.TextGenerationPipeline;
import dev.jllm.text.chat.Message;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jllm generate}: text generation with transformers' semantics, streamed to stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt (Hugging Face folder or GGUF model), streaming it as it is produced; "
                + "ends with prefill and decode tokens/s. Defaults follow the model's generation_config.json, then transformers'.")
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model: a Hugging Face folder or a .gguf file.")
    Path model;

    @Option(names = "--adapter", description = "PEFT LoRA adapter folder to run with (merged into a temporary float32 copy of "
            + "--model, as merge_and_unload does; --model may then be a bitsandbytes 4-bit folder).")
    Path adapter;

    @Option(names = "--prompt", required = true, description = "The prompt text (the user message with --chat).")
    String prompt;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--chat", description = "Format the prompt as a user message with the model's chat template.")
    boolean chat;

    @Option(names = "--system", description = "System message (with --chat).")
    String system;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--json", description = "Print one JSON object {ids, text, prefill_tokens_per_s, decode_tokens_per_s} instead of streaming.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (system != null && !chat) throw new JllmException("--system needs --chat");
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        try (AdapterMerge source = AdapterMerge.of(model, adapter);
             TextGenerationPipeline pipeline = TextGenerationPipeline.load(source.folder())) {
            GenerationOptions options = sampling.apply(pipeline.defaultOptions());
            java.util.function.Consumer<String> sink = json ? null : piece -> {
                out.print(piece);
                out.flush();
            };
            TextGenerationPipeline.Result r;
            if (chat) {
                List<Message> messages = new ArrayList<>();
                if (system != null) messages.add(Message.system(system));
                messages.add(Message.user(prompt));
                r = pipeline.chat(messages, options, sink);
            } else {
                r = pipeline.generate(prompt, options, sink);
            }
            GenerationResult g = r.generation();
            if (json) {
                ObjectMapper m = new ObjectMapper();
                ObjectNode o = m.createObjectNode();
                var ids = o.putArray("ids");
                for (int id : g.generatedIds()) ids.add(id);
                o.put("text", r.text());
                putRate(o, "prefill_tokens_per_s", g.prefillTokensPerSecond());
                putRate(o, "decode_tokens_per_s", g.decodeTokensPerSecond());
                out.println(m.writeValueAsString(o));
            } else {
                out.println();
                out.printf(Locale.ROOT, "[prefill: %d tokens, %s tokens/s; decode: %d tokens, %s tokens/s]%n",
                        g.prefillTokens(), rate(g.prefillTokensPerSecond()), g.decodeSteps(), rate(g.decodeTokensPerSecond()));
            }
            out.flush();
        }
        return 0;
    }

    private static void putRate(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) o.put(field, v);
        else o.putNull(field);
    }

    private static String rate(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f", v) : "n/a";
    }
}
