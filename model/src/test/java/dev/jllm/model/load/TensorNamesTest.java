package dev.jllm.model.load;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class TensorNamesTest {
    @Test
    void hfToGgufAndBack() {
        String[] hf = {"model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
                "model.layers.3.self_attn.q_proj.weight", "model.layers.3.self_attn.k_proj.bias",
                "model.layers.0.self_attn.o_proj.weight", "model.layers.1.self_attn.q_norm.weight",
                "model.layers.2.mlp.down_proj.weight", "model.layers.2.input_layernorm.weight",
                "model.layers.2.post_attention_layernorm.weight", "model.layers.5.mlp.gate.weight"};
        for (String name : hf) {
            TensorNames.GgufName g = TensorNames.toGguf(name).orElseThrow();
            assertEquals(-1, g.expert());
            assertEquals(Optional.of(name), TensorNames.toHf(g.name()), g.name());
        }
        assertEquals(new TensorNames.GgufName("blk.4.ffn_up_exps.weight", 7),
                TensorNames.toGguf("model.layers.4.mlp.experts.7.up_proj.weight").orElseThrow());
        assertEquals(new TensorNames.GgufName("blk.4.ffn_down_exps.weight", 2),
                TensorNames.toGguf("model.layers.4.block_sparse_moe.experts.2.w2.weight").orElseThrow());
        assertEquals(new TensorNames.GgufName("blk.0.ffn_gate_inp.weight", -1),
                TensorNames.toGguf("model.layers.0.block_sparse_moe.gate.weight").orElseThrow());
        assertTrue(TensorNames.toGguf("model.layers.0.self_attn.rotary_emb.inv_freq").isEmpty());
    }

    @Test
    void ropePermutationMatchesLlamaCppConverter() {
        // one head of 8 rows: HF rows 0..3 pair with 4..7; GGUF interleaves them: 0,4,1,5,2,6,3,7
        assertArrayEquals(new int[] {0, 4, 1, 5, 2, 6, 3, 7}, RopePermutation.ggufFromHf(8, 1));
        int[] there = RopePermutation.ggufFromHf(32, 4);
        int[] back = RopePermutation.hfFromGguf(32, 4);
        for (int r = 0; r < 32; r++) assertEquals(r, there[back[r]]);
    }
}
