package dev.jllm.cli;

import dev.jllm.model.generate.GenerationOptions;
import dev.jllm.model.generate.TextGenerationPipeline;
import dev.jllm.text.chat.Message;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jllm chat}: an interactive multi-turn chat with the model's chat template. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Interactive multi-turn chat: each stdin line is a user turn; the reply streams back and joins "
                + "the conversation, which is re-rendered with the model's chat template every turn. "
                + "An empty line or end of input ends the chat; /reset starts over.")
public final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model: a Hugging Face folder or a .gguf file.")
    Path model;

    @Option(names = "--adapter", description = "PEFT LoRA adapter folder to run with (merged into a temporary float32 copy of "
            + "--model, as merge_and_unload does; --model may then be a bitsandbytes 4-bit folder).")
    Path adapter;

    @Option(names = "--system", description = "System message opening the conversation.")
    String system;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    SamplingOptions sampling;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        try (AdapterMerge source = AdapterMerge.of(model, adapter);
             TextGenerationPipeline pipeline = TextGenerationPipeline.load(source.folder());
             BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            GenerationOptions.Builder defaults = pipeline.defaultOptions();
            if (sampling.maxNewTokens == null && sampling.maxLength == null) {
                // transformers' max_length of 20 would cut every reply short once the history grows.
                defaults.maxNewTokens(256);
            }
            GenerationOptions options = sampling.apply(defaults);
            pipeline.chatTemplate();  // fail now, not after the first question, when the model has no template
            List<Message> history = new ArrayList<>();
            if (system != null) history.add(Message.system(system));
            while (true) {
                out.print("> ");
                out.flush();
                String line = reader.readLine();
                if (line == null || line.isBlank()) break;
                if (line.strip().equals("/reset")) {
                    history.subList(system != null ? 1 : 0, history.size()).clear();
                    pipeline.resetChat();
                    continue;
                }
                history.add(Message.user(line));
                TextGenerationPipeline.Result r = pipeline.chat(history, options, piece -> {
                    out.print(piece);
                    out.flush();
                });
                out.println();
                history.add(Message.assistant(r.text()));
            }
        }
        out.println();
        return 0;
    }
}
