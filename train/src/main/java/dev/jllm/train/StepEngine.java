package dev.jllm.train;

import dev.jllm.core.JllmException;
import dev.jllm.train.data.Batch;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.optim.GradClip;
import dev.jllm.train.optim.Optimizer;
import dev.jllm.train.schedule.LrSchedule;

import java.util.ArrayList;
import java.util.List;

/**
 * One optimizer step in transformers' Trainer order: forward and backward every micro-batch (each loss divided by
 * the label count of the whole step, so gradients simply add up), clip the global gradient norm, update with the
 * scheduled learning rate of this step, zero the gradients.
 */
public final class StepEngine {
    private final CausalLm model;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final double maxGradNorm;
    private final List<Parameter> trainable;
    private int step;

    /** What one step did; {@code loss} is the token-mean cross-entropy before the update. */
    public record StepReport(int step, double loss, List<Double> microBatchLosses, double gradNorm, double clipCoef,
                             double lr, int numItemsInBatch, int tokens, int correct) {}

    /** @param maxGradNorm clip to this global norm; 0 or less disables clipping (the norm is still reported) */
    public StepEngine(CausalLm model, Optimizer optimizer, LrSchedule schedule, double maxGradNorm) {
        this.model = model;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.maxGradNorm = maxGradNorm;
        this.trainable = model.trainableParameters();
    }

    public int step() {
        return step;
    }

    /** Sets the index of the next update (when resuming). */
    public void setStep(int step) {
        this.step = step;
    }

    /** Forward and backward of all micro-batches of one step; gradients are left accumulated for inspection. */
    public List<CausalLm.Result> accumulate(List<Batch> microBatches) {
        int items = 0;
        for (Batch b : microBatches) items += b.labelCount();
        // transformers would divide by zero here; a step without any label has no loss to follow.
        double denominator = Math.max(1, items);
        var results = new ArrayList<CausalLm.Result>();
        for (Batch b : microBatches) results.add(model.forwardBackward(b, denominator));
        return results;
    }

    /** Clips, updates and zeroes the gradients that {@link #accumulate} left. */
    public StepReport apply(List<CausalLm.Result> results) {
        double loss = 0;
        int tokens = 0, correct = 0;
        var losses = new ArrayList<Double>();
        for (CausalLm.Result r : results) {
            loss += r.loss();
            losses.add(r.loss());
            tokens += r.tokens();
            correct += r.correct();
        }
        double norm = GradClip.globalNorm(trainable);
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
            throw new JllmException("step " + step + ": " + (!Double.isFinite(loss) ? "loss is " + loss : "gradient norm is " + norm)
                    + "; stopping before the update (lower the learning rate or check the data)");
        }
        double coef = maxGradNorm > 0 ? GradClip.coefficient(norm, maxGradNorm) : 1.0;
        if (coef < 1.0) GradClip.scale(trainable, coef);
        double lr = schedule.lr(step);
        optimizer.step(lr);
        model.zeroGrad();
        StepReport report = new StepReport(step, loss, List.copyOf(losses), norm, coef, lr, tokens, tokens, correct);
        step++;
        return report;
    }

    public StepReport run(List<Batch> microBatches) {
        return apply(accumulate(microBatches));
    }
}
