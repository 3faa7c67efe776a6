package dev.jllm.eval.embed;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.model.encoder.BertEncoder;
import dev.jllm.model.encoder.OnnxBertImport;
import dev.jllm.text.wordpiece.WordPieceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A BERT-family encoder with its WordPiece tokenizer and sentence-transformers pooling: text → token embeddings
 * (any layer) or one sentence embedding.
 */
public final class SentenceEncoder implements AutoCloseable {

    /** Token ids of a text and the chosen layer's vectors for them, {@code [tokens][hidden]} row-major. */
    public record TokenEmbeddings(int[] ids, float[] vectors, int width) {
        public int tokens() {
            return ids.length;
        }

        public float[] row(int t) {
            return java.util.Arrays.copyOfRange(vectors, t * width, (t + 1) * width);
        }
    }

    private final BertEncoder encoder;
    private final WordPieceTokenizer tokenizer;
    private final Pooling pooling;
    private final int maxLength;

    public SentenceEncoder(BertEncoder encoder, WordPieceTokenizer tokenizer, Pooling pooling, int maxLength) {
        this.encoder = encoder;
        this.tokenizer = tokenizer;
        this.pooling = pooling;
        this.maxLength = Math.min(maxLength > 0 ? maxLength : Integer.MAX_VALUE, encoder.config().maxPositionEmbeddings());
    }

    /**
     * Loads a folder with {@code config.json} (a BERT model), safetensors weights and a WordPiece
     * {@code tokenizer.json}; sentence-transformers' {@code modules.json}, pooling config and
     * {@code sentence_bert_config.json} (max_seq_length) are honoured when present.
     */
    public static SentenceEncoder load(Path folder) {
        Path onnx = onnxFile(folder);
        if (onnx != null) return loadOnnx(onnx);
        if (!BertEncoder.isBert(folder)) throw new JllmException(folder + ": not a BERT encoder folder (config.json with model_type bert)");
        WordPieceTokenizer tok = WordPieceTokenizer.load(folder.resolve("tokenizer.json"));
        int maxLength = tok.declaredTruncation();
        Path st = folder.resolve("sentence_bert_config.json");
        if (Files.isRegularFile(st)) {
            try {
                maxLength = new ObjectMapper().readTree(st.toFile()).path("max_seq_length").asInt(maxLength);
            } catch (IOException e) {
                throw new JllmException(st + ": cannot read: " + e.getMessage(), e);
            }
        }
        return new SentenceEncoder(BertEncoder.load(folder), tok, Pooling.read(folder), maxLength);
    }

    /** An ONNX file given directly, or the single .onnx file of a folder without config.json; else null. */
    private static Path onnxFile(Path path) {
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".onnx")) return path;
        if (!Files.isDirectory(path) || Files.isRegularFile(path.resolve("config.json"))) return null;
        try (var s = Files.list(path)) {
            List<Path> onnx = s.filter(p -> p.getFileName().toString().endsWith(".onnx")).toList();
            return onnx.size() == 1 ? onnx.getFirst() : null;
        } catch (IOException e) {
            throw new JllmException(path + ": cannot list folder: " + e.getMessage(), e);
        }
    }

    /**
     * A BERT exported to ONNX (e.g. sentence-transformers/all-MiniLM-L6-v2 as langchain4j ships it), with its
     * {@code tokenizer.json} (or {@code <name>-tokenizer.json}) beside it: the weights are imported into a temporary
     * Hugging Face folder (deleted when the JVM exits), pooled with mean pooling + normalization, sentence-transformers'
     * setting for its exported sentence embedders, unless a {@code modules.json} beside it says otherwise.
     */
    public static SentenceEncoder loadOnnx(Path onnx) {
        Path dir = onnx.toAbsolutePath().getParent();
        String stem = onnx.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path tokenizer = Files.isRegularFile(dir.resolve(stem + "-tokenizer.json")) ? dir.resolve(stem + "-tokenizer.json") : dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizer)) {
            throw new JllmException(onnx + ": no tokenizer.json or " + stem + "-tokenizer.json beside the ONNX file");
        }
        Path tmp;
        try {
            tmp = Files.createTempDirectory("jllm-onnx-import-");
        } catch (IOException e) {
            throw new JllmException("cannot create a temporary folder: " + e.getMessage(), e);
        }
        OnnxBertImport.toHfFolder(onnx, tmp);
        tmp.resolve("model.safetensors").toFile().deleteOnExit();
        tmp.resolve("config.json").toFile().deleteOnExit();
        tmp.toFile().deleteOnExit();
        WordPieceTokenizer tok = WordPieceTokenizer.load(tokenizer);
        Pooling pooling = Files.isRegularFile(dir.resolve("modules.json")) ? Pooling.read(dir) : new Pooling(Pooling.Mode.MEAN, true);
        return new SentenceEncoder(BertEncoder.load(tmp), tok, pooling, tok.declaredTruncation());
    }

    public BertEncoder encoder() {
        return encoder;
    }

    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    public Pooling pooling() {
        return pooling;
    }

    public int maxLength() {
        return maxLength;
    }

    public int numLayers() {
        return encoder.config().numLayers();
    }

    /** The sentence embedding: last hidden state pooled (and normalized when the config says so). */
    public float[] embed(String text) {
        int[] ids = tokenizer.encode(text, maxLength).ids();
        BertEncoder.Output out = encoder.encode(ids, null, null);
        return pooling.pool(out.lastHiddenState(), ids.length, encoder.config().hiddenSize(), null);
    }

    public List<float[]> embedAll(List<String> texts) {
        return texts.stream().map(this::embed).toList();
    }

    /** Token vectors of hidden state {@code layer} (0 = embeddings output, {@link #numLayers()} = last). */
    public TokenEmbeddings tokenEmbeddings(String text, int layer) {
        if (layer < 0 || layer > numLayers()) {
            throw new JllmException("layer " + layer + " is outside [0, " + numLayers() + "] (0 is the embeddings' output)");
        }
        int[] ids = tokenizer.encode(text, maxLength).ids();
        BertEncoder.Output out = encoder.encode(ids, null, null);
        return new TokenEmbeddings(ids, out.hiddenStates().get(layer), encoder.config().hiddenSize());
    }

    @Override
    public void close() {
        encoder.close();
    }
}
