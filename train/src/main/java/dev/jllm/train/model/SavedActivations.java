package dev.jllm.train.model;

import dev.jllm.train.precision.Precision;

/**
 * One layer's activations kept for backward under a 16-bit {@link Precision}, STORED in 16 bits: the tensors the
 * products read (norm outputs, q/k/v, attention output, the MLP's gate, up and activation) as bf16/fp16 patterns, half
 * their float32 size. The forward pass already rounded each of them to 16 bits before using it, so storing them is
 * lossless: backward decodes exactly the values forward computed with. The float32 ones (the residual stream
 * {@code xMid}, {@code xOut}, and the per-row statistics rstd and log-sum-exp) are kept as they are.
 *
 * <p>The layer computes in a float32 scratch set shared by all layers; {@link #save} encodes the 16-bit tensors out of
 * it and takes over its float32 arrays by swapping (the scratch gets this layer's arrays from the previous step
 * back), so a step allocates nothing once shapes are steady. {@link #restore} decodes into the scratch set again and
 * returns a view that {@link DecoderLayer#backward} reads like a float32 set.
 */
final class SavedActivations {
    private final Precision precision;
    private short[] h1, qPre, kPre, q, k, v, attn, h2, g, u, a;
    private float[] xIn, rstd1, qRstd, kRstd, lse, xMid, rstd2, xOut;

    SavedActivations(Precision precision) {
        if (!precision.reduced()) throw new IllegalArgumentException("saved activations are stored in 16 bits; got " + precision);
        this.precision = precision;
    }

    Precision precision() {
        return precision;
    }

    /** This layer's output, the next layer's input. */
    float[] output() {
        return xOut;
    }

    void save(DecoderLayer.Activations s) {
        xIn = s.xIn;
        h1 = encode(s.h1, h1);
        boolean qkNorm = s.qRstd != null && s.qPre != null;
        qPre = qkNorm ? encode(s.qPre, qPre) : null;
        kPre = qkNorm ? encode(s.kPre, kPre) : null;
        q = encode(s.q, q);
        k = encode(s.k, k);
        v = encode(s.v, v);
        attn = encode(s.attn, attn);
        h2 = encode(s.h2, h2);
        g = encode(s.g, g);
        u = encode(s.u, u);
        a = encode(s.a, a);
        float[] t;
        t = rstd1; rstd1 = s.rstd1; s.rstd1 = t;
        if (qkNorm) {
            t = qRstd; qRstd = s.qRstd; s.qRstd = t;
            t = kRstd; kRstd = s.kRstd; s.kRstd = t;
        } else {
            qRstd = kRstd = null;
        }
        t = lse; lse = s.lse; s.lse = t;
        t = xMid; xMid = s.xMid; s.xMid = t;
        t = rstd2; rstd2 = s.rstd2; s.rstd2 = t;
        t = xOut; xOut = s.xOut; s.xOut = t;
    }

    /** Decodes the 16-bit tensors into {@code scratch}'s arrays and fills {@code view} for backward. */
    DecoderLayer.Activations restore(DecoderLayer.Activations scratch, DecoderLayer.Activations view) {
        view.xIn = xIn;
        view.h1 = scratch.h1 = decode(h1, scratch.h1);
        view.qPre = qPre == null ? null : (scratch.qPre = decode(qPre, scratch.qPre));
        view.kPre = kPre == null ? null : (scratch.kPre = decode(kPre, scratch.kPre));
        view.q = scratch.q = decode(q, scratch.q);
        view.k = scratch.k = decode(k, scratch.k);
        view.v = scratch.v = decode(v, scratch.v);
        view.attn = scratch.attn = decode(attn, scratch.attn);
        view.h2 = scratch.h2 = decode(h2, scratch.h2);
        view.g = scratch.g = decode(g, scratch.g);
        view.u = scratch.u = decode(u, scratch.u);
        view.a = scratch.a = decode(a, scratch.a);
        view.rstd1 = rstd1;
        view.qRstd = qRstd;
        view.kRstd = kRstd;
        view.lse = lse;
        view.xMid = xMid;
        view.rstd2 = rstd2;
        view.xOut = xOut;
        return view;
    }

    /** Bytes this layer holds (its input belongs to the layer before). */
    long bytes() {
        long n = 0;
        for (short[] x : new short[][]{h1, qPre, kPre, q, k, v, attn, h2, g, u, a}) if (x != null) n += 2L * x.length;
        for (float[] x : new float[][]{rstd1, qRstd, kRstd, lse, xMid, rstd2, xOut}) if (x != null) n += 4L * x.length;
        return n;
    }

    /** Bytes a float32 set of the same activations holds (its input belongs to the layer before). */
    static long bytes(DecoderLayer.Activations s) {
        long n = 0;
        for (float[] x : new float[][]{s.h1, s.qPre, s.kPre, s.q, s.k, s.v, s.attn, s.h2, s.g, s.u, s.a,
                s.rstd1, s.qRstd, s.kRstd, s.lse, s.xMid, s.rstd2, s.xOut}) {
            if (x != null) n += 4L * x.length;
        }
        return n;
    }

    private short[] encode(float[] x, short[] into) {
        short[] out = into != null && into.length == x.length ? into : new short[x.length];
        precision.encode(x, 0, out, 0, x.length);
        return out;
    }

    private float[] decode(short[] x, float[] into) {
        float[] out = DecoderLayer.ensure(into, x.length);
        precision.decode(x, 0, out, 0, x.length);
        return out;
    }
}
