package dev.jllm.model.encoder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.onnx.OnnxModel;
import dev.jllm.core.onnx.OnnxNode;
import dev.jllm.core.onnx.OnnxTensor;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a BERT encoder exported to ONNX by {@code torch.onnx.export} (as Hugging Face optimum and sentence-transformers
 * exports are) into a Hugging Face folder {@link BertEncoder} loads. Named initializers keep their transformers names;
 * the exporter renames each Linear weight to {@code onnx::MatMul_N} and stores it transposed ({@code [in, out]}), so
 * its name comes from the MatMul node that reads it ({@code /encoder/layer.0/attention/self/query/MatMul} →
 * {@code encoder.layer.0.attention.self.query.weight}). The head count and LayerNorm epsilon are constants in the
 * graph (the reshape to {@code [batch, seq, heads, head_dim]} and the LayerNorm's added epsilon).
 */
public final class OnnxBertImport {
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final Pattern MATMUL = Pattern.compile("^/(.+)/MatMul$");

    private OnnxBertImport() {
    }

    /** Writes {@code config.json} and {@code model.safetensors} into {@code outDir} (created if needed). */
    public static void toHfFolder(Path onnxFile, Path outDir) {
        try (OnnxModel onnx = OnnxModel.open(onnxFile)) {
            Map<String, OnnxTensor> init = onnx.initializers();
            Map<String, OnnxTensor> constants = new HashMap<>();
            for (OnnxNode n : onnx.nodes()) {
                if (n.opType().equals("Constant") && n.attributes().get("value") instanceof OnnxTensor t) {
                    constants.put(n.outputs().getFirst(), t);
                }
            }
            List<SafeTensor> tensors = new ArrayList<>();
            for (OnnxTensor t : init.values()) {
                if (t.name().startsWith("onnx::") || t.dataType() != OnnxTensor.FLOAT) continue;
                tensors.add(SafeTensor.ofFloats(t.name(), t.dims(), t.toFloatArray()));
            }
            for (OnnxNode n : onnx.nodes()) {
                if (!n.opType().equals("MatMul") || n.inputs().size() != 2) continue;
                OnnxTensor w = init.get(n.inputs().get(1));
                if (w == null || !w.name().startsWith("onnx::")) continue;
                Matcher m = MATMUL.matcher(n.name());
                if (!m.matches() || w.dims().length != 2) {
                    throw new JllmException(onnxFile + ": MatMul node '" + n.name() + "' reads weight '" + w.name()
                            + "' but its name does not give the module path (expected /<module path>/MatMul)");
                }
                String name = m.group(1).replace('/', '.') + ".weight";
                tensors.add(SafeTensor.ofFloats(name, new long[]{w.dims()[1], w.dims()[0]},
                        transpose(w.toFloatArray(), (int) w.dims()[0], (int) w.dims()[1])));
            }
            Map<String, SafeTensor> byName = new HashMap<>();
            for (SafeTensor t : tensors) byName.put(t.name(), t);
            String prefix = byName.containsKey("embeddings.word_embeddings.weight") ? "" : "bert.";
            SafeTensor words = require(byName, onnxFile, prefix + "embeddings.word_embeddings.weight");
            int layers = 0;
            for (String name : byName.keySet()) {
                Matcher lm = LAYER.matcher(name.substring(prefix.length()));
                if (name.startsWith(prefix) && lm.find()) layers = Math.max(layers, Integer.parseInt(lm.group(1)) + 1);
            }
            if (layers == 0) throw new JllmException(onnxFile + ": no encoder.layer.N tensors found");
            int hidden = (int) words.shape()[1];
            ObjectNode config = new ObjectMapper().createObjectNode();
            config.putArray("architectures").add("BertModel");
            config.put("model_type", "bert");
            config.put("vocab_size", words.shape()[0]);
            config.put("hidden_size", hidden);
            config.put("num_hidden_layers", layers);
            config.put("num_attention_heads", heads(onnx, constants, hidden));
            config.put("intermediate_size", require(byName, onnxFile, prefix + "encoder.layer.0.intermediate.dense.bias").shape()[0]);
            config.put("max_position_embeddings", require(byName, onnxFile, prefix + "embeddings.position_embeddings.weight").shape()[0]);
            config.put("type_vocab_size", require(byName, onnxFile, prefix + "embeddings.token_type_embeddings.weight").shape()[0]);
            config.put("layer_norm_eps", layerNormEps(onnx, constants));
            config.put("hidden_act", onnx.nodes().stream().anyMatch(n -> n.opType().equals("Erf")) ? "gelu" : "gelu_new");
            config.put("position_embedding_type", "absolute");
            Files.createDirectories(outDir);
            SafetensorsWriter.write(outDir.resolve("model.safetensors"), tensors, Map.of("format", "pt", "source", "onnx"));
            Path tmp = outDir.resolve("config.json.tmp");
            Files.writeString(tmp, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
            Files.move(tmp, outDir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(outDir + ": cannot write the imported model: " + e.getMessage(), e);
        }
    }

    private static SafeTensor require(Map<String, SafeTensor> byName, Path file, String name) {
        SafeTensor t = byName.get(name);
        if (t == null) throw new JllmException(file + ": the ONNX graph has no initializer for '" + name + "'");
        return t;
    }

    /** The head count: the constant in the Concat that builds the {@code [batch, seq, heads, head_dim]} reshape. */
    private static int heads(OnnxModel onnx, Map<String, OnnxTensor> constants, int hidden) {
        for (OnnxNode n : onnx.nodes()) {
            if (!n.opType().equals("Concat") || !n.name().contains("attention/self") || n.inputs().size() != 4) continue;
            OnnxTensor h = constants.get(n.inputs().get(2));
            OnnxTensor d = constants.get(n.inputs().get(3));
            if (h == null || d == null) continue;
            long heads = h.toLongArray()[0], dim = d.toLongArray()[0];
            if (heads > 0 && heads * dim == hidden) return (int) heads;
        }
        throw new JllmException(onnx.file() + ": cannot find the attention head count (no [batch, seq, heads, head_dim] reshape in the graph)");
    }

    /** The epsilon the first LayerNorm adds to the variance (exported as ReduceMean → Add(constant) → Sqrt). */
    private static double layerNormEps(OnnxModel onnx, Map<String, OnnxTensor> constants) {
        for (OnnxNode n : onnx.nodes()) {
            if (n.opType().equals("LayerNormalization") && n.attributes().get("epsilon") instanceof Float f) return f;
            if (n.opType().equals("Add") && n.name().contains("LayerNorm/Add") && !n.name().endsWith("Add_1")) {
                for (String in : n.inputs()) {
                    OnnxTensor c = constants.get(in);
                    if (c != null && c.dataType() == OnnxTensor.FLOAT && c.elementCount() == 1) return c.toFloatArray()[0];
                }
            }
        }
        return 1e-12;
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
