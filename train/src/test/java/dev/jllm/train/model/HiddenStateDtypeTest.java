package dev.jllm.train.model;

import dev.jllm.core.tensor.DType;
import dev.jllm.train.data.Batch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 16-bit hidden states between blocks, and gradient checkpointing that keeps them in 16 bits. */
class HiddenStateDtypeTest {
    @ParameterizedTest
    @ValueSource(strings = {"BF16", "F16"})
    void sixteenBitCheckpointsAreLossless(String dtype) {
        for (String family : new String[]{TinyModels.LLAMA, TinyModels.QWEN3}) {
            CausalLm plain = TinyModels.model(family, 41);
            CausalLm checkpointed = TinyModels.model(family, 41);
            plain.setHiddenStateDtype(DType.valueOf(dtype));
            checkpointed.setHiddenStateDtype(DType.valueOf(dtype));
            checkpointed.setGradientCheckpointing(true);
            Batch batch = TinyModels.batch(plain.config().vocabSize(), 5);
            int items = batch.labelCount();
            // twice: the second step reuses every buffer
            for (int step = 0; step < 2; step++) {
                assertEquals(plain.forwardBackward(batch, items).loss(), checkpointed.forwardBackward(batch, items).loss());
                for (int i = 0; i < plain.parameters().size(); i++) {
                    assertArrayEquals(plain.parameters().get(i).grad(), checkpointed.parameters().get(i).grad(), plain.parameters().get(i).name());
                }
            }
            assertEquals(plain.loss(batch, items).loss(), checkpointed.loss(batch, items).loss());
        }
    }

    @Test
    void bf16HiddenStatesStayCloseToFloat32() {
        CausalLm f32 = TinyModels.model(TinyModels.LLAMA, 7);
        CausalLm bf16 = TinyModels.model(TinyModels.LLAMA, 7);
        bf16.setHiddenStateDtype(DType.BF16);
        bf16.setGradientCheckpointing(true);
        Batch batch = TinyModels.batch(f32.config().vocabSize(), 8);
        float[] want = f32.logits(batch), got = bf16.logits(batch);
        double worst = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        // bf16 keeps 8 significant bits: each rounding is within 2^-9 relative; through two blocks a few of them add up
        assertTrue(worst > 0, "the hidden states are rounded");
        assertTrue(worst < 0x1p-5 * scale, "bf16 hidden states: logits within " + worst + " of float32 (scale " + scale + ")");
    }

    @Test
    void onlySixteenAndThirtyTwoBitHiddenStates() {
        CausalLm m = TinyModels.model(TinyModels.QWEN2, 1);
        assertThrows(IllegalArgumentException.class, () -> m.setHiddenStateDtype(DType.F64));
    }
}
