package dev.jllm.train.model;

import dev.jllm.model.config.ModelConfig;
import dev.jllm.train.nn.Attention;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.nn.RmsNorm;
import dev.jllm.train.nn.Rope;
import dev.jllm.train.nn.SwiGlu;

/**
 * One pre-norm decoder block, forward and backward side by side:
 * <pre>
 *   h1 = rmsnorm(x)            q, k, v = proj(h1)  [q/k norm]  rope(q, k)     xMid = x + o(attn(q, k, v))
 *   h2 = rmsnorm(xMid)         xOut = xMid + down(silu(gate(h2)) · up(h2))
 * </pre>
 * {@link #backward} walks the same lines bottom-up, reading what {@link #forward} kept in {@link Activations}.
 * {@code qNorm}/{@code kNorm} are null without q/k norms.
 */
record DecoderLayer(int index, Parameter inputNorm, LinearLayer q, LinearLayer k, LinearLayer v, LinearLayer o,
                    Parameter qNorm, Parameter kNorm, Parameter postNorm,
                    LinearLayer gate, LinearLayer up, LinearLayer down) {

    /** Per-batch constants shared by all layers. */
    record Context(ModelConfig config, int batch, int seqLen, int[] positions, Rope.Table rope, int[] keyMask) {
        int rows() {
            return batch * seqLen;
        }
    }

    /** What forward keeps for backward (qPre/kPre/qRstd/kRstd only with q/k norms). */
    static final class Activations {
        float[] xIn, h1, rstd1, qPre, kPre, qRstd, kRstd, q, k, v, attn, lse, xMid, h2, rstd2, g, u, a, xOut;
    }

    private Attention.Shape shape(Context ctx) {
        ModelConfig c = ctx.config();
        return new Attention.Shape(ctx.batch(), ctx.seqLen(), c.numHeads(), c.numKvHeads(), c.headDim(), c.slidingWindow(index));
    }

    Activations forward(float[] x, Context ctx) {
        ModelConfig c = ctx.config();
        int N = ctx.rows(), d = c.hiddenSize(), qd = c.queryDim(), kvd = c.kvDim(), ff = c.intermediateSize(), hd = c.headDim();
        Activations s = new Activations();
        s.xIn = x;
        s.h1 = new float[N * d];
        s.rstd1 = new float[N];
        RmsNorm.forward(s.h1, s.rstd1, x, inputNorm.value(), N, d, c.rmsNormEps());
        s.q = new float[N * qd];
        s.k = new float[N * kvd];
        s.v = new float[N * kvd];
        q.forward(s.h1, N, s.q);
        k.forward(s.h1, N, s.k);
        v.forward(s.h1, N, s.v);
        if (qNorm != null) {
            s.qPre = s.q;
            s.kPre = s.k;
            s.q = new float[N * qd];
            s.k = new float[N * kvd];
            s.qRstd = new float[N * c.numHeads()];
            s.kRstd = new float[N * c.numKvHeads()];
            RmsNorm.forward(s.q, s.qRstd, s.qPre, qNorm.value(), N * c.numHeads(), hd, c.rmsNormEps());
            RmsNorm.forward(s.k, s.kRstd, s.kPre, kNorm.value(), N * c.numKvHeads(), hd, c.rmsNormEps());
        }
        Rope.apply(s.q, ctx.positions(), c.numHeads(), ctx.rope(), false);
        Rope.apply(s.k, ctx.positions(), c.numKvHeads(), ctx.rope(), false);
        s.attn = new float[N * qd];
        s.lse = new float[ctx.batch() * c.numHeads() * ctx.seqLen()];
        Attention.forward(s.attn, s.lse, s.q, s.k, s.v, ctx.keyMask(), shape(ctx));
        s.xMid = new float[N * d];
        o.forward(s.attn, N, s.xMid);
        addInPlace(s.xMid, x, N * d);

        s.h2 = new float[N * d];
        s.rstd2 = new float[N];
        RmsNorm.forward(s.h2, s.rstd2, s.xMid, postNorm.value(), N, d, c.rmsNormEps());
        s.g = new float[N * ff];
        s.u = new float[N * ff];
        s.a = new float[N * ff];
        gate.forward(s.h2, N, s.g);
        up.forward(s.h2, N, s.u);
        SwiGlu.forward(s.a, s.g, s.u, N * ff);
        s.xOut = new float[N * d];
        down.forward(s.a, N, s.xOut);
        addInPlace(s.xOut, s.xMid, N * d);
        return s;
    }

    /**
     * Takes {@code dx}, the gradient at this layer's output, and turns it in place into the gradient at its input
     * (the residual connections pass it through unchanged and each branch adds its share); parameter gradients
     * accumulate.
     */
    void backward(Activations s, float[] dx, Context ctx) {
        ModelConfig c = ctx.config();
        int N = ctx.rows(), d = c.hiddenSize(), qd = c.queryDim(), kvd = c.kvDim(), ff = c.intermediateSize(), hd = c.headDim();
        // MLP branch.
        float[] da = new float[N * ff];
        down.backward(s.a, N, dx, da);
        float[] dg = new float[N * ff];
        float[] du = new float[N * ff];
        SwiGlu.backward(dg, du, da, s.g, s.u, N * ff);
        float[] dh2 = new float[N * d];
        gate.backward(s.h2, N, dg, dh2);
        up.backward(s.h2, N, du, dh2);
        RmsNorm.backward(dx, postNorm.grad(), dh2, s.xMid, postNorm.value(), s.rstd2, N, d);

        // Attention branch.
        float[] dAttn = new float[N * qd];
        o.backward(s.attn, N, dx, dAttn);
        float[] dq = new float[N * qd];
        float[] dk = new float[N * kvd];
        float[] dv = new float[N * kvd];
        Attention.backward(dq, dk, dv, dAttn, s.attn, s.lse, s.q, s.k, s.v, ctx.keyMask(), shape(ctx));
        Rope.apply(dq, ctx.positions(), c.numHeads(), ctx.rope(), true);
        Rope.apply(dk, ctx.positions(), c.numKvHeads(), ctx.rope(), true);
        if (qNorm != null) {
            float[] dqPre = new float[N * qd];
            float[] dkPre = new float[N * kvd];
            RmsNorm.backward(dqPre, qNorm.grad(), dq, s.qPre, qNorm.value(), s.qRstd, N * c.numHeads(), hd);
            RmsNorm.backward(dkPre, kNorm.grad(), dk, s.kPre, kNorm.value(), s.kRstd, N * c.numKvHeads(), hd);
            dq = dqPre;
            dk = dkPre;
        }
        float[] dh1 = new float[N * d];
        q.backward(s.h1, N, dq, dh1);
        k.backward(s.h1, N, dk, dh1);
        v.backward(s.h1, N, dv, dh1);
        RmsNorm.backward(dx, inputNorm.grad(), dh1, s.xIn, inputNorm.value(), s.rstd1, N, d);
    }

    /** The residual connection {@code y += x}, spread over the cores. */
    static void addInPlace(float[] y, float[] x, int n) {
        dev.jllm.core.kernel.Parallel.forRange(n, 1 << 14, (w, i0, i1) -> {
            for (int i = i0; i < i1; i++) y[i] += x[i];
        });
    }
}
