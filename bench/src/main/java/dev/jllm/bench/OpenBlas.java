package dev.jllm.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * OpenBLAS's {@code cblas_sgemm} through FFM: the SGEMM anchor for the benchmarks only (Debian: {@code apt-get install
 * libopenblas-dev}). Heap float arrays are passed without copies (critical downcalls with heap access).
 */
public final class OpenBlas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private static final MethodHandle SGEMM;
    private static final MethodHandle SET_THREADS;

    static {
        String name = System.getProperty("jllm.openblas", "libopenblas.so.0");
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(name, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("OpenBLAS library '" + name + "' not found (apt-get install libopenblas-dev, or -Djllm.openblas=PATH)", e);
        }
        Linker linker = Linker.nativeLinker();
        SGEMM = linker.downcallHandle(lib.find("cblas_sgemm").orElseThrow(), FunctionDescriptor.ofVoid(
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.critical(true));
        SET_THREADS = linker.downcallHandle(lib.find("openblas_set_num_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
    }

    private OpenBlas() {}

    public static void setThreads(int n) {
        try {
            SET_THREADS.invokeExact(n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** C[m,n] = A[m,k] · B[n,k]ᵀ, the same contract as {@code Gemm.sgemm}. */
    public static void sgemm(int m, int n, int k, float[] a, float[] b, float[] c) {
        try {
            SGEMM.invokeExact(ROW_MAJOR, NO_TRANS, TRANS, m, n, k, 1.0f, MemorySegment.ofArray(a), k,
                    MemorySegment.ofArray(b), k, 0.0f, MemorySegment.ofArray(c), n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
