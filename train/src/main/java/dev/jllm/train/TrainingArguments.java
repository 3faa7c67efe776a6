package dev.jllm.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.train.precision.Precision;
import dev.jllm.train.schedule.LrSchedule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The subset of transformers' {@code TrainingArguments} this trainer implements, with the same names (snake_case in
 * JSON) and defaults. {@code logging_steps} and {@code save_steps} below 1 are a fraction of the total steps, as in
 * transformers; {@code save_steps} 0 saves only at the end. {@code shuffle} is jllm's own: false keeps file order.
 * {@code eval_steps} and {@code save_total_limit} take null (transformers'
 * None) as 0: evaluate as often as logging, keep every checkpoint. {@code resume_from_checkpoint} names a {@code checkpoint-N} folder of an earlier run with the same arguments, or is
 * {@code true} (the string {@code "true"} on the command line) for the newest complete checkpoint in {@code output_dir}.
 * {@code bf16} / {@code fp16} select mixed-precision training ({@link Precision}); at most one may be true.
 */
public record TrainingArguments(
        String outputDir,
        double learningRate,
        double weightDecay,
        double numTrainEpochs,
        int maxSteps,
        int perDeviceTrainBatchSize,
        int gradientAccumulationSteps,
        int warmupSteps,
        double warmupRatio,
        String lrSchedulerType,
        double maxGradNorm,
        long seed,
        double loggingSteps,
        double saveSteps,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        String optim,
        boolean gradientCheckpointing,
        String resumeFromCheckpoint,
        boolean shuffle,
        String evalStrategy,
        double evalSteps,
        int perDeviceEvalBatchSize,
        int saveTotalLimit,
        boolean groupByLength,
        boolean bf16,
        boolean fp16) {

    public static final List<String> OPTIMIZERS = List.of("adamw_torch", "sgd", "adafactor", "paged_adamw_32bit", "adamw_8bit", "paged_adamw_8bit");
    public static final List<String> EVAL_STRATEGIES = List.of("no", "steps", "epoch");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** JSON name → record component, in declaration order. */
    private static final List<String> FIELDS = List.of("output_dir", "learning_rate", "weight_decay", "num_train_epochs",
            "max_steps", "per_device_train_batch_size", "gradient_accumulation_steps", "warmup_steps", "warmup_ratio",
            "lr_scheduler_type", "max_grad_norm", "seed", "logging_steps", "save_steps", "adam_beta1", "adam_beta2",
            "adam_epsilon", "optim", "gradient_checkpointing", "resume_from_checkpoint", "shuffle",
            "eval_strategy", "eval_steps", "per_device_eval_batch_size", "save_total_limit", "group_by_length",
            "bf16", "fp16");

    public TrainingArguments {
        if (outputDir == null || outputDir.isBlank()) throw new JllmException("output_dir is required");
        if (!(learningRate >= 0)) throw new JllmException("learning_rate must be >= 0, got " + learningRate);
        if (!(weightDecay >= 0)) throw new JllmException("weight_decay must be >= 0, got " + weightDecay);
        if (maxSteps <= 0 && !(numTrainEpochs > 0)) throw new JllmException("num_train_epochs must be > 0 when max_steps is not set, got " + numTrainEpochs);
        if (perDeviceTrainBatchSize <= 0) throw new JllmException("per_device_train_batch_size must be >= 1, got " + perDeviceTrainBatchSize);
        if (gradientAccumulationSteps <= 0) throw new JllmException("gradient_accumulation_steps must be >= 1, got " + gradientAccumulationSteps);
        if (warmupSteps < 0) throw new JllmException("warmup_steps must be >= 0, got " + warmupSteps);
        if (warmupRatio < 0 || warmupRatio > 1) throw new JllmException("warmup_ratio must lie in [0, 1], got " + warmupRatio);
        LrSchedule.Type.parse(lrSchedulerType);
        if (!(loggingSteps > 0)) throw new JllmException("logging_steps must be > 0, got " + loggingSteps);
        if (!(saveSteps >= 0)) throw new JllmException("save_steps must be >= 0, got " + saveSteps);
        if (!OPTIMIZERS.contains(optim)) throw new JllmException("optim '" + optim + "' is not one of " + OPTIMIZERS);
        if (!EVAL_STRATEGIES.contains(evalStrategy)) throw new JllmException("eval_strategy '" + evalStrategy + "' is not one of " + EVAL_STRATEGIES);
        if (!(evalSteps >= 0)) throw new JllmException("eval_steps must be >= 0 (0: same as logging_steps), got " + evalSteps);
        if (perDeviceEvalBatchSize <= 0) throw new JllmException("per_device_eval_batch_size must be >= 1, got " + perDeviceEvalBatchSize);
        if (saveTotalLimit < 0) throw new JllmException("save_total_limit must be >= 0 (0: keep every checkpoint), got " + saveTotalLimit);
        Precision.of(bf16, fp16);
    }

    /** The number format {@code bf16} / {@code fp16} select: FP32 when neither is set. */
    public Precision precision() {
        return Precision.of(bf16, fp16);
    }

    /** transformers' rule: {@code eval_steps} unset (0 here) evaluates as often as it logs. */
    public double effectiveEvalSteps() {
        return evalSteps > 0 ? evalSteps : loggingSteps;
    }

    /** transformers' defaults. */
    public static TrainingArguments defaults(String outputDir) {
        return new TrainingArguments(outputDir, 5e-5, 0.0, 3.0, -1, 8, 1, 0, 0.0, "linear", 1.0, 42, 500, 500,
                0.9, 0.999, 1e-8, "adamw_torch", false, null, true,
                "no", 0, 8, 0, false, false, false);
    }

    /** These arguments with the given snake_case fields replaced; unknown fields are an error naming the source. */
    public TrainingArguments with(String source, JsonNode overrides) {
        if (overrides == null || !overrides.isObject()) throw new JllmException(source + ": expected a JSON object of training arguments");
        ObjectNode merged = toJson();
        for (Iterator<Map.Entry<String, JsonNode>> it = overrides.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!FIELDS.contains(e.getKey())) {
                throw new JllmException(source + ": unknown training argument '" + e.getKey() + "' (supported: " + String.join(", ", FIELDS) + ")");
            }
            merged.set(e.getKey(), e.getValue());
        }
        return fromJson(source, merged);
    }

    /** Reads a JSON file of snake_case fields over transformers' defaults; {@code output_dir} may come from it or be preset. */
    public static TrainingArguments read(Path file, TrainingArguments base) {
        try {
            return base.with(file.toString(), JSON.readTree(Files.readString(file)));
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read training arguments: " + e.getMessage(), e);
        }
    }

    private static TrainingArguments fromJson(String source, ObjectNode n) {
        return new TrainingArguments(
                text(source, n, "output_dir"), real(source, n, "learning_rate"), real(source, n, "weight_decay"),
                real(source, n, "num_train_epochs"), integer(source, n, "max_steps"), integer(source, n, "per_device_train_batch_size"),
                integer(source, n, "gradient_accumulation_steps"), integer(source, n, "warmup_steps"), real(source, n, "warmup_ratio"),
                text(source, n, "lr_scheduler_type"), real(source, n, "max_grad_norm"), integer(source, n, "seed"),
                real(source, n, "logging_steps"), real(source, n, "save_steps"), real(source, n, "adam_beta1"),
                real(source, n, "adam_beta2"), real(source, n, "adam_epsilon"), text(source, n, "optim"),
                bool(source, n, "gradient_checkpointing"),
                resumeFrom(source, n), bool(source, n, "shuffle"),
                text(source, n, "eval_strategy"), optReal(source, n, "eval_steps"), integer(source, n, "per_device_eval_batch_size"),
                optInteger(source, n, "save_total_limit"), bool(source, n, "group_by_length"),
                bool(source, n, "bf16"), bool(source, n, "fp16"));
    }

    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("output_dir", outputDir);
        n.put("learning_rate", learningRate);
        n.put("weight_decay", weightDecay);
        n.put("num_train_epochs", numTrainEpochs);
        n.put("max_steps", maxSteps);
        n.put("per_device_train_batch_size", perDeviceTrainBatchSize);
        n.put("gradient_accumulation_steps", gradientAccumulationSteps);
        n.put("warmup_steps", warmupSteps);
        n.put("warmup_ratio", warmupRatio);
        n.put("lr_scheduler_type", lrSchedulerType);
        n.put("max_grad_norm", maxGradNorm);
        n.put("seed", seed);
        n.put("logging_steps", loggingSteps);
        n.put("save_steps", saveSteps);
        n.put("adam_beta1", adamBeta1);
        n.put("adam_beta2", adamBeta2);
        n.put("adam_epsilon", adamEpsilon);
        n.put("optim", optim);
        n.put("gradient_checkpointing", gradientCheckpointing);
        if (resumeFromCheckpoint == null) n.putNull("resume_from_checkpoint");
        else n.put("resume_from_checkpoint", resumeFromCheckpoint);
        n.put("shuffle", shuffle);
        n.put("eval_strategy", evalStrategy);
        n.put("eval_steps", evalSteps);
        n.put("per_device_eval_batch_size", perDeviceEvalBatchSize);
        n.put("save_total_limit", saveTotalLimit);
        n.put("group_by_length", groupByLength);
        n.put("bf16", bf16);
        n.put("fp16", fp16);
        return n;
    }

    private static String text(String source, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) throw new JllmException(source + ": field '" + field + "' must be a string, got " + v);
        return v.asText();
    }

    /** transformers takes a folder, or {@code true} for the newest checkpoint in output_dir ({@code false}: none). */
    private static String resumeFrom(String source, JsonNode n) {
        JsonNode v = n.get("resume_from_checkpoint");
        if (v != null && v.isBoolean()) return v.asBoolean() ? Trainer.RESUME_LATEST : null;
        return optText(source, n, "resume_from_checkpoint");
    }

    private static String optText(String source, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw new JllmException(source + ": field '" + field + "' must be a string or null, got " + v);
        return v.asText();
    }

    private static double real(String source, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) throw new JllmException(source + ": field '" + field + "' must be a number, got " + v);
        return v.asDouble();
    }

    /** A number, or null for transformers' None (stored as 0). */
    private static double optReal(String source, JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? 0 : real(source, n, field);
    }

    /** An integer, or null for transformers' None (stored as 0). */
    private static int optInteger(String source, JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? 0 : integer(source, n, field);
    }

    private static int integer(String source, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) throw new JllmException(source + ": field '" + field + "' must be an integer, got " + v);
        return v.asInt();
    }

    private static boolean bool(String source, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isBoolean()) throw new JllmException(source + ": field '" + field + "' must be true or false, got " + v);
        return v.asBoolean();
    }
}
