package dev.jllm.model;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgufFile;
import dev.jllm.core.gguf.GgufTensor;
import dev.jllm.model.arch.KvCache;
import dev.jllm.model.arch.Transformer;
import dev.jllm.model.config.Family;
import dev.jllm.model.config.GenerationConfig;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.model.load.GgufStore;
import dev.jllm.model.load.SafetensorsStore;
import dev.jllm.model.load.TensorStore;
import dev.jllm.model.load.TransformerBuilder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A loaded causal language model: its config, its weights (memory-mapped, used in place) and the forward pass.
 * Load a Hugging Face folder ({@code config.json} + safetensors, single or sharded) or a {@code .gguf} file.
 * Closing the model unmaps the weights: sessions must not be used afterwards.
 */
public final class Model implements AutoCloseable {
    private final Path path;
    private final ModelConfig config;
    private final GenerationConfig generationConfig;
    private final Transformer transformer;
    private final TensorStore store;

    private Model(Path path, ModelConfig config, GenerationConfig generationConfig, Transformer transformer, TensorStore store) {
        this.path = path;
        this.config = config;
        this.generationConfig = generationConfig;
        this.transformer = transformer;
        this.store = store;
    }

    /** Loads a Hugging Face model folder (or its config.json) or a GGUF file. */
    public static Model load(Path path) {
        if (Files.isDirectory(path)) return loadHf(path);
        if (!Files.isRegularFile(path)) throw new JllmException(path + ": no such file or folder");
        String name = path.getFileName().toString();
        if (name.endsWith(".gguf")) return loadGguf(path);
        if (name.equals("config.json")) return loadHf(path.toAbsolutePath().getParent());
        throw new JllmException(path + ": not a model (expected a Hugging Face folder with config.json, or a .gguf file)");
    }

    private static Model loadHf(Path folder) {
        ModelConfig config = ModelConfig.fromJson(folder);
        GenerationConfig gen = GenerationConfig.read(folder);
        SafetensorsStore store = new SafetensorsStore(folder);
        try {
            return new Model(folder, config, gen, TransformerBuilder.build(config, store), store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static Model loadGguf(Path file) {
        GgufFile gguf = GgufFile.open(file);
        try {
            Set<String> names = new HashSet<>();
            for (GgufTensor t : gguf.tensors()) names.add(t.name());
            if (!gguf.hasTensor("token_embd.weight")) {
                throw new JllmException(file + ": tensor 'token_embd.weight' is missing");
            }
            float[] divisors = gguf.hasTensor("rope_freqs.weight") ? GgufStore.readFloats(gguf.tensor("rope_freqs.weight")) : null;
            ModelConfig config = ModelConfig.fromGguf(file.toString(), gguf.metadata(), divisors, gguf.hasTensor("output.weight"),
                    Math.toIntExact(gguf.tensor("token_embd.weight").rows()), names);
            // llama.cpp's converter permutes q/k rows only for the Llama family (adjacent-pair RoPE); Qwen uses NEOX.
            boolean permute = config.family() == Family.LLAMA || config.family() == Family.MISTRAL || config.family() == Family.MIXTRAL;
            GgufStore store = new GgufStore(gguf, permute, config.numHeads(), config.numKvHeads());
            GenerationConfig gen = new GenerationConfig(config.bosTokenId(), config.eosTokenIds(), null, null, null,
                    null, null, null, null, null, null);
            return new Model(file, config, gen, TransformerBuilder.build(config, store), store);
        } catch (RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public ModelConfig config() {
        return config;
    }

    public GenerationConfig generationConfig() {
        return generationConfig;
    }

    public Transformer transformer() {
        return transformer;
    }

    /** The file store the weights come from (for converters). */
    public TensorStore store() {
        return store;
    }

    /** The EOS ids generation stops on: generation_config.json's, else config.json's. */
    public List<Integer> eosTokenIds() {
        return generationConfig.eosTokenIds().isEmpty() ? config.eosTokenIds() : generationConfig.eosTokenIds();
    }

    /** A session that may grow to {@code maxTokens} tokens (like transformers, past max_position_embeddings too). */
    public Session newSession(int maxTokens) {
        int limit = Math.max(1, maxTokens);
        return new Session(new KvCache(config.numLayers(), config.numKvHeads(), config.headDim(), Math.min(limit, 256), limit));
    }

    /** Logits {@code [ids.length][vocab]} of every position of one sequence, in one batched forward pass. */
    public float[][] logits(int[] ids) {
        return logits(ids, Transformer.Observer.NONE);
    }

    public float[][] logits(int[] ids, Transformer.Observer observer) {
        if (ids.length == 0) return new float[0][];
        KvCache cache = new KvCache(config.numLayers(), config.numKvHeads(), config.headDim(), ids.length,
                Math.max(ids.length, config.maxPositionEmbeddings()));
        int v = config.vocabSize();
        float[][] rows = new float[ids.length][];
        for (int from = 0; from < ids.length; from += PREFILL_CHUNK) {
            int to = Math.min(ids.length, from + PREFILL_CHUNK);
            float[] flat = transformer.forward(Arrays.copyOfRange(ids, from, to), from, cache, true, observer);
            for (int t = from; t < to; t++) rows[t] = Arrays.copyOfRange(flat, (t - from) * v, (t - from + 1) * v);
        }
        return rows;
    }

    /**
     * Longest run of tokens one forward call takes: longer prompts go through in chunks (attending to the cache of
     * the earlier ones), which bounds the activation memory without changing any result.
     */
    public static final int PREFILL_CHUNK = 1024;

    /** One sequence's KV cache and position. */
    public final class Session implements InferenceSession {
        private final KvCache cache;
        private int position;

        private Session(KvCache cache) {
            this.cache = cache;
        }

        @Override
        public float[] append(int[] tokens) {
            if (tokens.length == 0) throw new JllmException("append needs at least one token");
            float[] logits = null;
            for (int from = 0; from < tokens.length; from += PREFILL_CHUNK) {
                int to = Math.min(tokens.length, from + PREFILL_CHUNK);
                int[] chunk = from == 0 && to == tokens.length ? tokens : Arrays.copyOfRange(tokens, from, to);
                logits = transformer.forward(chunk, position, cache, false, Transformer.Observer.NONE);
                position += chunk.length;
            }
            return logits;
        }

        @Override
        public int position() {
            return position;
        }

        @Override
        public void truncate(int length) {
            if (length < 0 || length > position) {
                throw new IllegalArgumentException("cannot truncate a session of " + position + " tokens to " + length);
            }
            position = length;  // later appends overwrite the cache rows from here on
        }

        @Override
        public int vocabSize() {
            return config.vocabSize();
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
