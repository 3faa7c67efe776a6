package dev.jllm.model;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.gguf.GgufFile;
import dev.jllm.core.gguf.GgufTensor;
import dev.jllm.core.gguf.GgufWriter;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.model.convert.ModelConverter;
import dev.jllm.model.synth.RandomModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Broken models fail with one message naming the file and the tensor or field. */
class BadInputTest {
    @TempDir
    static Path tmp;
    static Path gguf;
    static Path hf;

    @BeforeAll
    static void writeTinyModel() {
        gguf = tmp.resolve("tiny.gguf");
        RandomModel.writeGguf(gguf, RandomModel.Shape.tiny(), GgmlType.F32, 7);
        hf = tmp.resolve("tiny-hf");
        ModelConverter.convert(gguf, hf);
    }

    private static Path copyHf(String name) throws Exception {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors")) {
            Files.copy(hf.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    private static JllmException loadFails(Path p) {
        return assertThrows(JllmException.class, () -> {
            try (Model m = Model.load(p)) {
                fail("loaded " + m.config());
            }
        });
    }

    @Test
    void tinyModelLoadsAndRuns() {
        try (Model m = Model.load(hf)) {
            float[][] logits = m.logits(new int[] {1, 5, 9});
            assertEquals(3, logits.length);
            assertEquals(256, logits[0].length);
        }
    }

    @Test
    void unknownArchitecture() throws Exception {
        Path dir = copyHf("unknown-arch");
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("LlamaForCausalLM", "GPTNeoXForCausalLM"));
        var e = loadFails(dir);
        assertTrue(e.getMessage().contains(cfg.toString()) && e.getMessage().contains("GPTNeoXForCausalLM")
                && e.getMessage().contains("architectures"), e.getMessage());
    }

    @Test
    void missingTensor() throws Exception {
        Path dir = copyHf("missing-tensor");
        Path file = dir.resolve("model.safetensors");
        List<SafeTensor> kept = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(hf.resolve("model.safetensors"))) {
            for (SafeTensor t : f.tensors()) {
                if (!t.name().equals("model.layers.1.mlp.up_proj.weight")) {
                    kept.add(SafeTensor.ofFloats(t.name(), t.shape(), t.toFloatArray()));
                }
            }
        }
        SafetensorsWriter.write(file, kept, Map.of("format", "pt"));
        var e = loadFails(dir);
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("model.layers.1.mlp.up_proj.weight"),
                e.getMessage());
    }

    @Test
    void shapeMismatch() throws Exception {
        Path dir = copyHf("shape-mismatch");
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"intermediate_size\" : 128", "\"intermediate_size\" : 96"));
        var e = loadFails(dir);
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("mlp.gate_proj.weight")
                && e.getMessage().contains("[128, 64]") && e.getMessage().contains("[96, 64]"), e.getMessage());
    }

    private static Path rewriteGguf(String name, String drop, GgmlType retype) {
        Path out = tmp.resolve(name);
        try (GgufFile src = GgufFile.open(gguf)) {
            GgufWriter w = new GgufWriter().copyAll(src);
            for (GgufTensor t : src.tensors()) {
                if (t.name().equals(drop)) continue;
                if (retype != null && t.name().equals("blk.0.ffn_up.weight")) {
                    long bytes = retype.byteSize(t.elementCount());
                    w.addTensor(t.name(), retype, t.shape(), MemorySegment.ofArray(new byte[(int) bytes]));
                } else {
                    w.addTensor(t.name(), t.type(), t.shape(), t.data());
                }
            }
            w.write(out);
        }
        return out;
    }

    @Test
    void ggufMissingTensor() {
        Path p = rewriteGguf("missing.gguf", "blk.1.attn_k.weight", null);
        var e = loadFails(p);
        assertTrue(e.getMessage().contains("missing.gguf") && e.getMessage().contains("blk.1.attn_k.weight"), e.getMessage());
    }

    @Test
    void ggufUnsupportedWeightType() {
        Path p = rewriteGguf("q5_0.gguf", null, GgmlType.Q5_0);
        var e = loadFails(p);
        assertTrue(e.getMessage().contains("q5_0.gguf") && e.getMessage().contains("blk.0.ffn_up.weight")
                && e.getMessage().contains("Q5_0"), e.getMessage());
    }

    @Test
    void notAModel() throws Exception {
        Path p = tmp.resolve("notes.txt");
        Files.writeString(p, "hello");
        assertTrue(loadFails(p).getMessage().contains("notes.txt"));
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        assertTrue(loadFails(empty).getMessage().contains("config.json"));
    }

    @Test
    void tokenOutsideVocabularyAndContextOverflow() {
        try (Model m = Model.load(gguf)) {
            var e = assertThrows(JllmException.class, () -> m.logits(new int[] {1, 256}));
            assertTrue(e.getMessage().contains("256"), e.getMessage());
            var session = m.newSession(4);
            session.append(new int[] {1, 2, 3});
            e = assertThrows(JllmException.class, () -> session.append(new int[] {4, 5}));
            assertTrue(e.getMessage().contains("context"), e.getMessage());
        }
    }
}
