package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** {@code jllm train}: full fine-tuning (or LoRA) of a Hugging Face model folder with transformers' Trainer semantics. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Fine-tune a Hugging Face model folder (Llama, Mistral, Qwen2, Qwen3) on a JSON Lines / JSON dataset "
                + "with transformers' Trainer semantics, and save the result as a Hugging Face folder "
                + "(model.safetensors, config.json, tokenizer files) or, with --lora-r / --lora-adapter, a PEFT adapter.",
                "Training options are named after their TrainingArguments fields; unset ones take transformers' defaults "
                        + "(or the values of --config). Compute is float64 (matrix products optionally float32) with float32 checkpoints."})
public final class TrainCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json + safetensors).")
    Path model;

    @Option(names = "--dataset", required = true, description = "Rows as JSON Lines (.jsonl) or a JSON array (.json): "
            + "a text field, or pre-tokenized input_ids with optional labels and attention_mask.")
    Path dataset;

    @Option(names = "--text-field", defaultValue = "text", description = "Field holding each row's text.")
    String textField;

    @Option(names = "--config", description = "JSON file of TrainingArguments fields in snake_case; command-line options override it.")
    Path config;

    @Option(names = "--output-dir", description = "Where the model and checkpoint-N folders go (TrainingArguments output_dir; required here or in --config).")
    String outputDir;

    @Option(names = "--learning-rate", description = "Peak learning rate (transformers default 5e-5).")
    Double learningRate;

    @Option(names = "--weight-decay", description = "Decoupled weight decay; biases and norm weights never decay (default 0).")
    Double weightDecay;

    @Option(names = "--num-train-epochs", description = "Epochs when --max-steps is not set (default 3).")
    Double numTrainEpochs;

    @Option(names = "--max-steps", description = "Optimizer steps; overrides --num-train-epochs when > 0 (default -1).")
    Integer maxSteps;

    @Option(names = "--per-device-train-batch-size", description = "Rows per micro-batch (default 8).")
    Integer perDeviceTrainBatchSize;

    @Option(names = "--gradient-accumulation-steps", description = "Micro-batches per optimizer step (default 1).")
    Integer gradientAccumulationSteps;

    @Option(names = "--warmup-steps", description = "Linear warmup steps (default 0).")
    Integer warmupSteps;

    @Option(names = "--warmup-ratio", description = "Warmup as a fraction of all steps, when --warmup-steps is 0 (default 0).")
    Double warmupRatio;

    @Option(names = "--lr-scheduler-type", description = "linear, cosine, cosine_with_restarts, polynomial, constant, "
            + "constant_with_warmup or inverse_sqrt (default linear).")
    String lrSchedulerType;

    @Option(names = "--max-grad-norm", description = "Clip the global gradient norm to this; 0 disables (default 1.0).")
    Double maxGradNorm;

    @Option(names = "--seed", description = "Seed for shuffling and adapter initialization (default 42).")
    Long seed;

    @Option(names = "--logging-steps", description = "Log every N steps; below 1, a fraction of all steps (default 500).")
    Double loggingSteps;

    @Option(names = "--save-steps", description = "Save checkpoint-N every N steps; 0 only at the end (default 500).")
    Double saveSteps;

    @Option(names = "--adam-beta1", description = "AdamW beta1 (default 0.9).")
    Double adamBeta1;

    @Option(names = "--adam-beta2", description = "AdamW beta2 (default 0.999).")
    Double adamBeta2;

    @Option(names = "--adam-epsilon", description = "AdamW epsilon (default 1e-8).")
    Double adamEpsilon;

    @Option(names = "--optim", description = "adamw_torch (torch.optim.AdamW) or sgd (torch.optim.SGD, no momentum) (default adamw_torch).")
    String optim;

    @Option(names = "--gradient-checkpointing", negatable = true, description = "Keep only each layer's input in forward and "
            + "recompute the layer in backward: less activation memory for one more forward pass (default: off).")
    Boolean gradientCheckpointing;

    @Option(names = "--matmul-precision", description = "float64 (default; matches a float64 reference) or float32: matrix "
            + "products in float32 summed in float64 every 256 terms (about 1.5x faster products, float32 training's rounding).")
    String matmulPrecision;

    @Option(names = "--resume-from-checkpoint", description = "Continue an interrupted run from its checkpoint-N folder "
            + "(same dataset and options): weights, optimizer state, step and data position are restored exactly.")
    String resumeFromCheckpoint;

    @Option(names = "--shuffle", negatable = true, description = "Shuffle rows each epoch with the seed; --no-shuffle keeps file "
            + "order, so micro-batches are consecutive rows (default: shuffle).")
    Boolean shuffle;

    @Option(names = "--log-file", description = "Write one JSON line per logging step (step, loss, grad_norm, learning_rate, epoch).")
    Path logFile;

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
        TrainingArguments args = arguments();
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
        boolean hasTokenizer = Files.isRegularFile(model.resolve("tokenizer.json")) || Files.isRegularFile(model.resolve("tokenizer.model"));
        if (hasTokenizer) {
            Tokenizer tokenizer = Tokenizer.load(model);
            encoder = text -> tokenizer.encode(text, true);
            // Padding is masked by position, so its id only has to be a valid token.
            padId = tokenizer.padTokenId().orElse(tokenizer.eosTokenId().orElse(0));
        }
        int limit = maxLength != null ? maxLength : lm.config().maxPositionEmbeddings();
        Dataset data = Dataset.load(dataset, textField, encoder, lm.config().vocabSize(), limit, !noTruncation);
        LoraConfig adapter = lora;
        String baseName = model.toAbsolutePath().normalize().getFileName().toString();
        var printer = spec.commandLine().getOut();
        Trainer trainer = new Trainer(lm, args, data, padId, printer, logFile, dir -> {
            if (adapter != null) LoraAdapters.save(lm, adapter, dir, baseName);
            else HfFolderWriter.save(lm, model, dir);
        });
        Trainer.TrainOutput result = trainer.train();
        printer.printf(Locale.ROOT, "TrainOutput(global_step=%d, training_loss=%.6f, metrics={'train_runtime': %.4f, "
                        + "'train_samples_per_second': %.3f, 'train_steps_per_second': %.3f, 'train_loss': %.6f, "
                        + "'num_tokens': %d, 'mean_token_accuracy': %.6f})%n",
                result.globalStep(), result.trainingLoss(), result.trainRuntime(), result.trainSamplesPerSecond(),
                result.trainStepsPerSecond(), result.trainingLoss(), result.numTokens(), result.meanTokenAccuracy());
        printer.println("saved " + (adapter != null ? "adapter" : "model") + " to " + args.outputDir());
        printer.flush();
        return 0;
    }

    private TrainingArguments arguments() {
        ObjectNode o = JSON.createObjectNode();
        if (outputDir != null) o.put("output_dir", outputDir);
        if (learningRate != null) o.put("learning_rate", learningRate);
        if (weightDecay != null) o.put("weight_decay", weightDecay);
        if (numTrainEpochs != null) o.put("num_train_epochs", numTrainEpochs);
        if (maxSteps != null) o.put("max_steps", maxSteps);
        if (perDeviceTrainBatchSize != null) o.put("per_device_train_batch_size", perDeviceTrainBatchSize);
        if (gradientAccumulationSteps != null) o.put("gradient_accumulation_steps", gradientAccumulationSteps);
        if (warmupSteps != null) o.put("warmup_steps", warmupSteps);
        if (warmupRatio != null) o.put("warmup_ratio", warmupRatio);
        if (lrSchedulerType != null) o.put("lr_scheduler_type", lrSchedulerType);
        if (maxGradNorm != null) o.put("max_grad_norm", maxGradNorm);
        if (seed != null) o.put("seed", seed);
        if (loggingSteps != null) o.put("logging_steps", loggingSteps);
        if (saveSteps != null) o.put("save_steps", saveSteps);
        if (adamBeta1 != null) o.put("adam_beta1", adamBeta1);
        if (adamBeta2 != null) o.put("adam_beta2", adamBeta2);
        if (adamEpsilon != null) o.put("adam_epsilon", adamEpsilon);
        if (optim != null) o.put("optim", optim);
        if (shuffle != null) o.put("shuffle", shuffle);
        if (gradientCheckpointing != null) o.put("gradient_checkpointing", gradientCheckpointing);
        if (resumeFromCheckpoint != null) o.put("resume_from_checkpoint", resumeFromCheckpoint);
        if (matmulPrecision != null) o.put("matmul_precision", matmulPrecision);
        // output_dir may come from --config; a placeholder keeps the defaults valid until then.
        TrainingArguments base = TrainingArguments.defaults("\u0000unset");
        if (config != null) base = TrainingArguments.read(config, base);
        TrainingArguments args = base.with("command line", o);
        if (args.outputDir().equals("\u0000unset")) throw new JllmException("--output-dir is required (or output_dir in --config)");
        return args;
    }
}
