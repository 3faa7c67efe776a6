package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.train.ProgressBar;
import dev.jllm.train.TrainingArguments;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The options of transformers' {@code TrainingArguments}, kebab-cased, shared by the training commands; unset ones
 * take the values of {@code --config}, then transformers' defaults.
 */
public final class TrainingOptions {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String BF16_HELP = "Mixed precision as TrainingArguments(bf16=True), which runs the model under torch.autocast to bfloat16: matrix products read bfloat16 "
            + "copies of the float32 master weights (made once per optimizer step) and bfloat16 activations, and accumulate in float32; norms, "
            + "softmax, the loss and the residual stream stay float32; the activations kept for backward are stored in 16 bits (about half the "
            + "activation memory). Master weights, gradients and optimizer state stay float32. Java's Vector API has no bfloat16 arithmetic (the "
            + "CPU's AVX512-BF16 and AMX instructions are out of its reach), so the products run on the float32 kernel: it saves memory, "
            + "not time (default: off).";
    static final String FP16_HELP = "As --bf16 with IEEE float16, and transformers' dynamic loss scaling (torch GradScaler: initial scale "
            + "65536, halved and the step skipped, without a scheduler step, when a gradient overflows; doubled after 2000 clean steps; kept in "
            + "checkpoints). Excludes --bf16 (default: off).";

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

    @Option(names = "--optim", description = "adamw_torch (torch.optim.AdamW), paged_adamw_32bit (the same update, bit for bit, with both moments in memory-mapped, already-unlinked files the OS can page out), "
            + "adamw_8bit (bitsandbytes AdamW8bit: both moments stored block-wise in 8 bits, tensors under 4096 elements "
            + "keep full-precision state), paged_adamw_8bit (adamw_8bit with its state in memory-mapped files on the CPU, "
            + "which the OS can page out), sgd (torch.optim.SGD, no momentum) or adafactor (transformers Adafactor as the "
            + "Trainer builds it: factored second moments, the given learning rate, no momentum) (default adamw_torch).")
    String optim;

    @Option(names = "--gradient-checkpointing", negatable = true, description = "Keep only each layer's input in forward and "
            + "recompute the layer in backward: less activation memory for one more forward pass (default: off).")
    Boolean gradientCheckpointing;

    @Option(names = "--bf16", negatable = true, description = TrainingOptions.BF16_HELP)
    Boolean bf16;

    @Option(names = "--fp16", negatable = true, description = TrainingOptions.FP16_HELP)
    Boolean fp16;

    @Option(names = "--resume-from-checkpoint", description = "Continue an interrupted run from its checkpoint-N folder "
            + "(same dataset and options), or 'true' for the newest complete checkpoint-N in --output-dir: weights, optimizer "
            + "state, step and data position are restored exactly.")
    String resumeFromCheckpoint;

    @Option(names = "--shuffle", negatable = true, description = "Shuffle rows each epoch with the seed; --no-shuffle keeps file "
            + "order, so micro-batches are consecutive rows (default: shuffle).")
    Boolean shuffle;

    @Option(names = "--log-file", description = "Write one JSON line per logging step (step, loss, grad_norm, learning_rate, epoch) "
            + "and per evaluation (step, eval_loss, epoch).")
    Path logFile;

    @Option(names = "--eval-strategy", description = "no, steps (every --eval-steps and at the last step) or epoch: when to compute "
            + "the validation loss (default no; needs validation rows).")
    String evalStrategy;

    @Option(names = "--eval-steps", description = "Evaluate every N steps; below 1, a fraction of all steps (default: --logging-steps).")
    Double evalSteps;

    @Option(names = "--per-device-eval-batch-size", description = "Rows per validation batch (default 8).")
    Integer perDeviceEvalBatchSize;

    @Option(names = "--save-total-limit", description = "Keep only the newest N checkpoint-N folders, deleting older ones (default: keep all).")
    Integer saveTotalLimit;

    @Option(names = "--group-by-length", negatable = true, description = "Batch rows of similar length together "
            + "(transformers' LengthGroupedSampler: megabatches of up to 50 batches sorted by length, longest first) (default: off).")
    Boolean groupByLength;

    @Option(names = "--progress", description = "Progress bar on stderr ([step/total elapsed < ETA, it/s, Epoch e/E]): auto "
            + "(only when stderr is a terminal), always or never (default auto).")
    String progress = "auto";

    TrainingArguments arguments() {
        return arguments(null);
    }

    /** As {@link #arguments()}, with a command's own defaults ({@code commandDefaults}, snake_case) over transformers'. */
    TrainingArguments arguments(ObjectNode commandDefaults) {
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
        if (evalStrategy != null) o.put("eval_strategy", evalStrategy);
        if (evalSteps != null) o.put("eval_steps", evalSteps);
        if (perDeviceEvalBatchSize != null) o.put("per_device_eval_batch_size", perDeviceEvalBatchSize);
        if (saveTotalLimit != null) o.put("save_total_limit", saveTotalLimit);
        if (groupByLength != null) o.put("group_by_length", groupByLength);
        if (bf16 != null) o.put("bf16", bf16);
        if (fp16 != null) o.put("fp16", fp16);
        // output_dir may come from --config; a placeholder keeps the defaults valid until then.
        TrainingArguments base = TrainingArguments.defaults("\u0000unset");
        if (commandDefaults != null) base = base.with("command defaults", commandDefaults);
        if (config != null) base = TrainingArguments.read(config, base);
        TrainingArguments args = base.with("command line", o);
        if (args.outputDir().equals("\u0000unset")) throw new JllmException("--output-dir is required (or output_dir in --config)");
        return args;
    }

    /** Where the progress bar goes: stderr when asked, or when auto and stderr is a terminal; null for none. */
    PrintWriter progressWriter(PrintWriter err) {
        return switch (progress) {
            case "always" -> err;
            case "never" -> null;
            case "auto" -> ProgressBar.stderrIsTerminal() ? err : null;
            default -> throw new JllmException("--progress must be auto, always or never, got '" + progress + "'");
        };
    }
}
