package dev.jllm.train.nn;

/** Row lookup {@code y[t] = E[ids[t]]}; its gradient scatters back onto the looked-up rows. */
public final class Embedding {
    private Embedding() {}

    public static void forward(float[] y, int[] ids, float[] table, int vocab, int dim) {
        for (int t = 0; t < ids.length; t++) {
            int id = ids[t];
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " at position " + t + " is outside the vocabulary [0, " + vocab + ")");
            System.arraycopy(table, id * dim, y, t * dim, dim);
        }
    }

    /** Positions are added in order, so a token repeated in the batch gets the same sum on every run. */
    public static void backward(float[] dtable, float[] dy, int[] ids, int dim) {
        for (int t = 0; t < ids.length; t++) {
            int row = ids[t] * dim;
            int o = t * dim;
            for (int i = 0; i < dim; i++) dtable[row + i] += dy[o + i];
        }
    }
}
