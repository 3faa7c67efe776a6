package dev.jllm.model.load;

/**
 * Row order of q/k projections: llama.cpp's converter reorders each head's rows from Hugging Face's rotate-half
 * layout (dimension i paired with i + d/2) to the adjacent-pair layout (2i with 2i+1). Within a head of d rows,
 * HF row {@code j*d/2 + i} is GGUF row {@code 2i + j} (j in {0, 1}).
 */
public final class RopePermutation {
    private RopePermutation() {}

    /** {@code result[hfRow]} = the GGUF row holding it. */
    public static int[] hfFromGguf(int rows, int heads) {
        int d = rows / heads;
        int half = d / 2;
        int[] src = new int[rows];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) src[h * d + j * half + i] = h * d + 2 * i + j;
            }
        }
        return src;
    }

    /** {@code result[ggufRow]} = the HF row holding it (the inverse of {@link #hfFromGguf}). */
    public static int[] ggufFromHf(int rows, int heads) {
        int[] hfFromGguf = hfFromGguf(rows, heads);
        int[] inv = new int[rows];
        for (int r = 0; r < rows; r++) inv[hfFromGguf[r]] = r;
        return inv;
    }
}
