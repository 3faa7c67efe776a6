package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.model.generate.GenerationOptions;
import dev.jllm.model.generate.GenerationResult;
import dev.jllm.model.generate.TextGenerationPipeline;
import dev.jllm.text.chat.Message;
import picocli.CommandLine.Command;
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

    @Option(names = "--prompt", required = true, description = "The prompt text (the user message with --chat).")
    String prompt;

    @Option(names = "--max-new-tokens", description = "Most tokens to generate (wins over --max-length).")
    Integer maxNewTokens;

    @Option(names = "--max-length", description = "Most tokens in prompt plus output (transformers' default 20 when neither is set).")
    Integer maxLength;

    @Option(names = "--do-sample", description = "Sample instead of greedy decoding.")
    Boolean doSample;

    @Option(names = "--temperature", description = "Sampling temperature (> 0).")
    Double temperature;

    @Option(names = "--top-k", description = "Keep the k most likely tokens (0 disables; transformers' default 50).")
    Integer topK;

    @Option(names = "--top-p", description = "Nucleus sampling: keep the smallest set with this probability mass.")
    Double topP;

    @Option(names = "--min-p", description = "Drop tokens below this fraction of the top token's probability.")
    Double minP;

    @Option(names = "--repetition-penalty", description = "Penalty for tokens already in the prompt or output (1 = off).")
    Double repetitionPenalty;

    @Option(names = "--seed", description = "Random seed for sampling (reproducible runs).")
    Long seed;

    @Option(names = "--stop", description = "Stop when the output contains this string (repeatable).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--chat", description = "Format the prompt as a user message with the model's chat template.")
    boolean chat;

    @Option(names = "--system", description = "System message (with --chat).")
    String system;

    @Option(names = "--threads", description = "Worker threads for the kernels (default: all cores).")
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object {ids, text, prefill_tokens_per_s, decode_tokens_per_s} instead of streaming.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (system != null && !chat) throw new JllmException("--system needs --chat");
        if (threads != null) {
            if (threads < 1) throw new JllmException("--threads must be >= 1, got " + threads);
            Parallel.setThreads(threads);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (TextGenerationPipeline pipeline = TextGenerationPipeline.load(model)) {
            GenerationOptions.Builder b = pipeline.defaultOptions();
            if (maxNewTokens != null) b.maxNewTokens(maxNewTokens);
            if (maxLength != null) b.maxLength(maxLength);
            if (doSample != null) b.doSample(doSample);
            if (temperature != null) b.temperature(temperature);
            if (topK != null) b.topK(topK);
            if (topP != null) b.topP(topP);
            if (minP != null) b.minP(minP);
            if (repetitionPenalty != null) b.repetitionPenalty(repetitionPenalty);
            if (seed != null) b.seed(seed);
            if (!stop.isEmpty()) b.stopStrings(stop);
            GenerationOptions options = b.build();
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
                        g.promptIds().length, rate(g.prefillTokensPerSecond()), g.decodeSteps(), rate(g.decodeTokensPerSecond()));
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
