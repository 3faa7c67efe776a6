package dev.jllm.train;

import dev.jllm.core.JllmException;
import dev.jllm.train.data.Batch;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.optim.GradClip;
import dev.jllm.train.optim.Optimizer;
import dev.jllm.train.precision.GradScaler;
import dev.jllm.train.schedule.LrSchedule;

import java.util.ArrayList;
import java.util.List;

/**
 * One optimizer step in transformers' Trainer order: forward and backward every micro-batch (each loss divided by
 * the label count of the whole step, so gradients simply add up), clip the global gradient norm, update with the
 * scheduled learning rate of this step, zero the gradients.
 *
 * <p>With a {@link GradScaler} (fp16) the loss gradient is scaled, the gradients are unscaled before the norm and
 * clipping, and a step whose gradients overflowed is skipped: no update, no scheduler step (so the scheduler's
 * count can fall behind the global step, as transformers' does), the scale halves. The global step still counts it.
 */
public final class StepEngine {
    private final CausalLm model;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final double maxGradNorm;
    private final List<Parameter> trainable;
    private final GradScaler scaler;
    private int step;
    private int schedulerStep;

    /**
     * What one step did; {@code loss} is the token-mean cross-entropy before the update. {@code skipped}: fp16
     * gradients overflowed, nothing was updated ({@code gradNorm} is then infinite or NaN, as transformers logs it).
     */
    public record StepReport(int step, double loss, List<Double> microBatchLosses, double gradNorm, double clipCoef,
                             double lr, int numItemsInBatch, int tokens, int correct, boolean skipped) {}

    /** @param maxGradNorm clip to this global norm; 0 or less disables clipping (the norm is still reported) */
    public StepEngine(CausalLm model, Optimizer optimizer, LrSchedule schedule, double maxGradNorm) {
        this(model, optimizer, schedule, maxGradNorm, null);
    }

    /** @param scaler fp16's dynamic loss scaling, or null (fp32, bf16) */
    public StepEngine(CausalLm model, Optimizer optimizer, LrSchedule schedule, double maxGradNorm, GradScaler scaler) {
        this.model = model;
        this.scaler = scaler;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.maxGradNorm = maxGradNorm;
        this.trainable = model.trainableParameters();
    }

    public int step() {
        return step;
    }

    /** Sets the index of the next update (when resuming), and the scheduler's with it. */
    public void setStep(int step) {
        setStep(step, step);
    }

    /** Sets the global step and the scheduler's step count (fewer when fp16 skipped steps), when resuming. */
    public void setStep(int step, int schedulerStep) {
        if (schedulerStep < 0 || schedulerStep > step) throw new IllegalArgumentException("scheduler step " + schedulerStep + " outside [0, " + step + "]");
        this.step = step;
        this.schedulerStep = schedulerStep;
    }

    /** Scheduler steps taken: the index of the learning rate the next update uses. */
    public int schedulerStep() {
        return schedulerStep;
    }

    /** The loss scaler, or null when the run does not scale (fp32, bf16). */
    public GradScaler scaler() {
        return scaler;
    }

    /** Forward and backward of all micro-batches of one step; gradients are left accumulated for inspection. */
    public List<CausalLm.Result> accumulate(List<Batch> microBatches) {
        int items = 0;
        for (Batch b : microBatches) items += b.labelCount();
        // transformers would divide by zero here; a step without any label has no loss to follow.
        double denominator = Math.max(1, items);
        var results = new ArrayList<CausalLm.Result>();
        double lossScale = scaler == null ? 1.0 : scaler.scale();
        for (Batch b : microBatches) results.add(model.forwardBackward(b, denominator, lossScale));
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
        // The loss never carries the scale, so a non-finite loss is a real failure of the forward pass even in fp16;
        // only an overflow of the scaled gradients is the scaler's business.
        boolean overflow = Double.isFinite(loss) && scaler != null && scaler.unscale(trainable);
        double norm = GradClip.globalNorm(trainable);
        if (!Double.isFinite(loss) || (!overflow && !Double.isFinite(norm))) {
            throw new JllmException("step " + step + ": " + (!Double.isFinite(loss) ? "loss is " + loss : "gradient norm is " + norm)
                    + "; stopping before the update (lower the learning rate or check the data)");
        }
        double lr = schedule.lr(schedulerStep);
        double coef = 1.0;
        if (overflow) {
            scaler.update(true);
        } else {
            coef = maxGradNorm > 0 ? GradClip.coefficient(norm, maxGradNorm) : 1.0;
            if (coef < 1.0) GradClip.scale(trainable, coef);
            optimizer.step(lr);
            model.weightsUpdated();
            schedulerStep++;
            if (scaler != null) scaler.update(false);
        }
        model.zeroGrad();
        StepReport report = new StepReport(step, loss, List.copyOf(losses), norm, coef, lr, tokens, tokens, correct, overflow);
        step++;
        return report;
    }

    public StepReport run(List<Batch> microBatches) {
        return apply(accumulate(microBatches));
    }
}
