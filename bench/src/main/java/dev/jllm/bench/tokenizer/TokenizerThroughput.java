package dev.jllm.bench.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import dev.jllm.text.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Single-thread encode throughput, jllm next to Hugging Face's Rust tokenizers (through DJL), on the same corpus in
 * the same JVM, alternating rounds, timed in thread CPU time, best round of each. Also checks that both produce
 * the same ids.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp bench/target/jllm-bench.jar
 * dev.jllm.bench.tokenizer.TokenizerThroughput [SHARED_DIR] [REPO_DIR] [MB] [ROUNDS] [jllm-only]}.
 */
public final class TokenizerThroughput {
    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
        Path repo = Path.of(args.length > 1 ? args[1] : ".");
        long mb = args.length > 2 ? Long.parseLong(args[2]) : 10;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        boolean oursOnly = args.length > 4 && args[4].equals("jllm-only");
        List<String> corpus = BenchCorpus.build(shared, repo, mb * 1_000_000);
        long bytes = BenchCorpus.utf8Bytes(corpus);
        System.out.printf("corpus: %d documents, %.1f MB (UTF-8)%n", corpus.size(), bytes / 1e6);
        for (String name : System.getProperty("tokenizers", "llama3_1,mistral").split(",")) {
            Path dir = shared.resolve("tokenizers").resolve(name);
            Tokenizer ours = Tokenizer.load(dir);
            if (oursOnly) {
                double best = 0;
                for (int r = 0; r < rounds; r++) best = Math.max(best, mbPerSecond(bytes, () -> runOurs(corpus, ours)));
                System.out.printf("%-9s jllm %7.2f MB/s%n", name, best);
                continue;
            }
            try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), hfOptions())) {
                checkSameIds(name, corpus, ours, hf);
                double bestOurs = 0, bestHf = 0, bestRaw = 0;
                for (int r = 0; r < rounds; r++) {
                    bestOurs = Math.max(bestOurs, mbPerSecond(bytes, () -> runOurs(corpus, ours)));
                    bestHf = Math.max(bestHf, mbPerSecond(bytes, () -> runHf(corpus, hf)));
                    bestRaw = Math.max(bestRaw, mbPerSecond(bytes, () -> runHfIdsOnly(corpus, hf)));
                }
                System.out.printf("%-9s jllm %7.2f MB/s | HF Rust via DJL encode() %7.2f MB/s (ratio %.2fx) | HF Rust, ids-only JNI path %7.2f MB/s (ratio %.2fx)%n",
                        name, bestOurs, bestHf, bestOurs / bestHf, bestRaw, bestOurs / bestRaw);
            }
        }
    }

    /** Single sequences, no truncation or padding: what {@code Tokenizer.encode(text, true)} does. */
    static Map<String, String> hfOptions() {
        return Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
    }

    static long runOurs(List<String> corpus, Tokenizer t) {
        long n = 0;
        for (String d : corpus) n += t.encode(d, true).length;
        return n;
    }

    static long runHf(List<String> corpus, HuggingFaceTokenizer t) {
        long n = 0;
        for (String d : corpus) n += t.encode(d, true, false).getIds().length;
        return n;
    }

    /**
     * The leanest way to reach the Rust encoder from Java: DJL's own JNI entry points (encode, read the ids, free),
     * skipping the tokens, offsets and masks that {@code HuggingFaceTokenizer.encode} also copies into Java objects.
     */
    static long runHfIdsOnly(List<String> corpus, HuggingFaceTokenizer t) {
        TokenizersLibrary lib = TokenizersLibrary.LIB;
        long handle = t.getHandle();
        long n = 0;
        for (String d : corpus) {
            long encoding = lib.encode(handle, d, true);
            n += lib.getTokenIds(encoding).length;
            lib.deleteEncoding(encoding);
        }
        return n;
    }

    /**
     * MB per second of this thread's CPU time (which includes the native Rust code called through JNI on this
     * thread): on a shared, overloaded machine wall time mostly measures the other processes.
     */
    private static double mbPerSecond(long bytes, java.util.function.LongSupplier run) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long t0 = mx.getCurrentThreadCpuTime();
        long tokens = run.getAsLong();
        long t1 = mx.getCurrentThreadCpuTime();
        if (tokens == 0) throw new IllegalStateException("no tokens");
        return bytes / 1e6 / ((t1 - t0) / 1e9);
    }

    private static void checkSameIds(String name, List<String> corpus, Tokenizer ours, HuggingFaceTokenizer hf) {
        int mismatches = 0;
        for (String d : corpus.subList(0, Math.min(corpus.size(), 3000))) {
            int[] a = ours.encode(d, true);
            long[] b = hf.encode(d, true, false).getIds();
            if (!Arrays.equals(a, Arrays.stream(b).mapToInt(x -> (int) x).toArray())) mismatches++;
        }
        System.out.printf("%-9s ids identical to HF on %d of %d documents checked%n", name,
                Math.min(corpus.size(), 3000) - mismatches, Math.min(corpus.size(), 3000));
    }
}
