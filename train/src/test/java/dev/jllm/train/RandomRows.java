package dev.jllm.train;

import dev.jllm.train.data.Dataset;
import dev.jllm.train.data.Example;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Random;

/** Seeded pre-tokenized rows of 3 to 7 random ids, the Trainer tests' data. */
final class RandomRows {
    private RandomRows() {}

    static Dataset of(int n, int vocab, long seed) {
        Random r = new Random(seed);
        var ex = new ArrayList<Example>();
        for (int i = 0; i < n; i++) {
            int[] ids = new int[3 + r.nextInt(5)];
            for (int t = 0; t < ids.length; t++) ids[t] = r.nextInt(vocab);
            ex.add(new Example(ids, null, null));
        }
        return new Dataset(ex, 0, Path.of("memory"));
    }
}
