package dev.jllm.train.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * transformers' {@code LengthGroupedSampler} ({@code get_length_grouped_indices}): a random permutation cut into
 * megabatches of {@code min(n / (4·batch), 50)} (at least 1) batches, each megabatch sorted by length, longest
 * first (a stable sort, as Python's), and the megabatch holding the longest row swapped to the front so the first
 * batch is the largest (an out-of-memory error shows at once, not hours in). Rows of similar length share batches,
 * so less padding is computed.
 */
public final class LengthGroupedSampler {
    private LengthGroupedSampler() {}

    /**
     * @param permutation the random order to start from (the trainer's shuffled order for this epoch)
     * @param batchSize   rows per optimizer step (per-device batch × accumulation, as the Trainer passes)
     */
    public static int[] order(int[] lengths, int[] permutation, int batchSize) {
        int n = permutation.length;
        int mult = Math.min(n / (batchSize * 4), 50);
        if (mult == 0) mult = 1;
        int mega = mult * batchSize;
        var megabatches = new ArrayList<List<Integer>>();
        for (int i = 0; i < n; i += mega) {
            var m = new ArrayList<Integer>();
            for (int j = i; j < Math.min(n, i + mega); j++) m.add(permutation[j]);
            m.sort(Comparator.comparingInt((Integer r) -> lengths[r]).reversed());
            megabatches.add(m);
        }
        int maxIdx = 0;
        for (int i = 1; i < megabatches.size(); i++) {
            // strictly greater: torch.argmax returns the first maximum
            if (lengths[megabatches.get(i).getFirst()] > lengths[megabatches.get(maxIdx).getFirst()]) maxIdx = i;
        }
        Integer first = megabatches.getFirst().getFirst();
        megabatches.getFirst().set(0, megabatches.get(maxIdx).getFirst());
        megabatches.get(maxIdx).set(0, first);
        int[] out = new int[n];
        int k = 0;
        for (var m : megabatches) for (int r : m) out[k++] = r;
        return out;
    }
}
