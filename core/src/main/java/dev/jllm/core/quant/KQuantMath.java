package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;

/** The scale search and 6-bit scale packing shared by ggml's K-quant reference quantizers. */
final class KQuantMath {
    static final float GROUP_MAX_EPS = 1e-15f;

    private KQuantMath() {}

    /** ggml get_scale_min_k4: sub-block j's 6-bit scale (low 8 bits of the result) and min (next 8 bits). */
    static int scaleMin(MemorySegment s, long scalesOff, int j) {
        int sc, m;
        if (j < 4) {
            sc = Bytes.u8(s, scalesOff + j) & 63;
            m = Bytes.u8(s, scalesOff + j + 4) & 63;
        } else {
            int hi = Bytes.u8(s, scalesOff + j + 4);
            sc = (hi & 0xF) | ((Bytes.u8(s, scalesOff + j - 4) >>> 6) << 4);
            m = (hi >>> 4) | ((Bytes.u8(s, scalesOff + j) >>> 6) << 4);
        }
        return sc | (m << 8);
    }

    /** Packs eight 6-bit (scale, min) pairs into ggml's 12-byte K4 scale layout. */
    static void packScales(int[] ls, int[] lm, MemorySegment dst, long off) {
        byte[] out = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                out[j] = (byte) ls[j];
                out[j + 4] = (byte) lm[j];
            } else {
                out[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                out[j - 4] |= (byte) ((ls[j] >>> 4) << 6);
                out[j] |= (byte) ((lm[j] >>> 4) << 6);
            }
        }
        for (int j = 0; j < 12; j++) Bytes.put8(dst, off + j, out[j]);
    }

    /** ggml make_qkx2_quants: asymmetric (scale, min) search; returns scale, stores −min in minOut[0]. */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, int[] L, int lOff,
                                float[] minOut, int[] laux, float rmin, float rdelta, int nstep) {
        float min = x[xOff], max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float v = x[xOff + i];
            if (v < min) min = v;
            if (v > max) max = v;
            float w = weights[i];
            sumW += w;
            sumX += w * v;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            minOut[0] = -min;
            return 0;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; i++) {
            int l = Bytes.nearestInt(iscale * (x[xOff + i] - min));
            L[lOff + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * L[lOff + i] + min - x[xOff + i];
            bestMad += weights[i] * diff * diff;
        }
        if (nstep < 1) {
            minOut[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Bytes.nearestInt(iscale * (x[xOff + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xOff + i];
                    mad += weights[i] * diff * diff;
                }
                if (mad < bestMad) {
                    System.arraycopy(laux, 0, L, lOff, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[0] = -min;
        return scale;
    }

    /** ggml make_qx_quants with rmse_type 1 (weights x²): symmetric scale search; L holds q + nmax. */
    static float makeQxQuants(int n, int nmax, float[] x, int xOff, int[] L, int lOff) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            return 0;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            int l = Bytes.nearestInt(iscale * v);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = l + nmax;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xOff + i];
                int l = Bytes.nearestInt(iscale * v);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = v * v;
                sumlx += w * v * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = Bytes.nearestInt(iscale * x[xOff + i]);
                    L[lOff + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * The part ggml's Q4_K and Q5_K reference quantizers share: per 32-value sub-block, a scale and a min from
     * make_qkx2_quants (weights av_x + |x|); the super-block scales d and dmin (f16, at {@code off} and
     * {@code off + 2}) and the 6-bit packed sub-block scales (at {@code scalesOff}); then each value's level in
     * 0..nmax under the stored (rounded) scales, into {@code L}.
     */
    static void quantizeSubBlocks(float[] x, int xOff, int nmax, float rmin, int nstep, MemorySegment dst, long off,
                                  long scalesOff, int[] L) {
        int[] laux = new int[32];
        float[] weights = new float[32];
        float[] scales = new float[8], mins = new float[8], minOut = new float[1];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[xOff + 32 * j + l] * x[xOff + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[xOff + 32 * j + l]);
            scales[j] = makeQkx2Quants(32, nmax, x, xOff + 32 * j, weights, L, 32 * j, minOut, laux, rmin, 0.1f, nstep);
            mins[j] = minOut[0];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        int[] ls = new int[8], lm = new int[8];
        for (int j = 0; j < 8; j++) {
            ls[j] = Math.min(63, Bytes.nearestInt(invScale * scales[j]));
            lm[j] = Math.min(63, Bytes.nearestInt(invMin * mins[j]));
        }
        packScales(ls, lm, dst, scalesOff);
        Bytes.putF16(dst, off, maxScale / 63.0f);
        Bytes.putF16(dst, off + 2, maxMin / 63.0f);
        float d = Bytes.f16(dst, off), dmin = Bytes.f16(dst, off + 2);
        for (int j = 0; j < 8; j++) {
            int sm = scaleMin(dst, scalesOff, j);
            float dj = d * (sm & 0xFF);
            if (dj == 0) continue;
            float dm = dmin * (sm >>> 8);
            for (int ii = 0; ii < 32; ii++) {
                int l = Bytes.nearestInt((x[xOff + 32 * j + ii] + dm) / dj);
                L[32 * j + ii] = Math.max(0, Math.min(nmax, l));
            }
        }
    }
}
