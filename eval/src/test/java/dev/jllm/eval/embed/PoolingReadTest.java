package dev.jllm.eval.embed;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** sentence-transformers folder layouts: modules.json naming a Pooling folder and an optional Normalize module. */
class PoolingReadTest {

    @Test
    void readsModulesAndPoolingConfig(@TempDir Path dir) throws Exception {
        assertEquals(new Pooling(Pooling.Mode.MEAN, false), Pooling.read(dir));
        Files.writeString(dir.resolve("modules.json"), """
                [{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
                 {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
                 {"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]
                """);
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"), """
                {"word_embedding_dimension":384,"pooling_mode_cls_token":true,"pooling_mode_mean_tokens":false,
                 "pooling_mode_max_tokens":false,"pooling_mode_mean_sqrt_len_tokens":false}
                """);
        assertEquals(new Pooling(Pooling.Mode.CLS, true), Pooling.read(dir));
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_cls_token\":true,\"pooling_mode_mean_tokens\":true}");
        assertThrows(JllmException.class, () -> Pooling.read(dir));
    }
}
