package dev.jllm.bench.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.jllm.text.tokenizer.Tokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * JMH: one operation encodes the whole corpus (at least 10 MB of mixed English and code, see {@link BenchCorpus})
 * on one thread. MB/s = corpus MB (printed at setup) / seconds per operation. Fixture root from
 * {@code -Djllm.fixtures} (default ../shared), repository root from {@code -Djllm.root} (default .).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
@Threads(1)
public class TokenizerEncodeBenchmark {
    @Param({"llama3_1", "mistral"})
    public String tokenizer;

    /** jllm; HF Rust through DJL's public encode(); HF Rust through DJL's JNI entry points reading ids only. */
    @Param({"jllm", "hf-rust", "hf-rust-ids"})
    public String implementation;

    private List<String> corpus;
    private Tokenizer ours;
    private HuggingFaceTokenizer hf;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path shared = Path.of(System.getProperty("jllm.fixtures", "../shared"));
        Path repo = Path.of(System.getProperty("jllm.root", "."));
        corpus = BenchCorpus.build(shared, repo, 10_000_000);
        System.out.printf("%ncorpus: %d documents, %.2f MB%n", corpus.size(), BenchCorpus.utf8Bytes(corpus) / 1e6);
        Path dir = shared.resolve("tokenizers").resolve(tokenizer);
        if (implementation.equals("jllm")) ours = Tokenizer.load(dir);
        else hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), TokenizerThroughput.hfOptions());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (hf != null) hf.close();
    }

    @Benchmark
    public long encodeCorpus() {
        if (ours != null) return TokenizerThroughput.runOurs(corpus, ours);
        return implementation.equals("hf-rust") ? TokenizerThroughput.runHf(corpus, hf) : TokenizerThroughput.runHfIdsOnly(corpus, hf);
    }
}
