package dev.jllm.train.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.text.tokenizer.Tokenizer;
import dev.jllm.text.tokenizer.train.BpeTrainer;
import dev.jllm.train.Trainer;
import dev.jllm.train.TrainingArguments;
import dev.jllm.train.data.Batch;
import dev.jllm.train.data.Dataset;
import dev.jllm.train.data.Example;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.HfFolderWriter;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Pretraining from scratch as transformers' {@code run_clm.py} does it: documents split into training and validation
 * sets (by document, with the seed, so no validation text is seen in training), a byte-level BPE tokenizer trained
 * on the training documents (or a given tokenizer), every document encoded and followed by the end-of-text token,
 * the token stream cut into blocks of {@code block_size}, a Llama-style model initialized as transformers'
 * {@code _init_weights} does (N(0, initializer_range²) for linear and embedding weights, ones for norms), trained by
 * the {@link Trainer}, evaluated on the validation blocks, and saved as a Hugging Face folder (config.json,
 * model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json).
 */
public final class Pretraining {
    public static final String END_OF_TEXT = "<|endoftext|>";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Pretraining() {}

    /**
     * @param tokenizer          an existing tokenizer (folder or file) to use, or null to train one
     * @param tokenizerVocabSize vocabulary of the trained tokenizer (256 bytes + merges + the end-of-text token)
     * @param config             a config.json to start from (its {@code vocab_size} is set to the tokenizer's), or null
     *                           to build one from {@code shape}
     */
    public record Options(List<String> documents, Path tokenizer, int tokenizerVocabSize, ObjectNode config, ModelShape shape,
                          int blockSize, double validationFraction) {}

    /** What a run produced; losses in nats per token. */
    public record Result(Trainer.TrainOutput train, double validationLoss, double unigramEntropy, int trainBlocks,
                         int validationBlocks, int vocabSize, long parameters) {
        public double perplexity() {
            return Math.exp(validationLoss);
        }
    }

    public static Result run(Options o, TrainingArguments args, PrintWriter out, PrintWriter progress, Path logFile) {
        Path outDir = Path.of(args.outputDir());
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new JllmException(outDir + ": cannot create the output folder: " + e.getMessage(), e);
        }
        // 1. documents → training and validation sets
        List<String> docs = o.documents();
        if (docs.size() < 2) throw new JllmException("the corpus has " + docs.size() + " document(s); at least 2 are needed to hold some out for validation");
        if (!(o.validationFraction() > 0 && o.validationFraction() < 1)) {
            throw new JllmException("validation fraction must lie in (0, 1), got " + o.validationFraction());
        }
        var shuffled = new ArrayList<>(docs);
        java.util.Collections.shuffle(shuffled, new Random(args.seed()));
        int held = (int) Math.min(docs.size() - 1, Math.max(1, Math.round(o.validationFraction() * docs.size())));
        List<String> trainDocs = shuffled.subList(0, docs.size() - held), validDocs = shuffled.subList(docs.size() - held, docs.size());

        // 2. tokenizer
        Tokenizer tokenizer = o.tokenizer() != null ? copyTokenizer(o.tokenizer(), outDir) : trainTokenizer(trainDocs, o, outDir, out);
        int eos = tokenizer.eosTokenId().orElse(tokenizer.tokenToId(END_OF_TEXT).orElse(-1));
        int bos = tokenizer.bosTokenId().orElse(eos);

        // 3. config
        ObjectNode config = o.config() != null ? o.config().deepCopy() : o.shape().toConfigJson(tokenizer.vocabSize(), bos, eos);
        if (config.has("vocab_size") && config.get("vocab_size").asInt() < tokenizer.vocabSize()) {
            throw new JllmException("config.json: vocab_size " + config.get("vocab_size").asInt() + " is smaller than the tokenizer's "
                    + tokenizer.vocabSize() + " tokens");
        }
        if (!config.has("vocab_size") || o.tokenizer() == null) config.put("vocab_size", tokenizer.vocabSize());
        if (eos >= 0 && !config.has("eos_token_id")) config.put("eos_token_id", eos);
        if (bos >= 0 && !config.has("bos_token_id")) config.put("bos_token_id", bos);
        ModelConfig modelConfig = ModelConfig.fromJson("config.json", config);
        if (modelConfig.maxPositionEmbeddings() < o.blockSize()) {
            throw new JllmException("block size " + o.blockSize() + " exceeds max_position_embeddings " + modelConfig.maxPositionEmbeddings());
        }
        writeJson(outDir.resolve("config.json"), config);
        ObjectNode generation = JSON.createObjectNode();
        if (bos >= 0) generation.put("bos_token_id", bos);
        if (eos >= 0) generation.put("eos_token_id", eos);
        writeJson(outDir.resolve("generation_config.json"), generation);

        // 4. tokens → blocks
        Dataset train = encode(trainDocs, tokenizer, "training").packed(o.blockSize(), eos);
        Dataset validation;
        try {
            validation = encode(validDocs, tokenizer, "validation").packed(o.blockSize(), eos);
        } catch (JllmException e) {
            throw new JllmException("the validation documents do not fill one block of " + o.blockSize() + " tokens; raise the validation fraction or lower the block size");
        }
        double entropy = unigramEntropy(train);
        out.printf(Locale.ROOT, "corpus: %d training / %d validation document(s) -> %d / %d block(s) of %d tokens; unigram entropy %.4f nats/token%n",
                trainDocs.size(), validDocs.size(), train.size(), validation.size(), o.blockSize(), entropy);

        // 5. model
        double range = config.path("initializer_range").asDouble(0.02);
        CausalLm model = CausalLm.initialize(modelConfig, range, args.seed());
        long params = 0;
        for (var p : model.parameters()) params += p.size();
        out.printf(Locale.ROOT, "model: %s, %d parameters (%d layers, hidden %d, %d heads, vocab %d), initializer_range %s%n",
                modelConfig.family().architecture(), params, modelConfig.numLayers(), modelConfig.hiddenSize(),
                modelConfig.numHeads(), modelConfig.vocabSize(), range);
        out.flush();

        // 6. train, evaluate, save
        var trainer = new Trainer(model, args, train, Math.max(0, eos), out, logFile, dir -> HfFolderWriter.save(model, outDir, dir))
                .withEvalDataset(validation).withProgressBar(progress);
        Trainer.TrainOutput output = trainer.train();
        double loss = trainer.evaluate(validation);
        return new Result(output, loss, entropy, train.size(), validation.size(), tokenizer.vocabSize(), params);
    }

    private static Tokenizer trainTokenizer(List<String> docs, Options o, Path outDir, PrintWriter out) {
        BpeTrainer.Result result;
        try {
            result = new BpeTrainer(o.tokenizerVocabSize(), 2, List.of(END_OF_TEXT)).trainTexts(docs);
        } catch (IllegalArgumentException e) {
            throw new JllmException("tokenizer vocabulary: " + e.getMessage());
        }
        BpeTrainer.save(result, outDir);
        // the trainer writes a minimal tokenizer_config.json; name the end-of-text token so generation knows where to stop
        Path configFile = outDir.resolve("tokenizer_config.json");
        try {
            ObjectNode tc = (ObjectNode) JSON.readTree(Files.readString(configFile));
            tc.put("bos_token", END_OF_TEXT);
            tc.put("eos_token", END_OF_TEXT);
            tc.put("pad_token", END_OF_TEXT);
            tc.put("add_bos_token", false);
            tc.put("add_eos_token", false);
            writeJson(configFile, tc);
        } catch (IOException e) {
            throw new JllmException(configFile + ": cannot update: " + e.getMessage(), e);
        }
        out.printf("tokenizer: trained byte-level BPE, %d tokens (%d merges) on %d document(s)%n", result.vocab().size(), result.merges().size(), docs.size());
        return Tokenizer.load(outDir);
    }

    private static Tokenizer copyTokenizer(Path source, Path outDir) {
        Tokenizer tokenizer = Tokenizer.load(source);
        Path folder = Files.isDirectory(source) ? source : source.getParent();
        try {
            for (String name : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model")) {
                Path src = Files.isDirectory(source) ? folder.resolve(name) : (source.getFileName().toString().equals(name) ? source : folder.resolve(name));
                if (!Files.isRegularFile(src)) continue;
                Path tmp = outDir.resolve(name + ".tmp");
                Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, outDir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new JllmException(source + ": cannot copy the tokenizer: " + e.getMessage(), e);
        }
        return tokenizer;
    }

    private static Dataset encode(List<String> docs, Tokenizer tokenizer, String what) {
        var rows = new ArrayList<Example>();
        for (String d : docs) {
            int[] ids = tokenizer.encode(d, false);
            if (ids.length > 0) rows.add(new Example(ids, null, null));
        }
        if (rows.isEmpty()) throw new JllmException("the " + what + " documents encode to no tokens");
        return new Dataset(rows, 0, Path.of(what + " documents"));
    }

    /** Entropy in nats of the training tokens' unigram distribution: the loss of the best model that ignores context. */
    public static double unigramEntropy(Dataset data) {
        var counts = new java.util.HashMap<Integer, Long>();
        long total = 0;
        for (Example e : data.examples()) {
            for (int id : e.inputIds()) counts.merge(id, 1L, Long::sum);
            total += e.length();
        }
        double h = 0;
        for (long c : counts.values()) {
            double p = (double) c / total;
            h -= p * Math.log(p);
        }
        return h;
    }

    /** Greedy continuation of {@code prompt} by {@code tokens} tokens (stops at end-of-text), recomputing the whole prefix. */
    public static String greedy(CausalLm model, Tokenizer tokenizer, String prompt, int tokens) {
        var ids = new ArrayList<Integer>();
        for (int id : tokenizer.encode(prompt, true)) ids.add(id);
        if (ids.isEmpty()) tokenizer.bosTokenId().ifPresent(ids::add);
        if (ids.isEmpty()) throw new JllmException("the prompt encodes to no tokens and the tokenizer has no BOS token");
        int start = ids.size();
        int vocab = model.config().vocabSize();
        int eos = tokenizer.eosTokenId().orElse(-1);
        int limit = model.config().maxPositionEmbeddings();
        for (int t = 0; t < tokens && ids.size() < limit; t++) {
            int n = ids.size();
            int[] in = ids.stream().mapToInt(Integer::intValue).toArray();
            int[] mask = new int[n];
            java.util.Arrays.fill(mask, 1);
            float[] logits = model.logits(Batch.of(new int[][]{in}, new int[][]{mask}, new int[][]{in}));
            int best = 0;
            for (int v = 1; v < vocab; v++) if (logits[(n - 1) * vocab + v] > logits[(n - 1) * vocab + best]) best = v;
            if (best == eos) break;
            ids.add(best);
        }
        return tokenizer.decode(ids.subList(start, ids.size()).stream().mapToInt(Integer::intValue).toArray(), true);
    }

    private static void writeJson(Path file, ObjectNode node) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
