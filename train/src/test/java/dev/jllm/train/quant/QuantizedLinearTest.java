package dev.jllm.train.quant;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.quant.bnb.Bnb4bitWeight;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.core.quant.bnb.QuantType;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class QuantizedLinearTest {
    /**
     * A 16-bit compute dtype rounds the input block by block (Gemm.MC rows at a time, no whole copy): the products
     * equal those of the whole input rounded first, over more rows than one block and a ragged last block.
     */
    @Test
    void sixteenBitComputeRoundsTheInputAsAWholeCopyWould() {
        int out = 40, in = 64, rows = Gemm.MC * 2 + 37;
        Random r = new Random(9);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        Bnb4bitWeight q = Bnb4bitWeight.quantize(w, new long[]{out, in}, QuantType.NF4, true);
        for (ComputeDtype dtype : ComputeDtype.values()) {
            QuantizedLinear lin = new QuantizedLinear(q, dtype);
            float[] dense = lin.dequantized();
            float[] x = new float[rows * in], dy = new float[rows * out];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < dy.length; i++) dy[i] = (float) r.nextGaussian();
            float[] xr = x.clone(), dyr = dy.clone();
            for (int i = 0; i < xr.length; i++) xr[i] = (float) dtype.round(xr[i]);
            for (int i = 0; i < dyr.length; i++) dyr[i] = (float) dtype.round(dyr[i]);

            float[] y = new float[rows * out], want = new float[rows * out];
            lin.forward(y, x, rows);
            Gemm.gemm(false, true, rows, out, in, xr, 0, dense, 0, want, 0, false);
            assertArrayEquals(want, y, dtype.name());

            float[] dx = new float[rows * in], wantDx = new float[rows * in];
            for (int i = 0; i < dx.length; i++) dx[i] = wantDx[i] = 0.5f;
            lin.inputGradient(dx, dy, rows, true);
            Gemm.gemm(false, false, rows, in, out, dyr, 0, dense, 0, wantDx, 0, true);
            assertArrayEquals(wantDx, dx, dtype.name());
            assertArrayEquals(x.clone(), x, "the input is left as it was");
        }
    }
}
