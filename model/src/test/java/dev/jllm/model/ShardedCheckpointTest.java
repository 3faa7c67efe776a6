package dev.jllm.model;

import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** A checkpoint split over two shards with model.safetensors.index.json gives the same logits as the single file. */
class ShardedCheckpointTest {
    @Test
    void shardedEqualsSingle(@TempDir Path tmp) throws Exception {
        Path src = Fixtures.resolve("models", "stories260K-hf");
        Files.copy(src.resolve("config.json"), tmp.resolve("config.json"));
        List<SafeTensor> first = new ArrayList<>(), second = new ArrayList<>();
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            int i = 0;
            for (SafeTensor t : f.tensors()) {
                SafeTensor copy = SafeTensor.ofFloats(t.name(), t.shape(), t.toFloatArray());
                String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                (shard.contains("00001-of") ? first : second).add(copy);
                index.append(i > 1 ? ", " : "").append('"').append(t.name()).append("\": \"").append(shard).append('"');
            }
        }
        index.append("}}");
        SafetensorsWriter.write(tmp.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
        SafetensorsWriter.write(tmp.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        Files.writeString(tmp.resolve("model.safetensors.index.json"), index.toString());
        int[] ids = {1, 403, 407, 261, 378};
        try (Model single = Model.load(src); Model sharded = Model.load(tmp)) {
            float[][] a = single.logits(ids), b = sharded.logits(ids);
            for (int t = 0; t < ids.length; t++) assertArrayEquals(a[t], b[t]);
        }
    }
}
