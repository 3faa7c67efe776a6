package dev.jllm.train.loss;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.train.nn.FrozenWeight;
import dev.jllm.train.nn.MatrixProducts;
import dev.jllm.train.nn.VectorMath;
import dev.jllm.train.precision.Precision;

/**
 * Causal-LM cross-entropy fused with the {@code lm_head} projection, as transformers' {@code ForCausalLMLoss}
 * defines it: position t predicts {@code labels[t+1]} (the shift happens here, callers pass labels aligned with
 * the inputs), labels equal to {@value #IGNORE} are skipped, and the summed token losses are divided by a
 * caller-given {@code numItemsInBatch} — the label count of the whole accumulated step, which makes k
 * accumulated micro-batches equal one k-times larger batch.
 *
 * <p>Logits are produced for a bounded chunk of positions at a time, turned into their gradient in place
 * ({@code softmax − onehot}) and pushed back through {@code lm_head} before the next chunk, so the
 * {@code [tokens × vocab]} logits matrix never exists. Positions without a label cost nothing.
 */
public final class CausalLmLoss {
    public static final int IGNORE = -100;
    /**
     * Logit elements per chunk (32 MB of float32; PyTorch holds all of them, and their gradient): 256 rows at a 32k
     * vocabulary. Packing the vocabulary-sized operand costs one copy of it per chunk and product, under 0.5% of a
     * product's 256·vocab·dim multiply-adds; and the head's gradient product passes over its output once per 256-row
     * depth block (Gemm's KC) whatever the chunk, so larger chunks would buy nothing but memory.
     */
    private static final int CHUNK_ELEMENTS = 1 << 23;

    private CausalLmLoss() {}

    /**
     * @param lossSum the summed (not yet divided) cross-entropy over the counted positions
     * @param tokens  how many positions were counted (shifted labels ≠ -100)
     * @param correct how many of those the argmax logit predicted exactly
     */
    public record Result(double lossSum, int tokens, int correct) {}

    /** Shifted labels ≠ -100 in {@code labels [rows·seqLen]}: the {@code num_items_in_batch} contribution of a batch. */
    public static int countItems(int[] labels, int rows, int seqLen) {
        int n = 0;
        for (int b = 0; b < rows; b++) {
            for (int t = 1; t < seqLen; t++) if (labels[b * seqLen + t] != IGNORE) n++;
        }
        return n;
    }

    /**
     * Computes the loss of {@code hidden [rows·seqLen, dim]} (final-norm output) under {@code lmHead [vocab, dim]}.
     * When {@code dHidden} / {@code dLmHead} are non-null, accumulates the gradient of
     * {@code lossSum / numItemsInBatch} into them.
     */
    /** The chunk buffers, kept by a caller that computes the loss every step (the logits chunk is the largest). */
    public static final class Buffers {
        float[] h, logits, dh;

        /**
         * Lends an array that is free while the loss runs to hold the logits chunk (used when it is large enough;
         * the loss writes over it).
         */
        public void lendLogits(float[] array) {
            logits = array;
        }
    }

    public static Result compute(float[] hidden, float[] lmHead, int[] labels, int rows, int seqLen, int dim, int vocab,
                                 double numItemsInBatch, float[] dHidden, float[] dLmHead) {
        return compute(hidden, lmHead, labels, rows, seqLen, dim, vocab, numItemsInBatch, dHidden, dLmHead, new Buffers());
    }

    public static Result compute(float[] hidden, float[] lmHead, int[] labels, int rows, int seqLen, int dim, int vocab,
                                 double numItemsInBatch, float[] dHidden, float[] dLmHead, Buffers buffers) {
        return compute(hidden, lmHead, null, Precision.FP32, labels, rows, seqLen, dim, vocab, numItemsInBatch, 1.0, dHidden, dLmHead, buffers);
    }

    /**
     * As above, with {@code head} computing lm_head's two products when non-null: the 16-bit copy of a trained
     * {@code lmHead} under autocast ({@code lmHead} then still takes the gradient), or a head frozen in 16 bits
     * ({@code lmHead} is not read and gets no gradient). Under a 16-bit {@code precision} (autocast's rules) the
     * hidden states are rounded where lm_head reads them, the logits are a 16-bit tensor (the cross-entropy itself
     * runs in float32 on them), and the gradients of both are 16-bit. The gradient is of {@code lossScale · lossSum /
     * numItemsInBatch}: fp16's loss scaling, applied where the loss gradient starts (the reported loss is unscaled).
     */
    public static Result compute(float[] hidden, float[] lmHead, MatrixProducts head, Precision precision, int[] labels, int rows,
                                 int seqLen, int dim, int vocab, double numItemsInBatch, double lossScale, float[] dHidden,
                                 float[] dLmHead, Buffers buffers) {
        if (head instanceof FrozenWeight && dLmHead != null) throw new IllegalArgumentException("a frozen lm_head has no gradient");
        int[] positions = new int[rows * seqLen];
        int[] targets = new int[rows * seqLen];
        int count = 0;
        for (int b = 0; b < rows; b++) {
            for (int t = 0; t + 1 < seqLen; t++) {
                int label = labels[b * seqLen + t + 1];
                if (label == IGNORE) continue;
                if (label < 0 || label >= vocab) {
                    throw new JllmException("label " + label + " at row " + b + ", position " + (t + 1)
                            + " is outside the vocabulary [0, " + vocab + ") and is not " + IGNORE);
                }
                positions[count] = b * seqLen + t;
                targets[count] = label;
                count++;
            }
        }
        boolean backward = dHidden != null || dLmHead != null;
        double gradScale = lossScale / numItemsInBatch;
        int chunk = Math.max(64, Math.min(1024, CHUNK_ELEMENTS / vocab));
        chunk = Math.min(chunk, Math.max(1, count));
        float[] h = buffers.h = sized(buffers.h, chunk * dim);
        float[] logits = buffers.logits = sized(buffers.logits, chunk * vocab);
        float[] dh = backward ? (buffers.dh = sized(buffers.dh, chunk * dim)) : null;
        double[] rowLoss = new double[chunk];
        boolean[] rowCorrect = new boolean[chunk];
        double lossSum = 0;
        int correct = 0;
        for (int c0 = 0; c0 < count; c0 += chunk) {
            int n = Math.min(chunk, count - c0);
            for (int i = 0; i < n; i++) System.arraycopy(hidden, positions[c0 + i] * dim, h, i * dim, dim);
            if (head == null) {
                Gemm.gemm(false, true, n, vocab, dim, h, 0, lmHead, 0, logits, 0, false);     // logits = h·Eᵀ
            } else {
                precision.round(h, n * dim);
                head.forward(logits, h, n);
                precision.round(logits, n * vocab);
            }
            int base = c0;
            // Rows are independent and exp-bound, so they are spread over the cores; each row's sum is in double.
            Parallel.forRange(n, 1, (w, i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    int o = i * vocab;
                    int target = targets[base + i];
                    float max = VectorMath.max(logits, o, o + vocab);
                    // the first maximum, as torch.argmax (the last index when none compares equal: a NaN row)
                    int at = VectorMath.indexOf(logits, o, o + vocab - 1, max);
                    int argmax = at < 0 ? vocab - 1 : at - o;
                    float targetLogit = logits[o + target];
                    double sum = VectorMath.expSum(logits, o, o + vocab, max, backward);
                    rowLoss[i] = max + Math.log(sum) - targetLogit;
                    rowCorrect[i] = argmax == target;
                    if (backward) {
                        // softmax − onehot, scaled: the exponentials are reused, not recomputed.
                        VectorMath.scale(logits, o, o + vocab, (float) (gradScale / sum));
                        logits[o + target] -= (float) gradScale;
                    }
                }
            });
            for (int i = 0; i < n; i++) {
                lossSum += rowLoss[i];
                if (rowCorrect[i]) correct++;
            }
            if (!backward) continue;
            precision.round(logits, n * vocab);
            if (dLmHead != null) Gemm.gemm(true, false, vocab, dim, n, logits, 0, h, 0, dLmHead, 0, true);   // dE += dLᵀ·h
            if (dHidden != null) {
                if (head == null) {
                    Gemm.gemm(false, false, n, dim, vocab, logits, 0, lmHead, 0, dh, 0, false);            // dh = dL·E
                } else {
                    head.inputGradient(dh, logits, n, false);
                    precision.round(dh, n * dim);
                }
                for (int i = 0; i < n; i++) {
                    int dst = positions[c0 + i] * dim;
                    for (int j = 0; j < dim; j++) dHidden[dst + j] += dh[i * dim + j];
                }
            }
        }
        return new Result(lossSum, count, correct);
    }

    /** {@code a} if it holds at least n values (the products read only the first n), else a new array. */
    private static float[] sized(float[] a, int n) {
        return a != null && a.length >= n ? a : new float[n];
    }
}
