package dev.jllm.eval.task;

import dev.jllm.core.JllmException;
import dev.jllm.eval.perplexity.LogitsSource;
import dev.jllm.eval.perplexity.Perplexity;
import dev.jllm.model.Model;
import dev.jllm.model.generate.GenerationOptions;
import dev.jllm.model.generate.TextGenerationPipeline;
import dev.jllm.text.tokenizer.Tokenizer;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.HfFolderWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A jllm model (HF folder or GGUF) under evaluation, optionally with a PEFT LoRA adapter merged into it. Every
 * generation uses the same options; stop strings are added to them.
 */
public final class JllmModel implements ModelUnderTest, AutoCloseable {
    private final TextGenerationPipeline pipeline;
    private final GenerationOptions options;
    private final LogitsSource logits;
    private final Path mergedFolder;
    private final boolean chat;

    private JllmModel(TextGenerationPipeline pipeline, GenerationOptions options, Path mergedFolder, boolean chat) {
        this.pipeline = pipeline;
        this.options = options;
        this.chat = chat;
        this.logits = Perplexity.of(pipeline.model());
        this.mergedFolder = mergedFolder;
    }

    /**
     * Loads {@code modelPath}; with an adapter, the base (a Hugging Face folder) is loaded, the adapter attached and
     * merged ({@code W += scaling · B·A}), and the merged weights written to a temporary folder that is deleted on close.
     */
    /**
     * @param configure turns the model's default generation options into the ones to use
     * @param chat      wrap each prompt as a user message in the model's chat template
     */
    public static JllmModel load(Path modelPath, Path adapter, java.util.function.Function<GenerationOptions.Builder, GenerationOptions> configure,
                                 boolean chat) {
        Path merged = null;
        Path load = modelPath;
        if (adapter != null) {
            if (!Files.isDirectory(modelPath)) {
                throw new JllmException(modelPath + ": an adapter needs the base model as a Hugging Face folder (not GGUF)");
            }
            CausalLm base = CausalLm.load(modelPath);
            LoraAdapters.attach(base, adapter);
            LoraAdapters.merge(base);
            try {
                merged = Files.createTempDirectory("jllm-eval-merged-");
            } catch (IOException e) {
                throw new JllmException("cannot create a temporary folder for the merged model: " + e.getMessage(), e);
            }
            HfFolderWriter.save(base, modelPath, merged);
            load = merged;
        }
        TextGenerationPipeline pipeline = TextGenerationPipeline.load(load);
        try {
            GenerationOptions options = configure != null ? configure.apply(pipeline.defaultOptions()) : pipeline.defaultOptions().build();
            if (chat) pipeline.chatTemplate();
            return new JllmModel(pipeline, options, merged, chat);
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    public GenerationOptions options() {
        return options;
    }

    @Override
    public String generate(String prompt, List<String> stop) {
        List<String> stops = new ArrayList<>(options.stopStrings() == null ? List.of() : options.stopStrings());
        stops.addAll(stop);
        GenerationOptions o = options.toBuilder().stopStrings(stops).build();
        if (chat) return pipeline.chat(List.of(dev.jllm.text.chat.Message.user(prompt)), o, null).text();
        return pipeline.generate(prompt, o, null).text();
    }

    @Override
    public LogitsSource logits() {
        return logits;
    }

    @Override
    public Tokenizer tokenizer() {
        return pipeline.tokenizer();
    }

    public TextGenerationPipeline pipeline() {
        return pipeline;
    }

    @Override
    public void close() {
        pipeline.close();
        if (mergedFolder != null) {
            try (Stream<Path> s = Files.walk(mergedFolder)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // Left for the OS's temp cleaning.
            }
        }
    }
}
