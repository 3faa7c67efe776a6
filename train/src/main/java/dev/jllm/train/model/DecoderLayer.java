package dev.jllm.train.model;

import dev.jllm.model.config.ModelConfig;
import dev.jllm.train.nn.Attention;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.nn.RmsNorm;
import dev.jllm.train.nn.Rope;
import dev.jllm.train.nn.SwiGlu;
import dev.jllm.train.precision.Precision;

/**
 * One pre-norm decoder block, forward and backward side by side:
 * <pre>
 *   h1 = rmsnorm(x)            q, k, v = proj(h1)  [q/k norm]  rope(q, k)     xMid = x + o(attn(q, k, v))
 *   h2 = rmsnorm(xMid)         xOut = xMid + down(silu(gate(h2)) · up(h2))
 * </pre>
 * {@link #backward} walks the same lines bottom-up, reading what {@link #forward} kept in {@link Activations}.
 * {@code qNorm}/{@code kNorm} are null without q/k norms.
 *
 * <p>Under a 16-bit {@link Precision} the branches compute as autocast does: the norms' float32 outputs are rounded
 * where the projections read them, RoPE, attention and SwiGLU outputs are rounded (16-bit tensors), the gradients
 * entering the products are rounded (gradients of 16-bit tensors), and the residual stream {@code x, xMid, xOut}
 * and its gradient stay float32. Every rounding is a no-op in FP32.
 */
record DecoderLayer(int index, Parameter inputNorm, LinearLayer q, LinearLayer k, LinearLayer v, LinearLayer o,
                    Parameter qNorm, Parameter kNorm, Parameter postNorm,
                    LinearLayer gate, LinearLayer up, LinearLayer down) {

    /** Per-batch constants shared by all layers. */
    record Context(ModelConfig config, int batch, int seqLen, int[] positions, dev.jllm.model.arch.Rope.Table rope, int[] keyMask, Precision precision) {
        int rows() {
            return batch * seqLen;
        }
    }

    /**
     * What forward keeps for backward (qPre/kPre/qRstd/kRstd only with q/k norms). The arrays live across steps: a
     * forward pass refills them in place when the batch shape is unchanged, so training allocates nothing per step.
     * {@link #backward} uses up {@code g}, {@code u}, {@code h2}, {@code xMid} and {@code xOut}: once read for the last
     * time each holds a gradient of its size (saving six buffers, two of them {@code [N, ff]}); with a frozen
     * {@code down} base, {@code a} takes its input gradient too.
     */
    static final class Activations {
        float[] xIn, h1, rstd1, qPre, kPre, qRstd, kRstd, q, k, v, attn, lse, xMid, h2, rstd2, g, u, a, xOut;
    }

    /** The backward pass's temporaries, shared by all layers (each overwrites them before reading). */
    static final class Gradients {
        float[] da, dAttn, dq, dk, dv, dqPre, dkPre;
        /** The float32 residual gradient rounded to 16 bits, as the o/down projections' output gradient (16-bit only). */
        float[] dy16;
    }

    /** {@code a} when it holds exactly n values, else a new array (contents unspecified either way). */
    static float[] ensure(float[] a, int n) {
        return a != null && a.length == n ? a : new float[n];
    }

    private Attention.Shape shape(Context ctx) {
        ModelConfig c = ctx.config();
        return new Attention.Shape(ctx.batch(), ctx.seqLen(), c.numHeads(), c.numKvHeads(), c.headDim(), c.slidingWindow(index));
    }

    /** Runs the block on {@code x}, filling {@code s} (its {@code xOut} too, reused when already the right size). */
    void forward(float[] x, Context ctx, Activations s) {
        ModelConfig c = ctx.config();
        int N = ctx.rows(), d = c.hiddenSize(), qd = c.queryDim(), kvd = c.kvDim(), ff = c.intermediateSize(), hd = c.headDim();
        s.xIn = x;
        s.h1 = ensure(s.h1, N * d);
        s.rstd1 = ensure(s.rstd1, N);
        RmsNorm.forward(s.h1, s.rstd1, x, inputNorm.value(), N, d, c.rmsNormEps());
        Precision p = ctx.precision();
        p.round(s.h1, N * d);  // autocast's cast at the projections, done once for q, k and v (and kept for their dW)
        boolean qkNorm = qNorm != null;
        float[] qOut = ensure(qkNorm ? s.qPre : s.q, N * qd), kOut = ensure(qkNorm ? s.kPre : s.k, N * kvd);
        s.v = ensure(s.v, N * kvd);
        q.forward(s.h1, N, qOut);
        k.forward(s.h1, N, kOut);
        v.forward(s.h1, N, s.v);
        if (qkNorm) {
            s.qPre = qOut;
            s.kPre = kOut;
            s.q = ensure(s.q, N * qd);
            s.k = ensure(s.k, N * kvd);
            s.qRstd = ensure(s.qRstd, N * c.numHeads());
            s.kRstd = ensure(s.kRstd, N * c.numKvHeads());
            RmsNorm.forward(s.q, s.qRstd, s.qPre, qNorm.value(), N * c.numHeads(), hd, c.rmsNormEps());
            RmsNorm.forward(s.k, s.kRstd, s.kPre, kNorm.value(), N * c.numKvHeads(), hd, c.rmsNormEps());
        } else {
            s.q = qOut;
            s.k = kOut;
        }
        Rope.apply(s.q, ctx.positions(), c.numHeads(), ctx.rope(), false);
        Rope.apply(s.k, ctx.positions(), c.numKvHeads(), ctx.rope(), false);
        p.round(s.q, N * qd);
        p.round(s.k, N * kvd);
        s.attn = ensure(s.attn, N * qd);
        s.lse = ensure(s.lse, ctx.batch() * c.numHeads() * ctx.seqLen());
        Attention.forward(s.attn, s.lse, s.q, s.k, s.v, ctx.keyMask(), shape(ctx));
        p.round(s.attn, N * qd);
        s.xMid = ensure(s.xMid, N * d);
        o.forward(s.attn, N, s.xMid);
        addInPlace(s.xMid, x, N * d);

        s.h2 = ensure(s.h2, N * d);
        s.rstd2 = ensure(s.rstd2, N);
        RmsNorm.forward(s.h2, s.rstd2, s.xMid, postNorm.value(), N, d, c.rmsNormEps());
        p.round(s.h2, N * d);
        s.g = ensure(s.g, N * ff);
        s.u = ensure(s.u, N * ff);
        s.a = ensure(s.a, N * ff);
        gate.forward(s.h2, N, s.g);
        up.forward(s.h2, N, s.u);
        SwiGlu.forward(s.a, s.g, s.u, N * ff);
        p.round(s.a, N * ff);
        s.xOut = ensure(s.xOut, N * d);
        down.forward(s.a, N, s.xOut);
        addInPlace(s.xOut, s.xMid, N * d);
    }

    /**
     * Takes {@code dx}, the gradient at this layer's output, and turns it in place into the gradient at its input
     * (the residual connections pass it through unchanged and each branch adds its share); parameter gradients
     * accumulate. The first product into each temporary overwrites it, so no temporary needs clearing.
     */
    void backward(Activations s, float[] dx, Context ctx, Gradients t) {
        ModelConfig c = ctx.config();
        int N = ctx.rows(), d = c.hiddenSize(), qd = c.queryDim(), kvd = c.kvDim(), ff = c.intermediateSize(), hd = c.headDim();
        Precision p = ctx.precision();
        // MLP branch.
        // a is read for the last time by down's backward, which may write its input gradient over it (frozen base)
        float[] da = down.inputGradientMayOverwriteInput() ? s.a : (t.da = ensure(t.da, N * ff));
        down.backward(s.a, N, rounded(dx, N * d, t, p), da, false);
        p.round(da, N * ff);
        // g and u are read for the last time here: their gradients overwrite them (two [N, ff] buffers fewer)
        float[] dg = s.g, du = s.u;
        SwiGlu.backward(dg, du, da, s.g, s.u, N * ff);
        p.round(dg, N * ff);
        p.round(du, N * ff);
        // the layer's output is not read in backward (the next layer's is done with it): it takes dh2
        float[] dh2 = s.xOut;
        gate.backward(s.h2, N, dg, dh2, false);
        up.backward(s.h2, N, du, dh2, true);
        p.round(dh2, N * d);
        RmsNorm.backward(dx, postNorm.grad(), dh2, s.xMid, postNorm.value(), s.rstd2, N, d);

        // Attention branch; h2 and xMid were read for the last time above, and take dAttn and dh1.
        float[] dAttn = qd == d ? s.h2 : (t.dAttn = ensure(t.dAttn, N * qd));
        o.backward(s.attn, N, rounded(dx, N * d, t, p), dAttn, false);
        p.round(dAttn, N * qd);
        // dh2 is consumed: its buffer (the layer's output) takes dq
        float[] dq = qd == d ? dh2 : (t.dq = ensure(t.dq, N * qd));
        t.dk = ensure(t.dk, N * kvd);
        t.dv = ensure(t.dv, N * kvd);
        Attention.backward(dq, t.dk, t.dv, dAttn, s.attn, s.lse, s.q, s.k, s.v, ctx.keyMask(), shape(ctx));
        Rope.apply(dq, ctx.positions(), c.numHeads(), ctx.rope(), true);
        Rope.apply(t.dk, ctx.positions(), c.numKvHeads(), ctx.rope(), true);
        float[] dk = t.dk;
        if (qNorm != null) {
            t.dqPre = ensure(t.dqPre, N * qd);
            t.dkPre = ensure(t.dkPre, N * kvd);
            java.util.Arrays.fill(t.dqPre, 0f);
            java.util.Arrays.fill(t.dkPre, 0f);
            RmsNorm.backward(t.dqPre, qNorm.grad(), dq, s.qPre, qNorm.value(), s.qRstd, N * c.numHeads(), hd);
            RmsNorm.backward(t.dkPre, kNorm.grad(), dk, s.kPre, kNorm.value(), s.kRstd, N * c.numKvHeads(), hd);
            dq = t.dqPre;
            dk = t.dkPre;
        }
        p.round(dq, N * qd);
        p.round(dk, N * kvd);
        p.round(t.dv, N * kvd);
        float[] dh1 = s.xMid;
        q.backward(s.h1, N, dq, dh1, false);
        k.backward(s.h1, N, dk, dh1, true);
        v.backward(s.h1, N, t.dv, dh1, true);
        p.round(dh1, N * d);
        RmsNorm.backward(dx, inputNorm.grad(), dh1, s.xIn, inputNorm.value(), s.rstd1, N, d);
    }

    /** The residual gradient as a projection's output gradient: itself in FP32, else a 16-bit rounded copy. */
    private static float[] rounded(float[] dx, int n, Gradients t, Precision p) {
        if (!p.reduced()) return dx;
        t.dy16 = ensure(t.dy16, n);
        System.arraycopy(dx, 0, t.dy16, 0, n);
        p.round(t.dy16, n);
        return t.dy16;
    }

    /** The residual connection {@code y += x}, spread over the cores. */
    static void addInPlace(float[] y, float[] x, int n) {
        dev.jllm.core.kernel.Parallel.forRange(n, 1 << 14, (w, i0, i1) -> {
            for (int i = i0; i < i1; i++) y[i] += x[i];
        });
    }
}
