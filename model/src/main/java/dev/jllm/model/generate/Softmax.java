package dev.jllm.model.generate;

/** Numerically stable softmax over scores that may contain {@code -infinity}. */
public final class Softmax {
    private Softmax() {}

    /** {@code exp(s_i - max) / sum}, summed in double; removed ({@code -inf}) tokens get probability 0. */
    public static float[] probabilities(float[] scores) {
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) if (s > max) max = s;
        float[] p = new float[scores.length];
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("every token was removed from the distribution");
        }
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            double e = Math.exp((double) scores[i] - max);
            p[i] = (float) e;
            sum += e;
        }
        for (int i = 0; i < p.length; i++) p[i] = (float) (p[i] / sum);
        return p;
    }

    /** {@code log(sum(exp(s)))} in double. */
    public static double logSumExp(float[] scores, int offset, int length) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) max = Math.max(max, scores[offset + i]);
        double sum = 0;
        for (int i = 0; i < length; i++) sum += Math.exp(scores[offset + i] - max);
        return max + Math.log(sum);
    }
}
