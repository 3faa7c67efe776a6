package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * bitsandbytes' safetensors serialization of a {@code Linear8bitLt} (what transformers writes for a model loaded
 * with {@code load_in_8bit}): for module {@code m}, {@code m.weight} holds the int8 codes {@code [out, in]} (I8),
 * {@code m.SCB} the float32 absmax of each output row {@code [out]}, and {@code m.weight_format} a uint8 scalar
 * naming the layout, 0 = row-major (the only layout bitsandbytes still loads; older tiled layouts 1-3 are refused
 * as it refuses them). A missing {@code weight_format} means row-major, as bitsandbytes reads it.
 */
public final class Bnb8bitLayout {
    public static final String SCB = ".SCB";
    public static final String WEIGHT_FORMAT = ".weight_format";

    private Bnb8bitLayout() {}

    /** The module name of a {@code ….weight} tensor name. */
    private static String module(String weightName) {
        if (!weightName.endsWith(".weight")) throw new JllmException("'" + weightName + "' is not a linear layer's weight name");
        return weightName.substring(0, weightName.length() - ".weight".length());
    }

    /** Whether the checkpoint stores the weight {@code weightName} in bitsandbytes' 8-bit layout. */
    public static boolean isQuantized(Checkpoint ckpt, String weightName) {
        return weightName.endsWith(".weight") && ckpt.has(module(weightName) + SCB);
    }

    /** The tensors that represent {@code w} under the weight name {@code weightName}. */
    public static List<SafeTensor> tensors(String weightName, Bnb8bitWeight w) {
        String m = module(weightName);
        return List.of(SafeTensor.ofBytes(weightName, DType.I8, w.shape(), w.cb().clone()),
                SafeTensor.ofFloats(m + SCB, new long[]{w.scb().length}, w.scb()),
                SafeTensor.ofBytes(m + WEIGHT_FORMAT, DType.U8, new long[0], new byte[]{0}));
    }

    /** Reads the weight back; errors name the checkpoint, the tensor and what was expected. */
    public static Bnb8bitWeight read(Checkpoint ckpt, String weightName) {
        String m = module(weightName);
        String where = ckpt.source() + ": ";
        if (!ckpt.has(weightName)) throw new JllmException(where + "missing tensor '" + weightName + "' (8-bit codes for " + m + SCB + ")");
        SafeTensor codes = ckpt.tensor(weightName);
        if (codes.dtype() != DType.I8) throw new JllmException(where + "tensor '" + weightName + "' has dtype " + codes.dtype() + ", expected I8 (it has an SCB, so it is an 8-bit weight)");
        if (codes.shape().length != 2) throw new JllmException(where + "tensor '" + weightName + "' has shape " + Arrays.toString(codes.shape()) + ", expected [out, in]");
        SafeTensor scb = ckpt.tensor(m + SCB);
        if (scb.dtype() != DType.F32) throw new JllmException(where + "tensor '" + m + SCB + "' has dtype " + scb.dtype() + ", expected F32");
        if (scb.shape().length != 1 || scb.shape()[0] != codes.shape()[0]) {
            throw new JllmException(where + "tensor '" + m + SCB + "' has shape " + Arrays.toString(scb.shape()) + ", expected [" + codes.shape()[0] + "] (one per output row)");
        }
        if (ckpt.has(m + WEIGHT_FORMAT)) {
            SafeTensor f = ckpt.tensor(m + WEIGHT_FORMAT);
            if (f.elementCount() != 1 || f.dtype().byteSize() != 1) {
                throw new JllmException(where + "tensor '" + m + WEIGHT_FORMAT + "' must be one uint8, got " + f.dtype() + " " + Arrays.toString(f.shape()));
            }
            int format = f.data().get(ValueLayout.JAVA_BYTE, 0) & 0xFF;
            if (format != 0) {
                String name = switch (format) { case 1 -> "col32"; case 2 -> "col_turing"; case 3 -> "col_ampere"; default -> "unknown"; };
                throw new JllmException(where + "tensor '" + m + WEIGHT_FORMAT + "' = " + format + " (" + name + "): only the row-major format 0 is supported, as in bitsandbytes");
            }
        }
        float[] stats = scb.toFloatArray();
        for (int i = 0; i < stats.length; i++) {
            if (!(stats[i] >= 0) || Float.isInfinite(stats[i])) throw new JllmException(where + "tensor '" + m + SCB + "'[" + i + "] = " + stats[i] + ", expected a finite absmax >= 0");
        }
        byte[] cb = codes.data().toArray(ValueLayout.JAVA_BYTE);
        try {
            return new Bnb8bitWeight(codes.shape().clone(), cb, stats);
        } catch (JllmException e) {
            throw new JllmException(where + weightName + ": " + e.getMessage(), e);
        }
    }
}
