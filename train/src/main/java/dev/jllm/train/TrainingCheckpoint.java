package dev.jllm.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.optim.Optimizer;
import dev.jllm.train.precision.GradScaler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@code checkpoint-N} folder adds to the saved model so that training resumes exactly as if never stopped:
 * {@code optimizer.safetensors} holds the float32 master values of every trained parameter (the model file holds
 * the same values; adapters and 4-bit models store theirs elsewhere) and the optimizer's state, bit for bit; {@code trainer_state.json} holds the step and the running totals,
 * the scheduler's step count (behind the global step after fp16 skipped steps) and fp16's loss scaler. The data
 * order needs no state: it is a function of the seed and the epoch.
 */
public final class TrainingCheckpoint {
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String STATE_FILE = "trainer_state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingCheckpoint() {}

    /** Running totals of a training run at a step boundary; {@code scaler} is null unless the run is fp16. */
    public record State(int globalStep, double lossTotal, int samples, long tokens, long correct, long counted,
                        double lossSinceLog, int stepsSinceLog, long inputTokens, int schedulerSteps, GradScaler.Snapshot scaler) {}

    public static void save(Path dir, List<Parameter> trainable, Optimizer optimizer, State state) {
        var tensors = new ArrayList<SafeTensor>();
        for (Parameter p : trainable) tensors.add(f32("param/" + p.name(), p.value()));
        for (var e : optimizer.state().entrySet()) tensors.add(f32(e.getKey(), e.getValue()));
        try {
            Files.createDirectories(dir);
            SafetensorsWriter.write(dir.resolve(OPTIMIZER_FILE), tensors, Map.of("format", "jllm", "optimizer_steps", Long.toString(optimizer.steps())));
            ObjectNode n = JSON.createObjectNode();
            n.put("global_step", state.globalStep());
            n.put("loss_total", state.lossTotal());
            n.put("samples", state.samples());
            n.put("num_tokens", state.tokens());
            n.put("correct_tokens", state.correct());
            n.put("counted_tokens", state.counted());
            n.put("loss_since_log", state.lossSinceLog());
            n.put("steps_since_log", state.stepsSinceLog());
            n.put("input_tokens", state.inputTokens());
            n.put("scheduler_steps", state.schedulerSteps());
            if (state.scaler() != null) {
                ObjectNode scaler = n.putObject("grad_scaler");
                scaler.put("scale", state.scaler().scale());
                scaler.put("growth_tracker", state.scaler().growthTracker());
            }
            Path tmp = dir.resolve(STATE_FILE + ".tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
            Files.move(tmp, dir.resolve(STATE_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(dir + ": cannot write the training checkpoint: " + e.getMessage(), e);
        }
    }

    /** Restores parameters and optimizer state from {@code dir}; returns the totals to continue from. */
    public static State load(Path dir, List<Parameter> trainable, Optimizer optimizer) {
        Path stateFile = dir.resolve(STATE_FILE);
        Path optFile = dir.resolve(OPTIMIZER_FILE);
        if (!Files.isRegularFile(stateFile) || !Files.isRegularFile(optFile)) {
            throw new JllmException(dir + ": not a training checkpoint (needs " + STATE_FILE + " and " + OPTIMIZER_FILE + ")");
        }
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(stateFile));
        } catch (IOException e) {
            throw new JllmException(stateFile + ": cannot read: " + e.getMessage(), e);
        }
        for (String f : List.of("global_step", "loss_total", "samples", "num_tokens", "correct_tokens", "counted_tokens",
                "loss_since_log", "steps_since_log")) {
            if (!n.path(f).isNumber()) throw new JllmException(stateFile + ": field '" + f + "' is missing or not a number");
        }
        var state = new State(n.get("global_step").asInt(), n.get("loss_total").asDouble(), n.get("samples").asInt(),
                n.get("num_tokens").asLong(), n.get("correct_tokens").asLong(), n.get("counted_tokens").asLong(),
                n.get("loss_since_log").asDouble(), n.get("steps_since_log").asInt(),
                // older checkpoints lack it; it only feeds total_flos
                n.path("input_tokens").asLong(0),
                // older checkpoints predate skipped steps: the scheduler stepped with every global step
                n.path("scheduler_steps").asInt(n.get("global_step").asInt()),
                scaler(stateFile, n.get("grad_scaler")));
        try (SafetensorsFile f = SafetensorsFile.open(optFile)) {
            // Checkpoints written before the float32 engine hold float64 values; they load rounded to float32.
            Map<String, float[]> saved = new HashMap<>();
            for (SafeTensor t : f.tensors()) saved.put(t.name(), t.toFloatArray());
            for (Parameter p : trainable) {
                float[] v = saved.get("param/" + p.name());
                if (v == null || v.length != p.size()) {
                    throw new JllmException(optFile + ": no values of the right size for parameter '" + p.name() + "'");
                }
                System.arraycopy(v, 0, p.value(), 0, v.length);
            }
            long steps;
            try {
                steps = Long.parseLong(f.metadata().getOrDefault("optimizer_steps", ""));
            } catch (NumberFormatException e) {
                throw new JllmException(optFile + ": metadata 'optimizer_steps' is missing or not an integer");
            }
            optimizer.restore(saved, steps);
        }
        return state;
    }

    private static GradScaler.Snapshot scaler(Path file, JsonNode s) {
        if (s == null || s.isNull()) return null;
        if (!s.path("scale").isNumber() || !s.path("growth_tracker").canConvertToInt()) {
            throw new JllmException(file + ": field 'grad_scaler' needs a number 'scale' and an integer 'growth_tracker'");
        }
        float scale = s.get("scale").floatValue();
        if (!(scale > 0) || Float.isInfinite(scale) || s.get("growth_tracker").asInt() < 0) {
            throw new JllmException(file + ": field 'grad_scaler' holds scale " + s.get("scale") + " and growth_tracker " + s.get("growth_tracker")
                    + "; expected a positive finite scale and a tracker >= 0");
        }
        return new GradScaler.Snapshot(scale, s.get("growth_tracker").asInt());
    }

    private static SafeTensor f32(String name, float[] values) {
        return SafeTensor.ofFloats(name, new long[]{values.length}, values);
    }
}
