package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import dev.jllm.testkit.TrainingReferences;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class FinetuneCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double LOSS_RTOL = 1e-4;
    private static final double ADAPTER_ATOL = 1e-4;

    @TempDir
    Path dir;

    /**
     * The acceptance check of issue 6: every LoRA reference run (training/ runs of kind lora, and quant/qlora on the
     * NF4 base) reproduced through {@code jllm finetune --init-adapter ... --no-shuffle} with the reference's settings:
     * every logged loss within 1e-4 relative, the final adapter within 1e-4.
     */
    @Test
    @Tag("conformance")
    void loraReferenceRunsThroughTheCli() throws Exception {
        var area = new Conformance("finetune");
        var runs = new ArrayList<Path>();
        for (Path run : Fixtures.list(Fixtures.resolve("training"), Files::isDirectory)) {
            if (Files.isRegularFile(run.resolve("config.json")) && JSON.readTree(run.resolve("config.json").toFile()).path("kind").asText().equals("lora")) runs.add(run);
        }
        for (Path run : Fixtures.list(Fixtures.resolve("quant"), Files::isDirectory)) {
            if (Files.isRegularFile(run.resolve("config.json")) && Files.isRegularFile(run.resolve("log.json"))
                    && JSON.readTree(run.resolve("config.json").toFile()).path("kind").asText().equals("lora")) runs.add(run);
        }
        for (Path run : runs) {
            String name = Fixtures.root().relativize(run).toString();
            area.check(name, () -> replay(run));
        }
        area.finish();
    }

    private void replay(Path run) throws Exception {
        JsonNode config = JSON.readTree(run.resolve("config.json").toFile());
        JsonNode hp = config.path("hyperparameters");
        Path work = Files.createTempDirectory(dir, "run");
        Path rows = work.resolve("rows.jsonl");
        TrainingReferences.writeRows(run, rows);
        Path base = hp.path("base").asText("").equals("nf4") ? Fixtures.resolve("quant", "stories260K-hf-bnb-nf4")
                : Fixtures.root().resolve(hp.path("base_model").asText());
        Path init = hp.has("init_from") ? Fixtures.root().resolve(hp.path("init_from").asText()) : run.resolve("initial_adapter");
        Path out = work.resolve("out");
        Path log = work.resolve("log.jsonl");
        CliRun r = CliRun.run("finetune", "--model", base.toString(), "--dataset", rows.toString(), "--init-adapter", init.toString(),
                "--no-shuffle", "--no-gradient-checkpointing", "--output-dir", out.toString(), "--log-file", log.toString(),
                "--learning-rate", hp.path("learning_rate").asText(), "--weight-decay", hp.path("weight_decay").asText(),
                "--warmup-steps", hp.path("warmup_steps").asText(), "--max-steps", hp.path("num_training_steps").asText(),
                "--max-grad-norm", hp.path("max_grad_norm").asText(), "--per-device-train-batch-size", hp.path("per_device_train_batch_size").asText(),
                "--gradient-accumulation-steps", hp.path("gradient_accumulation_steps").asText(),
                "--lr-scheduler-type", hp.path("lr_scheduler_type").asText(), "--logging-steps", "1", "--save-steps", "0");
        if (r.code() != 0) throw new AssertionError("exit " + r.code() + ": " + r.err());
        JsonNode expected = JSON.readTree(run.resolve("log.json").toFile()).path("steps");
        List<String> logged = Files.readAllLines(log);
        if (logged.size() != expected.size()) throw new AssertionError(logged.size() + " logged steps, expected " + expected.size());
        for (int i = 0; i < expected.size(); i++) {
            double want = expected.get(i).path("loss").asDouble();
            double got = JSON.readTree(logged.get(i)).path("loss").asDouble();
            if (Math.abs(got - want) > LOSS_RTOL * Math.abs(want)) throw new AssertionError("step " + i + " loss " + got + ", expected " + want);
        }
        try (var want = SafetensorsFile.open(run.resolve("final_adapter").resolve("adapter_model.safetensors"));
             var got = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            if (got.tensors().size() != want.tensors().size()) throw new AssertionError(got.tensors().size() + " adapter tensors");
            for (SafeTensor t : want.tensors()) {
                float[] e = t.toFloatArray(), a = got.tensor(t.name()).toFloatArray();
                for (int i = 0; i < e.length; i++) {
                    if (Math.abs(e[i] - a[i]) > ADAPTER_ATOL) throw new AssertionError(t.name() + "[" + i + "] = " + a[i] + ", expected " + e[i]);
                }
            }
        }
    }

    @Test
    void quantizeThenMergeWritesLoadableFolders() throws Exception {
        Path base = Fixtures.resolve("models", "stories260K-hf");
        Path q = dir.resolve("q");
        CliRun r = CliRun.run("quantize", "--model", base.toString(), "--quant-type", "nf4", "--double-quant", "--output", q.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("quantized 35 linear layers to nf4 with double quantization"), r.out());
        // the written layers are byte-identical to the bitsandbytes-format fixture
        try (var mine = SafetensorsFile.open(q.resolve("model.safetensors"));
             var ref = SafetensorsFile.open(Fixtures.resolve("quant", "stories260K-hf-bnb-nf4", "model.safetensors"))) {
            for (String n : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.4.mlp.down_proj.weight.absmax")) {
                assertArrayEquals(ref.tensor(n).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        mine.tensor(n).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), n);
            }
        }
        Path merged = dir.resolve("merged");
        r = CliRun.run("merge", "--model", q.toString(), "--adapter", Fixtures.resolve("training", "lora", "final_adapter").toString(), "--output", merged.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.readString(merged.resolve("config.json")).contains("quantization_config"));
        try (var m = SafetensorsFile.open(merged.resolve("model.safetensors"))) {
            assertEquals(48, m.tensors().size());
        }
    }

    /** LLM.int8 through the CLI: quantize to int8, finetune on it (and on the float model with --load-in-8bit), merge. */
    @Test
    void int8QuantizeFinetuneAndMerge() throws Exception {
        Path base = Fixtures.resolve("models", "stories260K-hf");
        Path q = dir.resolve("q8");
        CliRun r = CliRun.run("quantize", "--model", base.toString(), "--quant-type", "int8", "--output", q.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("quantized 35 linear layers to int8 (LLM.int8, outlier threshold 6.0)"), r.out());
        JsonNode qc = JSON.readTree(q.resolve("config.json").toFile()).path("quantization_config");
        assertTrue(qc.path("load_in_8bit").asBoolean());
        try (var f = SafetensorsFile.open(q.resolve("model.safetensors"))) {
            assertEquals(dev.jllm.core.tensor.DType.I8, f.tensor("model.layers.0.self_attn.q_proj.weight").dtype());
            assertEquals(dev.jllm.core.tensor.DType.F32, f.tensor("model.layers.0.self_attn.q_proj.SCB").dtype());
            assertEquals(dev.jllm.core.tensor.DType.U8, f.tensor("model.layers.0.self_attn.q_proj.weight_format").dtype());
        }
        Path rows = dir.resolve("rows8.jsonl");
        Files.writeString(rows, "{\"input_ids\": [1, 403, 407, 261, 378], \"labels\": [1, 403, 407, 261, 378]}\n"
                + "{\"input_ids\": [1, 432, 383, 286], \"labels\": [1, 432, 383, 286]}\n");
        Path out = dir.resolve("a8");
        r = CliRun.run("finetune", "--model", q.toString(), "--dataset", rows.toString(), "--max-steps", "2", "--llm-int8-threshold", "0",
                "--save-steps", "0", "--output-dir", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("loaded a bitsandbytes int8 (LLM.int8, no outlier decomposition) checkpoint"), r.out());
        r = CliRun.run("finetune", "--model", base.toString(), "--dataset", rows.toString(), "--max-steps", "2", "--load-in-8bit",
                "--save-steps", "0", "--output-dir", dir.resolve("b8").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("quantized 35 linear layers to int8 (LLM.int8, outlier threshold 6.0)"), r.out());
        r = CliRun.run("finetune", "--model", base.toString(), "--dataset", rows.toString(), "--load-in-8bit", "--load-in-4bit", "--output-dir", dir.resolve("c8").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("exclude each other"), r.err());
        r = CliRun.run("finetune", "--model", base.toString(), "--dataset", rows.toString(), "--llm-int8-threshold", "3", "--output-dir", dir.resolve("d8").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--load-in-8bit"), r.err());
        Path merged = dir.resolve("merged8");
        r = CliRun.run("merge", "--model", q.toString(), "--adapter", out.toString(), "--output", merged.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.readString(merged.resolve("config.json")).contains("quantization_config"));
    }

    @Test
    void generateWithAdapterEqualsTheMergedModel() {
        Path merged = dir.resolve("m");
        String adapter = Fixtures.resolve("training", "lora", "final_adapter").toString();
        String base = Fixtures.resolve("models", "stories260K-hf").toString();
        assertEquals(0, CliRun.run("merge", "--model", base, "--adapter", adapter, "--output", merged.toString()).code());
        CliRun withAdapter = CliRun.run("generate", "--model", base, "--adapter", adapter, "--prompt", "Once upon a time", "--max-new-tokens", "16");
        CliRun onMerged = CliRun.run("generate", "--model", merged.toString(), "--prompt", "Once upon a time", "--max-new-tokens", "16");
        assertEquals(0, withAdapter.code(), withAdapter.err());
        String text = withAdapter.out().lines().findFirst().orElseThrow();
        assertEquals(onMerged.out().lines().findFirst().orElseThrow(), text);
    }

    @Test
    void badAdapterIsAClearError() throws Exception {
        Path adapter = dir.resolve("bad");
        Files.createDirectories(adapter);
        Path src = Fixtures.resolve("training", "lora", "final_adapter");
        Files.copy(src.resolve("adapter_config.json"), adapter.resolve("adapter_config.json"));
        try (var f = SafetensorsFile.open(src.resolve("adapter_model.safetensors"))) {
            var kept = new ArrayList<>(f.tensors());
            kept.removeFirst();
            dev.jllm.core.safetensors.SafetensorsWriter.write(adapter.resolve("adapter_model.safetensors"), kept, java.util.Map.of());
        }
        CliRun r = CliRun.run("merge", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--adapter", adapter.toString(),
                "--output", dir.resolve("out").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("missing tensor"), r.err());
    }

    private static final String CHAT_ROWS = """
            {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Once upon a time"}]}
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell a story"}, {"role": "assistant", "content": "Lily had a ball."}]}
            """;

    private CliRun finetuneChat(Path model, String... extra) throws Exception {
        Path rows = Files.writeString(Files.createTempFile(dir, "chat", ".jsonl"), CHAT_ROWS);
        var args = new ArrayList<>(List.of("finetune", "--model", model.toString(), "--dataset", rows.toString(), "--max-steps", "2",
                "--per-device-train-batch-size", "2", "--save-steps", "0", "--output-dir", Files.createTempDirectory(dir, "out").toString()));
        args.addAll(List.of(extra));
        return CliRun.run(args.toArray(String[]::new));
    }

    private static double trainingLoss(CliRun r) {
        var m = java.util.regex.Pattern.compile("training_loss=([0-9.]+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        return Double.parseDouble(m.group(1));
    }

    @Test
    void messagesRowsTrainThroughTheChatTemplate() throws Exception {
        Path base = Fixtures.resolve("models", "stories260K-hf");
        CliRun all = finetuneChat(base);
        assertEquals(0, all.code(), all.err());
        assertTrue(all.out().contains("dataset: 2 training rows, 0 held out, 0 cut to max_length"), all.out());

        // stories260K's template has no {% generation %} block: assistant_only_loss is refused, as TRL does.
        CliRun refused = finetuneChat(base, "--assistant-only-loss");
        assertEquals(2, refused.code(), refused.out());
        assertTrue(refused.err().contains("assistant_only_loss needs a chat template") && refused.err().contains("{% generation %}"), refused.err());

        // The same model with a template that marks the assistant turns (chat_template.jinja wins over tokenizer_config.json).
        Path marked = dir.resolve("marked");
        Files.createDirectories(marked);
        try (var files = Files.list(base)) {
            for (Path f : files.toList()) Files.createSymbolicLink(marked.resolve(f.getFileName()), f.toAbsolutePath());
        }
        Files.writeString(marked.resolve("chat_template.jinja"), "{{ bos_token }}{% for message in messages %}"
                + "{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}"
                + "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}"
                + "{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' }}{% generation %}{{ message['content'] + eos_token }}{% endgeneration %}{{ '\\n' }}"
                + "{% endif %}{% endfor %}");
        CliRun assistantOnly = finetuneChat(marked, "--assistant-only-loss");
        assertEquals(0, assistantOnly.code(), assistantOnly.err());
        CliRun markedAll = finetuneChat(marked);
        assertEquals(0, markedAll.code(), markedAll.err());
        // Same rows and weights, fewer labelled tokens: the losses differ.
        assertNotEquals(trainingLoss(markedAll), trainingLoss(assistantOnly));
        assertEquals(trainingLoss(all), trainingLoss(markedAll), 1e-12, "the generation markers do not change the rendered text");
    }

    /** PEFT's layers_to_transform and bias through the CLI: only layer 1 adapted; a Llama base has no biases, so bias=all adds none. */
    @Test
    void layersToTransformAndBiasAreWrittenAsPeftWritesThem() throws Exception {
        Path rows = dir.resolve("rows.jsonl");
        Files.writeString(rows, "{\"input_ids\": [1, 403, 407, 261, 378], \"labels\": [1, 403, 407, 261, 378]}\n"
                + "{\"input_ids\": [1, 432, 383, 286], \"labels\": [1, 432, 383, 286]}\n");
        Path out = dir.resolve("out");
        CliRun r = CliRun.run("finetune", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", rows.toString(),
                "--target-modules", "q_proj,v_proj", "--layers-to-transform", "1", "--bias", "all", "--max-steps", "1",
                "--save-steps", "0", "--output-dir", out.toString());
        assertEquals(0, r.code(), r.err());
        // stories260K-hf: hidden 64, 8 heads, 4 KV heads of 8: q_proj 64->64, v_proj 64->32; r=8 on layer 1 only
        long trainable = 8 * (64 + 64) + 8 * (64 + 32);
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "trainable params: %,d ||", trainable)), r.out());
        JsonNode config = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("all", config.path("bias").asText());
        assertEquals("[1]", config.path("layers_to_transform").toString());
        assertTrue(config.path("layers_pattern").isNull());
        try (var f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            var names = new java.util.TreeSet<String>();
            for (SafeTensor t : f.tensors()) names.add(t.name());
            assertEquals(java.util.Set.of("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"), names);
        }
        // the same fields from --config in snake_case, as PEFT spells them (one integer and one pattern string allowed)
        Path json = dir.resolve("lora.json");
        Files.writeString(json, "{\"target_modules\": [\"q_proj\"], \"layers_to_transform\": 0, \"layers_pattern\": \"layers\", \"bias\": \"lora_only\"}");
        Path out2 = dir.resolve("out2");
        CliRun fromConfig = CliRun.run("finetune", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", rows.toString(),
                "--config", json.toString(), "--max-steps", "1", "--save-steps", "0", "--output-dir", out2.toString());
        assertEquals(0, fromConfig.code(), fromConfig.err());
        assertTrue(fromConfig.out().contains("trainable params: 1,024 ||"), fromConfig.out());
        JsonNode written = JSON.readTree(out2.resolve("adapter_config.json").toFile());
        assertEquals("lora_only", written.path("bias").asText());
        assertEquals("[0]", written.path("layers_to_transform").toString());
        assertEquals("layers", written.path("layers_pattern").asText());

        // modules_to_save: stories260K-hf's untied lm_head (512 x 64) trains whole and is saved under its own name
        Path out3 = dir.resolve("out3");
        CliRun saved = CliRun.run("finetune", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", rows.toString(),
                "--target-modules", "q_proj,v_proj", "--layers-to-transform", "1", "--modules-to-save", "lm_head", "--max-steps", "1",
                "--save-steps", "0", "--output-dir", out3.toString());
        assertEquals(0, saved.code(), saved.err());
        assertTrue(saved.out().contains(String.format(java.util.Locale.ROOT, "trainable params: %,d ||", trainable + 512 * 64)), saved.out());
        assertEquals("[\"lm_head\"]", JSON.readTree(out3.resolve("adapter_config.json").toFile()).path("modules_to_save").toString());
        try (var f = SafetensorsFile.open(out3.resolve("adapter_model.safetensors"))) {
            assertTrue(f.has("base_model.model.lm_head.weight"));
        }

        CliRun bad = CliRun.run("finetune", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", rows.toString(),
                "--bias", "everything", "--output-dir", dir.resolve("bad").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("none, all or lora_only"), bad.err());
    }

    /**
     * QLoRA with dropout, stopped after its checkpoint and resumed with {@code --resume-from-checkpoint true}, logs
     * the same lines and saves the same adapter as the uninterrupted run, for each optimizer with state.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"paged_adamw_32bit", "paged_adamw_8bit"})
    void qloraResumesFromItsNewestCheckpointExactly(String optim) throws Exception {
        String model = Fixtures.resolve("models", "stories260K-hf").toString();
        // the first rows of lamini_docs with short answers, so completions survive a short max_length
        Path rows = dir.resolve("rows.jsonl");
        var lines = new ArrayList<String>();
        for (String line : Files.readAllLines(Fixtures.resolve("datasets", "lamini_docs.jsonl")).subList(0, 16)) {
            var row = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(line);
            String answer = row.path("answer").asText();
            row.put("answer", answer.substring(0, Math.min(80, answer.length())));
            lines.add(JSON.writeValueAsString(row));
        }
        Files.write(rows, lines);
        String data = rows.toString();
        java.util.function.Function<String, List<String>> args = name -> List.of("finetune", "--model", model, "--dataset", data,
                "--prompt-field", "question", "--completion-field", "answer", "--max-length", "96", "--load-in-4bit",
                "--bnb-4bit-use-double-quant", "--lora-r", "4", "--lora-dropout", "0.1", "--optim", optim,
                "--per-device-train-batch-size", "2", "--learning-rate", "1e-3", "--logging-steps", "1", "--save-steps", "2",
                "--output-dir", dir.resolve(name).toString(), "--log-file", dir.resolve(name + ".jsonl").toString());
        var whole = new ArrayList<>(args.apply("whole"));
        whole.addAll(List.of("--max-steps", "4"));
        CliRun w = CliRun.run(whole.toArray(String[]::new));
        assertEquals(0, w.code(), w.err());
        // the same run again, then what came after its checkpoint-2 taken away, as a kill during step 3 would leave it
        var part = new ArrayList<>(args.apply("part"));
        part.addAll(List.of("--max-steps", "4"));
        CliRun p = CliRun.run(part.toArray(String[]::new));
        assertEquals(0, p.code(), p.err());
        Files.delete(dir.resolve("part/adapter_model.safetensors"));
        part.addAll(List.of("--resume-from-checkpoint", "true"));
        CliRun r = CliRun.run(part.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Resuming from " + dir.resolve("part").resolve("checkpoint-2") + " at step 2"), r.out());
        List<String> log = Files.readAllLines(dir.resolve("whole.jsonl"));
        assertEquals(4, log.size());
        for (String line : log) assertTrue(JSON.readTree(line).path("loss").asDouble() > 1, line);
        assertEquals(log, Files.readAllLines(dir.resolve("part.jsonl")));
        assertArrayEquals(Files.readAllBytes(dir.resolve("whole").resolve("adapter_model.safetensors")),
                Files.readAllBytes(dir.resolve("part").resolve("adapter_model.safetensors")));
    }
}
