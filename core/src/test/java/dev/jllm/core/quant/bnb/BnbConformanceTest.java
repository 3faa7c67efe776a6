package dev.jllm.core.quant.bnb;

import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * bitsandbytes 4-bit conformance over {@code quant/}: every matrix of {@code inputs.safetensors} quantized with both
 * types (packed bytes, indices, absmax exact; double-quant statistics within float rounding; dequantized matrices
 * within 1e-5), the code tables, and every 4-bit weight of the pre-quantized {@code stories260K-hf-bnb-nf4} checkpoint
 * (reads, dequantizes to the reference, and is reproduced byte for byte by quantizing the float32 model).
 */
@Tag("conformance")
class BnbConformanceTest {
    private static final double DEQUANT_TOL = 1e-5;

    @Test
    void matchesFixtures() {
        Path quant = Fixtures.resolve("quant");
        Conformance c = new Conformance("quant/bnb");
        try (SafetensorsFile codes = SafetensorsFile.open(quant.resolve("codes.safetensors"))) {
            c.check("codes.nf4", () -> same(codes.tensor("nf4").toFloatArray(), QuantType.NF4.codes(), "nf4 table"));
            c.check("codes.fp4", () -> same(codes.tensor("fp4").toFloatArray(), QuantType.FP4.codes(), "fp4 table"));
            c.check("codes.dynamic_signed_8bit", () -> close(codes.tensor("dynamic_signed_8bit").toFloatArray(), DynamicMap.signed8bit(), 1e-7, "dynamic map"));
        }
        try (SafetensorsFile inputs = SafetensorsFile.open(quant.resolve("inputs.safetensors"))) {
            for (QuantType type : QuantType.values()) {
                try (SafetensorsFile ref = SafetensorsFile.open(quant.resolve(type.bnbName() + ".safetensors"))) {
                    for (SafeTensor in : inputs.tensors()) {
                        String m = in.name();
                        String key = type.bnbName() + "/" + m;
                        c.check(key, () -> checkMatrix(in, type, ref, m));
                    }
                }
            }
        }
        Path bnbDir = quant.resolve("stories260K-hf-bnb-nf4");
        try (Checkpoint bnb = Checkpoint.open(bnbDir);
             Checkpoint fp = Checkpoint.open(Fixtures.resolve("models", "stories260K-hf"));
             SafetensorsFile deq = SafetensorsFile.open(quant.resolve("model_nf4_dequantized_weights.safetensors"))) {
            for (String name : bnb.names().stream().sorted().toList()) {
                if (!name.endsWith(".weight") || !BnbLayout.isQuantized(bnb, name)) continue;
                c.check("stories260K-hf-bnb-nf4/" + name, () -> {
                    Bnb4bitWeight w = BnbLayout.read(bnb, name);
                    close(deq.tensor(name).toFloatArray(), w.dequantize(), DEQUANT_TOL, "dequantized weight");
                    Bnb4bitWeight mine = Bnb4bitWeight.quantize(fp.tensor(name).toFloatArray(), fp.tensor(name).shape(), QuantType.NF4, true);
                    bytes(w.packed(), mine.packed(), "packed");
                    bytes(w.nested().absmaxQ(), mine.nested().absmaxQ(), "absmax codes");
                    close(w.nested().nestedAbsmax(), mine.nested().nestedAbsmax(), 1e-6, "nested absmax");
                    close(new float[]{w.nested().offset()}, new float[]{mine.nested().offset()}, 1e-6, "offset");
                });
            }
        }
        c.finish();
    }

    private static void checkMatrix(SafeTensor in, QuantType type, SafetensorsFile ref, String m) {
        float[] x = in.toFloatArray();
        Bnb4bitWeight plain = Bnb4bitWeight.quantize(x, in.shape(), type, false);
        bytes(u8(ref.tensor(m + ".packed")), plain.packed(), "packed");
        if (!Arrays.equals(ref.tensor(m + ".packed").shape(), new long[]{plain.packed().length, 1})) throw new AssertionError("packed shape");
        bytes(u8(ref.tensor(m + ".indices")), plain.indices(), "indices");
        same(ref.tensor(m + ".absmax").toFloatArray(), plain.absmax(), "absmax");
        close(ref.tensor(m + ".dequant").toFloatArray(), plain.dequantize(), DEQUANT_TOL, "dequant");
        Bnb4bitWeight dq = Bnb4bitWeight.quantize(x, in.shape(), type, true);
        bytes(dq.packed(), plain.packed(), "double-quant packed");
        bytes(u8(ref.tensor(m + ".dq.absmax_q")), dq.nested().absmaxQ(), "dq.absmax_q");
        close(ref.tensor(m + ".dq.nested_absmax").toFloatArray(), dq.nested().nestedAbsmax(), 1e-6, "dq.nested_absmax");
        close(ref.tensor(m + ".dq.offset").toFloatArray(), new float[]{dq.nested().offset()}, 1e-6, "dq.offset");
        close(ref.tensor(m + ".dq.absmax_restored").toFloatArray(), dq.blockAbsmax(), 1e-6, "dq.absmax_restored");
        close(ref.tensor(m + ".dq.dequant").toFloatArray(), dq.dequantize(), DEQUANT_TOL, "dq.dequant");
    }

    static byte[] u8(SafeTensor t) {
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }

    static void same(float[] expected, float[] actual, String what) {
        if (expected.length != actual.length) throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    static void bytes(byte[] expected, byte[] actual, String what) {
        if (expected.length != actual.length) throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) throw new AssertionError(what + "[" + i + "] = " + (actual[i] & 0xFF) + ", expected " + (expected[i] & 0xFF));
        }
    }

    /** Relative to the magnitude for the statistics (float rounding), absolute for dequantized values. */
    static void close(float[] expected, float[] actual, double tol, String what) {
        if (expected.length != actual.length) throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            double scale = tol < 1e-5 ? Math.max(1, Math.abs(expected[i])) : 1;
            if (d > tol * scale) throw new AssertionError(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " (|diff| " + d + ")");
        }
    }
}
