package dev.jllm.train.precision;

import dev.jllm.core.kernel.Parallel;
import dev.jllm.train.nn.Parameter;

import java.util.List;

/**
 * {@code torch.cuda.amp.GradScaler} with its defaults, the dynamic loss scaling transformers uses for {@code fp16}:
 * the loss gradient is multiplied by {@link #scale()} so small gradients survive float16's narrow range; before
 * clipping the gradients are {@linkplain #unscale unscaled} and checked; a step whose gradients hold an infinity or
 * NaN is skipped (no optimizer step, no scheduler step: transformers checks {@code optimizer_step_was_skipped}) and
 * the scale halves; after {@link #GROWTH_INTERVAL} clean steps in a row it doubles.
 *
 * <p>The scale is a float32 value, as PyTorch keeps it in a float32 tensor, and is always a power of two here, so
 * scaling and unscaling are exact for every gradient that neither overflows nor underflows.
 */
public final class GradScaler {
    public static final float INIT_SCALE = 65536f;
    public static final float GROWTH_FACTOR = 2f;
    public static final float BACKOFF_FACTOR = 0.5f;
    public static final int GROWTH_INTERVAL = 2000;

    private float scale;
    private int growthTracker;

    public GradScaler() {
        this(INIT_SCALE, 0);
    }

    /** A scaler in a given state (a resumed run, or a test forcing an overflow with a huge scale). */
    public GradScaler(float scale, int growthTracker) {
        if (!(scale > 0) || Float.isInfinite(scale)) throw new IllegalArgumentException("loss scale must be a positive finite number, got " + scale);
        if (growthTracker < 0) throw new IllegalArgumentException("growth tracker must be >= 0, got " + growthTracker);
        this.scale = scale;
        this.growthTracker = growthTracker;
    }

    /** The state a checkpoint keeps (transformers saves the scaler's {@code state_dict} as {@code scaler.pt}). */
    public record Snapshot(float scale, int growthTracker) {}

    public Snapshot snapshot() {
        return new Snapshot(scale, growthTracker);
    }

    /** Continues from a checkpoint's state. */
    public void restore(Snapshot s) {
        GradScaler checked = new GradScaler(s.scale(), s.growthTracker());
        this.scale = checked.scale;
        this.growthTracker = checked.growthTracker;
    }

    public float scale() {
        return scale;
    }

    /** Clean steps since the last change of the scale. */
    public int growthTracker() {
        return growthTracker;
    }

    /**
     * {@code _amp_foreach_non_finite_check_and_unscale_}: multiplies every gradient by the float32 reciprocal of the
     * scale and reports whether any of them is infinite or NaN (then the step must be skipped).
     */
    public boolean unscale(List<Parameter> parameters) {
        float inv = (float) (1.0 / scale);
        boolean[] bad = new boolean[parameters.size()];
        Parallel.forChunks(parameters.size(), 1, (w, p0, p1) -> {
            for (int j = p0; j < p1; j++) {
                float[] g = parameters.get(j).grad();
                if (g == null) continue;
                boolean found = false;
                for (int i = 0; i < g.length; i++) {
                    float v = g[i] * inv;
                    g[i] = v;
                    // v − v is 0 for every finite v and NaN for ±∞ and NaN: one branch-free test
                    found |= (v - v) != 0f;
                }
                bad[j] = found;
            }
        });
        for (boolean b : bad) if (b) return true;
        return false;
    }

    /** {@code _amp_update_scale_}: back off after an overflow, grow after a run of clean steps. */
    public void update(boolean foundInf) {
        if (foundInf) {
            scale *= BACKOFF_FACTOR;
            growthTracker = 0;
            return;
        }
        int successful = growthTracker + 1;
        if (successful == GROWTH_INTERVAL) {
            float grown = scale * GROWTH_FACTOR;
            if (Float.isFinite(grown)) scale = grown;
            growthTracker = 0;
        } else {
            growthTracker = successful;
        }
    }
}
