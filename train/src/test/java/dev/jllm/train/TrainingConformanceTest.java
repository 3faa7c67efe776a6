package dev.jllm.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import dev.jllm.train.data.Batch;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.optim.AdamW;
import dev.jllm.train.optim.ParamGroup;
import dev.jllm.train.schedule.LrSchedule;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays every PyTorch reference run under {@code training/} whose kind this engine supports and compares each
 * step's loss, gradient norm, clip coefficient and learning rate, the step-0 gradients, and the final weights.
 */
@Tag("conformance")
class TrainingConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void referenceRuns() throws Exception {
        var area = new Conformance("training");
        Path root = Fixtures.resolve("training");
        for (Path run : Fixtures.list(root, Files::isDirectory)) {
            String name = run.getFileName().toString();
            if (Files.isRegularFile(run.resolve("merged_model.safetensors"))) {
                ReferenceRuns.checkMerged(area, run, name);
                continue;
            }
            if (!Files.isRegularFile(run.resolve("config.json")) || !Files.isRegularFile(run.resolve("log.json"))) {
                area.fail(name, "neither a training run (config.json + log.json) nor a merge check (merged_model.safetensors)");
                continue;
            }
            JsonNode config = JSON.readTree(run.resolve("config.json").toFile());
            String kind = config.path("kind").asText();
            switch (kind) {
                case "full" -> {
                    replay(area, run, config, name);
                    ReferenceRuns.replayWithTrainer(area, run, config, name);
                }
                case "lora" -> ReferenceRuns.replayLora(area, run, config, name);
                default -> area.fail(name, "unknown run kind '" + kind + "'");
            }
        }
        area.finish();
        ReferenceRuns.printWorst();
    }

    private static void replay(Conformance area, Path run, JsonNode config, String name) throws Exception {
        JsonNode hp = config.path("hyperparameters");
        CausalLm model = CausalLm.load(Fixtures.root().resolve(hp.path("base_model").asText()));
        ReferenceRuns.checkDecaySets(area, name, config, model.trainableParameters(), "");
        var groups = ParamGroup.withDecay(model.trainableParameters(), hp.path("weight_decay").asDouble());
        var optimizer = new AdamW(groups, hp.path("adam_beta1").asDouble(), hp.path("adam_beta2").asDouble(), hp.path("adam_epsilon").asDouble());
        var schedule = ReferenceRuns.schedule(hp);
        var engine = new StepEngine(model, optimizer, schedule, hp.path("max_grad_norm").asDouble());
        ReferenceRuns.replaySteps(area, run, name, engine, model.trainableParameters(), "");
        try (var expected = SafetensorsFile.open(run.resolve("final_model.safetensors"))) {
            ReferenceRuns.context = name + " final_model";
            area.check(name + "/final_model", () -> {
                for (SafeTensor t : expected.tensors()) ReferenceRuns.assertClose(t, model.parameter(t.name()).value(), ReferenceRuns.WEIGHT_ATOL);
            });
        }
    }
}
