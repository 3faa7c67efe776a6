package dev.jllm.core.onnx;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A ModelProto written by hand in protobuf wire format, and malformed files. */
class OnnxModelTest {

    static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    static void field(ByteArrayOutputStream o, int number, byte[] payload) {
        varint(o, (long) number << 3 | 2);
        varint(o, payload.length);
        o.writeBytes(payload);
    }

    static void field(ByteArrayOutputStream o, int number, String s) {
        field(o, number, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] model() {
        ByteArrayOutputStream tensor = new ByteArrayOutputStream();
        varint(tensor, 1 << 3);   // dims: 2, 3 (unpacked)
        varint(tensor, 2);
        varint(tensor, 1 << 3);
        varint(tensor, 3);
        varint(tensor, 2 << 3);   // data_type FLOAT
        varint(tensor, 1);
        field(tensor, 8, "w");
        ByteBuffer raw = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) raw.putFloat(i + 0.5f);
        field(tensor, 9, raw.array());

        ByteArrayOutputStream attr = new ByteArrayOutputStream();
        field(attr, 1, "axes");
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        varint(packed, 1);
        varint(packed, 300);
        field(attr, 8, packed.toByteArray());

        ByteArrayOutputStream node = new ByteArrayOutputStream();
        field(node, 1, "x");
        field(node, 1, "w");
        field(node, 2, "y");
        field(node, 3, "/layer/MatMul");
        field(node, 4, "MatMul");
        field(node, 5, attr.toByteArray());

        ByteArrayOutputStream graph = new ByteArrayOutputStream();
        field(graph, 1, node.toByteArray());
        field(graph, 2, "g");
        field(graph, 5, tensor.toByteArray());

        ByteArrayOutputStream m = new ByteArrayOutputStream();
        varint(m, 1 << 3);   // ir_version
        varint(m, 8);
        field(m, 7, graph.toByteArray());
        return m.toByteArray();
    }

    @Test
    void readsNodesAttributesAndInitializers(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.onnx");
        Files.write(f, model());
        try (OnnxModel m = OnnxModel.open(f)) {
            assertEquals(1, m.nodes().size());
            OnnxNode n = m.nodes().getFirst();
            assertEquals("MatMul", n.opType());
            assertEquals(java.util.List.of("x", "w"), n.inputs());
            assertArrayEquals(new long[]{1, 300}, (long[]) n.attributes().get("axes"));
            OnnxTensor w = m.initializer("w");
            assertArrayEquals(new long[]{2, 3}, w.dims());
            assertArrayEquals(new float[]{0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, w.toFloatArray());
            assertThrows(JllmException.class, () -> m.initializer("missing"));
        }
    }

    @Test
    void malformedFilesNameTheFile(@TempDir Path dir) throws Exception {
        byte[] good = model();
        Path truncated = dir.resolve("t.onnx");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length - 7));
        JllmException e = assertThrows(JllmException.class, () -> OnnxModel.open(truncated));
        assertTrue(e.getMessage().contains("t.onnx"), e.getMessage());
        Path text = dir.resolve("x.onnx");
        Files.writeString(text, "this is not a protobuf file at all");
        assertThrows(JllmException.class, () -> OnnxModel.open(text));
        Path empty = dir.resolve("e.onnx");
        Files.write(empty, new byte[0]);
        assertTrue(assertThrows(JllmException.class, () -> OnnxModel.open(empty)).getMessage().contains("no 'graph'"));
        assertThrows(JllmException.class, () -> OnnxModel.open(dir.resolve("none.onnx")));
    }
}
