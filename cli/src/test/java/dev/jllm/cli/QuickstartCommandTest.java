package dev.jllm.cli;

import dev.jllm.train.model.CausalLm;
import dev.jllm.train.quant.QuantizedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class QuickstartCommandTest {
    @TempDir
    Path dir;

    /** A shortened run (few epochs) of the whole path: every stage reports, and the four folders load. */
    @Test
    void runsEveryStageAndLeavesLoadableFolders() {
        Path out = dir.resolve("qs");
        var r = CliRun.run("quickstart", "--output-dir", out.toString(), "--pretrain-epochs", "2", "--finetune-epochs", "1");
        assertEquals(0, r.code(), r.err());
        String text = r.out();
        for (String s : new String[]{"== 1/4 pretraining", "Step | Training Loss", "== 2/4 quantizing", "== 3/4 answers",
                "== 4/4 QLoRA finetuning", "trainable params: ", "held-out loss: ", "before: ", "after: ", "./jllm chat --model"}) {
            assertTrue(text.contains(s), "missing '" + s + "' in:\n" + text);
        }
        assertTrue(r.err().contains("it/s") || r.err().contains("Epoch"), "no progress bar on stderr: " + r.err());
        assertNotNull(QuantizedModels.load(out.resolve("base-nf4")).quantization());
        CausalLm merged = CausalLm.load(out.resolve("merged"));
        assertEquals(3, merged.config().numLayers());
        assertTrue(Files.isRegularFile(out.resolve("adapter").resolve("adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("merged").resolve("tokenizer.json")));
    }
}
