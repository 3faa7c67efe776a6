package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.jllm.train.nn.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A frozen-base layer's input gradient written over its input equals the one written elsewhere, with the same adapter gradients. */
class InPlaceInputGradientTest {
    /** A dense float matrix behind the frozen-weight interface. */
    private record Dense(float[] w, int out, int in) implements FrozenWeight {
        @Override
        public void forward(float[] y, float[] x, int rows) {
            Gemm.gemm(false, true, rows, out, in, x, 0, w, 0, y, 0, false);
        }

        @Override
        public void inputGradient(float[] dx, float[] dy, int rows, boolean accumulate) {
            Gemm.gemm(false, false, rows, in, out, dy, 0, w, 0, dx, 0, accumulate);
        }

        @Override
        public float[] dequantized() {
            return w.clone();
        }
    }

    private static LinearLayer layer(int out, int in, int rank, LinearLayer.Dropout dropout) {
        Random r = new Random(3);
        float[] w = random(r, out * in, 1);
        LinearLayer layer = new LinearLayer(new Parameter("w", new int[]{out, in}, w.clone()), null);
        layer.freezeAs(new Dense(w, out, in));
        Parameter a = new Parameter("a", new int[]{rank, in}, random(r, rank * in, 1));
        Parameter b = new Parameter("b", new int[]{out, rank}, random(r, out * rank, 1));
        a.setTrainable(true);
        b.setTrainable(true);
        layer.attach(new LinearLayer.Lora(a, b, rank, 2.0, dropout));
        return layer;
    }

    @Test
    void overwritingTheInputGivesTheSameGradients() {
        int rows = 7, in = 12, out = 12, rank = 3;
        for (LinearLayer.Dropout dropout : new LinearLayer.Dropout[]{null, new LinearLayer.Dropout(0.25, 5)}) {
            LinearLayer apart = layer(out, in, rank, dropout), inPlace = layer(out, in, rank, dropout);
            assertTrue(inPlace.inputGradientMayOverwriteInput());
            float[] x = random(new Random(8), rows * in, 1), dy = random(new Random(9), rows * out, 1);
            float[] dx = new float[rows * in];
            apart.backward(x.clone(), rows, dy, dx, false);
            float[] xdx = x.clone();
            inPlace.backward(xdx, rows, dy, xdx, false);
            assertArrayEquals(dx, xdx);
            assertArrayEquals(apart.lora().a().grad(), inPlace.lora().a().grad());
            assertArrayEquals(apart.lora().b().grad(), inPlace.lora().b().grad());
        }
    }

    @Test
    void onlyAFrozenBaseWithoutAccumulatingMayOverwriteItsInput() {
        LinearLayer frozen = layer(4, 4, 2, null);
        float[] x = new float[8];
        assertThrows(IllegalArgumentException.class, () -> frozen.backward(x, 2, new float[8], x, true));
        LinearLayer trained = new LinearLayer(new Parameter("w", new int[]{4, 4}, new float[16]), null);
        assertTrue(!trained.inputGradientMayOverwriteInput());
        assertThrows(IllegalArgumentException.class, () -> trained.backward(x, 2, new float[8], x, false));
    }
}
