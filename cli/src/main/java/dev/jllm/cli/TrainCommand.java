package dev.jllm.cli;

import dev.jllm.core.JllmException;
import dev.jllm.text.tokenizer.Tokenizer;
import dev.jllm.train.Trainer;
import dev.jllm.train.TrainingArguments;
import dev.jllm.train.data.Dataset;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.HfFolderWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** {@code jllm train}: full fine-tuning (or LoRA) of a Hugging Face model folder with transformers' Trainer semantics. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Fine-tune a Hugging Face model folder (Llama, Mistral, Qwen2, Qwen3) on a JSON Lines / JSON dataset "
                + "with transformers' Trainer semantics, and save the result as a Hugging Face folder "
                + "(model.safetensors, config.json, tokenizer files) or, with --lora-r / --lora-adapter, a PEFT adapter.",
                "Training options are named after their TrainingArguments fields; unset ones take transformers' defaults "
                        + "(or the values of --config). Compute is float32 (master weights, gradients, activations; sums in double), as PyTorch fp32 training; "
                        + "--bf16 / --fp16 run the model as torch.autocast does, with float32 master weights."})
public final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json + safetensors).")
    Path model;

    @Option(names = "--dataset", required = true, description = "Rows as JSON Lines (.jsonl) or a JSON array (.json) "
            + "(a text field, or pre-tokenized input_ids with optional labels and attention_mask), CSV with a header row "
            + "(.csv; the text column), or plain text (.txt; one document per blank-line-separated paragraph).")
    Path dataset;

    @Option(names = "--text-field", defaultValue = "text", description = "Field holding each row's text.")
    String textField;

    @Mixin
    TrainingOptions training;

    @Option(names = "--pack-block-size", description = "Concatenate the rows (each followed by the tokenizer's EOS token) and cut "
            + "them into rows of exactly N tokens, dropping the remainder, as run_clm.py's group_texts; labels become the inputs.")
    Integer packBlockSize;

    @Option(names = "--validation-split", description = "Hold out this fraction of the rows (drawn with the seed) as validation "
            + "rows for --eval-strategy (default 0).")
    double validationSplit;

    @Option(names = "--max-length", description = "Truncate rows to this many tokens (default: the model's max_position_embeddings).")
    Integer maxLength;

    @Option(names = "--no-truncation", description = "Fail on a row longer than the maximum length instead of truncating it.")
    boolean noTruncation;

    @Option(names = "--lora-r", description = "Train a new LoRA adapter of this rank instead of all weights (PEFT init: A kaiming-uniform, B zero).")
    Integer loraR;

    @Option(names = "--lora-alpha", defaultValue = "8", description = "LoRA alpha; scaling is alpha/r (alpha/sqrt(r) with --use-rslora).")
    double loraAlpha;

    @Option(names = "--use-rslora", description = "rsLoRA scaling alpha/sqrt(r).")
    boolean useRslora;

    @Option(names = "--lora-target-modules", split = ",", defaultValue = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
            description = "Module names that get adapters.")
    List<String> loraTargets;

    @Option(names = "--lora-adapter", description = "Continue training this PEFT adapter folder (adapter_config.json + adapter_model.safetensors).")
    Path loraAdapter;

    @Override
    public Integer call() throws Exception {
        TrainingArguments args = training.arguments();
        CausalLm lm = CausalLm.load(model);
        LoraConfig lora = null;
        if (loraAdapter != null && loraR != null) throw new JllmException("give either --lora-adapter or --lora-r, not both");
        if (loraAdapter != null) lora = LoraAdapters.attach(lm, loraAdapter);
        if (loraR != null) {
            lora = new LoraConfig(loraR, loraAlpha, useRslora, loraTargets, null);
            LoraAdapters.attachNew(lm, lora, args.seed());
        }
        Function<String, int[]> encoder = null;
        int padId = 0;
        int separatorId = -1;
        boolean hasTokenizer = Files.isRegularFile(model.resolve("tokenizer.json")) || Files.isRegularFile(model.resolve("tokenizer.model"));
        if (hasTokenizer) {
            Tokenizer tokenizer = Tokenizer.load(model);
            encoder = text -> tokenizer.encode(text, true);
            // Padding is masked by position, so its id only has to be a valid token.
            padId = tokenizer.padTokenId().orElse(tokenizer.eosTokenId().orElse(0));
            separatorId = tokenizer.eosTokenId().orElse(-1);
        }
        int limit = maxLength != null ? maxLength : lm.config().maxPositionEmbeddings();
        Dataset data = Dataset.load(dataset, textField, encoder, lm.config().vocabSize(), limit, !noTruncation);
        if (packBlockSize != null) {
            if (packBlockSize > lm.config().maxPositionEmbeddings()) {
                throw new JllmException("--pack-block-size " + packBlockSize + " exceeds the model's max_position_embeddings " + lm.config().maxPositionEmbeddings());
            }
            int rows = data.size();
            data = data.packed(packBlockSize, separatorId);
            spec.commandLine().getOut().printf("packed %d row(s) into %d block(s) of %d tokens%n", rows, data.size(), packBlockSize);
        }
        LoraConfig adapter = lora;
        String baseName = model.toAbsolutePath().normalize().getFileName().toString();
        var printer = spec.commandLine().getOut();
        Dataset validation = null;
        if (validationSplit > 0) {
            Dataset.Split split = data.split(validationSplit, args.seed());
            data = split.train();
            validation = split.validation();
            printer.printf("%d training row(s), %d validation row(s)%n", data.size(), validation.size());
        }
        Trainer trainer = new Trainer(lm, args, data, padId, printer, training.logFile, dir -> {
            if (adapter != null) LoraAdapters.save(lm, adapter, dir, baseName);
            else HfFolderWriter.save(lm, model, dir);
        });
        if (validation != null) trainer.withEvalDataset(validation);
        trainer.withProgressBar(training.progressWriter(spec.commandLine().getErr()));
        Trainer.TrainOutput result = trainer.train();
        printer.println(result.describe());
        printer.println("saved " + (adapter != null ? "adapter" : "model") + " to " + args.outputDir());
        printer.flush();
        return 0;
    }

}
