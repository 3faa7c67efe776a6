package dev.jllm.model.convert;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** llama-quant.cpp's choice of which tensors to quantize. */
class GgufQuantizerTest {
    @Test
    void quantizesWeightMatricesButNotNormsRoutersOrPositionTables() {
        for (String name : new String[] {"token_embd.weight", "output.weight", "blk.0.attn_q.weight", "blk.3.ffn_down_exps.weight"}) {
            assertTrue(GgufQuantizer.quantizable(name), name);
        }
        for (String name : new String[] {"blk.0.attn_norm.weight", "blk.0.attn_q_norm.weight", "blk.1.ffn_gate_inp.weight",
                "position_embd.weight", "token_types.weight", "blk.0.attn_q.bias", "rope_freqs"}) {
            assertFalse(GgufQuantizer.quantizable(name), name);
        }
    }
}
