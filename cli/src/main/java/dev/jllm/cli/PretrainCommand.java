package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.text.tokenizer.Tokenizer;
import dev.jllm.train.TrainingArguments;
import dev.jllm.train.data.Corpus;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.pretrain.ModelShape;
import dev.jllm.train.pretrain.Pretraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jllm pretrain}: a Llama-style model trained from scratch on a text corpus. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = {"Pretrain a Llama-style model from scratch on a text corpus and save it as a Hugging Face folder.",
                "Trains a byte-level BPE tokenizer on the training documents (or uses --tokenizer), holds out --validation-split "
                        + "of the documents, packs the tokens into blocks of --block-size (documents separated by <|endoftext|>), "
                        + "initializes the model as transformers does (normal(0, initializer_range) weights, ones for norms), trains "
                        + "with transformers' Trainer semantics and reports the validation loss, perplexity and the corpus' unigram entropy.",
                "Training options are the TrainingArguments fields of jllm train; pretrain's own defaults: learning_rate 5e-4, "
                        + "warmup_ratio 0.05, lr_scheduler_type cosine, eval_strategy steps, logging_steps 10, save_steps 0."})
public final class PretrainCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--corpus", required = true, split = ",", description = "Corpus files: .txt (one document per blank-line-separated "
            + "paragraph), or .jsonl / .json / .csv rows with a text field.")
    List<Path> corpus;

    @Option(names = "--text-field", defaultValue = "text", description = "Field holding each row's text in .jsonl / .json / .csv corpora.")
    String textField;

    @Option(names = "--tokenizer", description = "Use this tokenizer (folder, tokenizer.json or tokenizer.model) instead of training one.")
    Path tokenizer;

    @Option(names = "--vocab-size", defaultValue = "4096", description = "Vocabulary of the trained tokenizer (256 bytes + merges + <|endoftext|>).")
    int vocabSize;

    @Option(names = "--model-config", description = "A config.json to start from (e.g. a published model's); its vocab_size is set to "
            + "the trained tokenizer's. Without it the model is built from the size options below.")
    Path modelConfig;

    @Option(names = "--hidden-size", defaultValue = "256", description = "Model width.")
    int hiddenSize;

    @Option(names = "--intermediate-size", defaultValue = "688", description = "SwiGLU width.")
    int intermediateSize;

    @Option(names = "--num-hidden-layers", defaultValue = "4", description = "Decoder layers.")
    int numHiddenLayers;

    @Option(names = "--num-attention-heads", defaultValue = "4", description = "Query heads.")
    int numAttentionHeads;

    @Option(names = "--num-key-value-heads", description = "Key/value heads (grouped-query attention) (default: --num-attention-heads).")
    Integer numKeyValueHeads;

    @Option(names = "--max-position-embeddings", description = "Context length of the saved model (default: --block-size).")
    Integer maxPositionEmbeddings;

    @Option(names = "--rope-theta", defaultValue = "10000", description = "RoPE base.")
    double ropeTheta;

    @Option(names = "--rms-norm-eps", defaultValue = "1e-6", description = "RMSNorm epsilon.")
    double rmsNormEps;

    @Option(names = "--tie-word-embeddings", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Share the input embedding with the output layer (LlamaConfig's default: not tied).")
    boolean tieWordEmbeddings;

    @Option(names = "--initializer-range", defaultValue = "0.02", description = "Standard deviation of the initial weights.")
    double initializerRange;

    @Option(names = "--block-size", defaultValue = "128", description = "Tokens per training row.")
    int blockSize;

    @Option(names = "--validation-split", defaultValue = "0.1", description = "Fraction of the documents held out for validation.")
    double validationSplit;

    @Option(names = "--sample-prompt", description = "After training, print the saved model's greedy continuation of this prompt.")
    String samplePrompt;

    @Option(names = "--sample-tokens", defaultValue = "30", description = "Tokens of the --sample-prompt continuation.")
    int sampleTokens;

    @Mixin
    TrainingOptions training;

    @Override
    public Integer call() {
        ObjectNode defaults = JSON.createObjectNode();
        defaults.put("learning_rate", 5e-4);
        defaults.put("warmup_ratio", 0.05);
        defaults.put("lr_scheduler_type", "cosine");
        defaults.put("eval_strategy", "steps");
        defaults.put("logging_steps", 10);
        defaults.put("save_steps", 0);
        TrainingArguments args = training.arguments(defaults);
        ObjectNode config = null;
        if (modelConfig != null) {
            try {
                JsonNode n = JSON.readTree(Files.readString(modelConfig));
                if (!n.isObject()) throw new JllmException(modelConfig + ": expected a JSON object");
                config = (ObjectNode) n;
            } catch (IOException e) {
                throw new JllmException(modelConfig + ": cannot read the model config: " + e.getMessage(), e);
            }
        }
        var shape = new ModelShape(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads != null ? numKeyValueHeads : numAttentionHeads,
                maxPositionEmbeddings != null ? maxPositionEmbeddings : blockSize, ropeTheta, rmsNormEps, tieWordEmbeddings, initializerRange);
        var out = spec.commandLine().getOut();
        List<String> documents = Corpus.documents(corpus, textField);
        var result = Pretraining.run(new Pretraining.Options(documents, tokenizer, vocabSize, config, shape, blockSize, validationSplit),
                args, out, training.progressWriter(spec.commandLine().getErr()), training.logFile);
        out.println(result.train().describe());
        out.printf(Locale.ROOT, "validation loss %.4f, perplexity %.2f (unigram entropy of the corpus %.4f nats/token, perplexity %.2f)%n",
                result.validationLoss(), result.perplexity(), result.unigramEntropy(), Math.exp(result.unigramEntropy()));
        Path outDir = Path.of(args.outputDir());
        out.println("saved model to " + outDir);
        if (samplePrompt != null) {
            String text = Pretraining.greedy(CausalLm.load(outDir), Tokenizer.load(outDir), samplePrompt, sampleTokens);
            out.println("sample: " + samplePrompt + text);
        }
        out.flush();
        return 0;
    }
}
