package dev.jllm.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingArgumentsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void defaultsAreTransformers() {
        var a = TrainingArguments.defaults("out");
        assertEquals(5e-5, a.learningRate());
        assertEquals(8, a.perDeviceTrainBatchSize());
        assertEquals(3.0, a.numTrainEpochs());
        assertEquals("linear", a.lrSchedulerType());
        assertEquals(1.0, a.maxGradNorm());
        assertEquals(42, a.seed());
        assertEquals("adamw_torch", a.optim());
    }

    @Test
    void snakeCaseOverridesAndRoundTrip() throws Exception {
        var a = TrainingArguments.defaults("out").with("cfg.json", JSON.readTree("{\"learning_rate\":0.001,\"max_steps\":6,\"lr_scheduler_type\":\"cosine\"}"));
        assertEquals(1e-3, a.learningRate());
        assertEquals(6, a.maxSteps());
        assertEquals(a, TrainingArguments.defaults("x").with("again", a.toJson()));
    }

    @Test
    void unknownOrMistypedFieldsAreErrors() {
        var e = assertThrows(JllmException.class, () -> TrainingArguments.defaults("out").with("cfg.json", JSON.readTree("{\"learning_rat\":1}")));
        assertTrue(e.getMessage().contains("cfg.json") && e.getMessage().contains("learning_rat"), e.getMessage());
        e = assertThrows(JllmException.class, () -> TrainingArguments.defaults("out").with("cfg.json", JSON.readTree("{\"max_steps\":\"ten\"}")));
        assertTrue(e.getMessage().contains("max_steps"), e.getMessage());
        assertThrows(JllmException.class, () -> TrainingArguments.defaults("out").with("c", JSON.readTree("{\"optim\":\"adamw_4bit\"}")));
        assertThrows(JllmException.class, () -> TrainingArguments.defaults("out").with("c", JSON.readTree("{\"lr_scheduler_type\":\"cyclic\"}")));
    }
}
