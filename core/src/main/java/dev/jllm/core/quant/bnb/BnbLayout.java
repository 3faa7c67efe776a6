package dev.jllm.core.quant.bnb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * bitsandbytes' safetensors serialization of a {@code Params4bit} (what transformers writes for a
 * {@code *-bnb-4bit} checkpoint): under the weight's name, the packed bytes {@code [(n+1)/2, 1]} U8, then
 * {@code .absmax} (U8 codes when double-quantized, else F32), {@code .quant_map} (the 16 code values),
 * {@code .nested_absmax} and {@code .nested_quant_map} (double quantization only), and
 * {@code .quant_state.bitsandbytes__<type>}: the quant state as JSON bytes (type, blocksize, dtype, shape, nested
 * offset).
 */
public final class BnbLayout {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String QUANT_STATE = ".quant_state.bitsandbytes__";

    private BnbLayout() {}

    /** Whether the checkpoint stores {@code name} in bitsandbytes' 4-bit layout. */
    public static boolean isQuantized(Checkpoint ckpt, String name) {
        for (QuantType t : QuantType.values()) if (ckpt.has(name + QUANT_STATE + t.bnbName())) return true;
        return false;
    }

    /** The tensors that represent {@code w} under {@code name}. */
    public static List<SafeTensor> tensors(String name, Bnb4bitWeight w) {
        List<SafeTensor> out = new ArrayList<>();
        out.add(bytes(name, new long[]{w.packed().length, 1}, w.packed()));
        out.add(SafeTensor.ofFloats(name + ".quant_map", new long[]{16}, w.type().codes()));
        ObjectNode state = JSON.createObjectNode();
        state.put("quant_type", w.type().bnbName());
        state.put("blocksize", Bnb4bitWeight.BLOCK);
        state.put("dtype", "float32");
        var shape = state.putArray("shape");
        for (long d : w.shape()) shape.add(d);
        if (w.nested() != null) {
            DoubleQuant dq = w.nested();
            out.add(bytes(name + ".absmax", new long[]{dq.absmaxQ().length}, dq.absmaxQ()));
            out.add(SafeTensor.ofFloats(name + ".nested_absmax", new long[]{dq.nestedAbsmax().length}, dq.nestedAbsmax()));
            out.add(SafeTensor.ofFloats(name + ".nested_quant_map", new long[]{256}, dq.map()));
            state.put("nested_blocksize", DoubleQuant.NESTED_BLOCK);
            state.put("nested_dtype", "float32");
            state.put("nested_offset", (double) dq.offset());
        } else {
            out.add(SafeTensor.ofFloats(name + ".absmax", new long[]{w.absmax().length}, w.absmax()));
        }
        byte[] json = state.toString().getBytes(StandardCharsets.UTF_8);
        out.add(bytes(name + QUANT_STATE + w.type().bnbName(), new long[]{json.length}, json));
        return out;
    }

    private static SafeTensor bytes(String name, long[] shape, byte[] data) {
        return new SafeTensor(name, DType.U8, shape, MemorySegment.ofArray(data.clone()));
    }

    /** Reads {@code name} back, validating every part against the quant state; errors name the checkpoint and tensor. */
    public static Bnb4bitWeight read(Checkpoint ckpt, String name) {
        QuantType found = null;
        for (QuantType t : QuantType.values()) if (ckpt.has(name + QUANT_STATE + t.bnbName())) found = t;
        String where = ckpt.source() + ": " + name;
        final QuantType type = found;
        if (type == null) throw new JllmException(where + ": no " + name + QUANT_STATE + "nf4|fp4 tensor (not a bitsandbytes 4-bit weight)");
        JsonNode state;
        try {
            state = JSON.readTree(new String(u8(ckpt, name + QUANT_STATE + type.bnbName()), StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new JllmException(where + ": quant_state is not JSON: " + e.getMessage(), e);
        }
        if (state.path("blocksize").asInt(-1) != Bnb4bitWeight.BLOCK) {
            throw new JllmException(where + ": quant_state blocksize " + state.path("blocksize") + ", only 64 is supported");
        }
        if (!state.path("quant_type").asText().equals(type.bnbName())) {
            throw new JllmException(where + ": quant_state quant_type '" + state.path("quant_type").asText() + "' contradicts the key suffix " + type.bnbName());
        }
        JsonNode shapeNode = state.path("shape");
        if (!shapeNode.isArray() || shapeNode.isEmpty()) throw new JllmException(where + ": quant_state has no shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong();
        float[] quantMap = floats(ckpt, name + ".quant_map");
        if (!Arrays.equals(quantMap, type.codes())) throw new JllmException(where + ".quant_map differs from the " + type.bnbName() + " code table");
        byte[] packed = u8(ckpt, name);
        Bnb4bitWeight w;
        if (state.has("nested_offset")) {
            if (state.path("nested_blocksize").asInt(-1) != DoubleQuant.NESTED_BLOCK) {
                throw new JllmException(where + ": quant_state nested_blocksize " + state.path("nested_blocksize") + ", only 256 is supported");
            }
            float[] nestedMap = floats(ckpt, name + ".nested_quant_map");
            float[] ours = DynamicMap.signed8bit();
            // torch's linspace rounds a few entries one ulp away from ours; anything more is another map
            for (int i = 0; i < ours.length && nestedMap.length == ours.length; i++) {
                if (Math.abs(nestedMap[i] - ours[i]) > 1e-6) throw new JllmException(where + ".nested_quant_map[" + i + "] = " + nestedMap[i] + " is not the signed 8-bit dynamic map (" + ours[i] + ")");
            }
            if (nestedMap.length != ours.length) throw new JllmException(where + ".nested_quant_map has " + nestedMap.length + " values, expected 256");
            DoubleQuant dq = new DoubleQuant(u8(ckpt, name + ".absmax"), floats(ckpt, name + ".nested_absmax"),
                    (float) state.path("nested_offset").asDouble(), nestedMap);
            w = wrap(where, () -> new Bnb4bitWeight(type, shape, packed, null, dq));
        } else {
            float[] absmax = floats(ckpt, name + ".absmax");
            w = wrap(where, () -> new Bnb4bitWeight(type, shape, packed, absmax, null));
        }
        return w;
    }

    private static Bnb4bitWeight wrap(String where, java.util.function.Supplier<Bnb4bitWeight> make) {
        try {
            return make.get();
        } catch (JllmException e) {
            throw new JllmException(where + ": " + e.getMessage(), e);
        }
    }

    private static SafeTensor need(Checkpoint ckpt, String name) {
        if (!ckpt.has(name)) throw new JllmException(ckpt.source() + ": missing tensor '" + name + "'");
        return ckpt.tensor(name);
    }

    private static byte[] u8(Checkpoint ckpt, String name) {
        SafeTensor t = need(ckpt, name);
        if (t.dtype() != DType.U8) throw new JllmException(ckpt.source() + ": tensor '" + name + "' has dtype " + t.dtype() + ", expected U8");
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }

    private static float[] floats(Checkpoint ckpt, String name) {
        SafeTensor t = need(ckpt, name);
        if (t.dtype() != DType.F32) throw new JllmException(ckpt.source() + ": tensor '" + name + "' has dtype " + t.dtype() + ", expected F32");
        return t.toFloatArray();
    }
}
